"""newsletter.toml: schema, defaults, every problem at once with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import SCHEMA, load_config, parse_config
from pipeline.errors import PipelineError

ROOT = Path(__file__).resolve().parent.parent

MINIMAL = """[newsletter]
name = "Krasse Links"
base_url = "https://krasse-links.example/archiv/"

[sender]
name = "Krasse Links"
address = "post@krasse-links.example"

[footer]
imprint = "Redaktion · Musterstraße 12 · 10115 Berlin"
"""


def parse(text: str):
    return parse_config(text, Path("/tmp/p/newsletter.toml"))


def problems(text: str) -> list:
    with pytest.raises(PipelineError) as info:
        parse(text)
    return info.value.findings


def test_project_config_is_valid() -> None:
    config = load_config(ROOT)
    assert config.warnings == []
    assert config["newsletter.base_url"] == "https://krasse-links.example/archiv"
    assert config.issue_url(41) == "https://krasse-links.example/archiv/41/"


def test_defaults_filled_and_derived_values() -> None:
    config = parse(MINIMAL)
    assert config["newsletter.base_url"] == "https://krasse-links.example/archiv"  # trailing slash dropped
    assert config["email.clip_budget"] == 100_000 and config["email.clip"] == "warn"
    assert config["sender.reply_to"] == "post@krasse-links.example"
    assert config["archive.title"] == "Krasse Links"
    assert set(config.values) == set(SCHEMA)


def test_syntax_error_has_the_line() -> None:
    found = problems(MINIMAL.replace('name = "Krasse Links"\nbase', 'name = "Krasse Links\nbase', 1))
    assert [(f.line, f.rule) for f in found] == [(2, "config-syntax")]
    assert found[0].file.endswith("newsletter.toml")


def test_wrong_types_all_reported_with_lines() -> None:
    text = MINIMAL + '\n[email]\nclip_budget = "viel"\nclip = "cut"\n\n[smtp]\nport = 70000\n'
    found = problems(text.replace('address = "post@krasse-links.example"', 'address = "keine-adresse"'))
    got = {f.message.split(":")[0]: (f.line, f.rule) for f in found}
    assert got == {
        "sender.address": (7, "config-value"),
        "email.clip_budget": (13, "config-value"),
        "email.clip": (14, "config-value"),
        "smtp.port": (17, "config-value"),
    }


def test_missing_required_key() -> None:
    found = problems(MINIMAL.replace('imprint = "Redaktion · Musterstraße 12 · 10115 Berlin"\n', ""))
    assert [(f.rule, f.message.split(":")[0]) for f in found] == [("config-missing", "footer.imprint")]


def test_unknown_key_is_a_warning_with_did_you_mean() -> None:
    config = parse(MINIMAL + "\n[email]\nclip_budgett = 5\n")
    (warning,) = config.warnings
    assert warning.rule == "config-unknown" and not warning.is_error
    assert warning.line == 13 and "did you mean 'email.clip_budget'" in warning.message


def test_dotted_keys_at_top_level_are_found() -> None:
    config = parse('email.clip = "split"\n' + MINIMAL)
    assert config["email.clip"] == "split"


def test_missing_and_non_utf8_config(tmp_path: Path) -> None:
    with pytest.raises(PipelineError) as info:
        load_config(tmp_path)
    assert info.value.findings[0].rule == "config-missing"
    (tmp_path / "newsletter.toml").write_bytes(MINIMAL.replace("ß", "\xdf").encode("latin-1"))
    with pytest.raises(PipelineError) as info:
        load_config(tmp_path)
    assert info.value.findings[0].rule == "config-encoding"
    (tmp_path / "newsletter.toml").write_bytes(MINIMAL.encode("utf-8-sig"))
    assert load_config(tmp_path)["newsletter.name"] == "Krasse Links"


def test_every_schema_option_has_a_doc_and_valid_default() -> None:
    for key, option in SCHEMA.items():
        assert option.doc, key
        if not option.required and option.default not in ("", None):
            assert option.validate(option.default) is not None, key


def test_non_ascii_sender_address_is_refused() -> None:
    """`From: post@=?utf-8?q?b=C3=BCcher?=.example` is no address a reader can answer; say the ASCII form."""
    found = problems(MINIMAL.replace('address = "post@krasse-links.example"', 'address = "post@bücher.example"'))
    assert [(f.line, f.rule) for f in found] == [(7, "config-value")]
    assert "post@xn--bcher-kva.example" in found[0].message


def test_control_character_from_a_toml_escape_is_refused(tmp_path: Path) -> None:
    """`C:\\freiheit` in a TOML string is a form feed: `krasse archive` crashed in lxml writing feed.xml."""
    from conftest import copy_project, krasse

    form_feed = 'name = "Krasse Links"\ndescription = "C:\\freiheit"\n'
    found = problems(MINIMAL.replace('name = "Krasse Links"\n', form_feed, 1))
    assert [(f.line, f.rule) for f in found] == [(3, "config-value")]
    assert "U+000C" in found[0].message
    project = copy_project(tmp_path / "project")
    config = project / "newsletter.toml"
    config.write_text(config.read_text("utf-8").replace("Plattformen und Macht", "Plattformen\\fund Macht"), "utf-8")
    result = krasse(project, "archive")
    assert result.exit_code == 1 and "newsletter.toml:8: error [config-value] newsletter.description" in result.output
