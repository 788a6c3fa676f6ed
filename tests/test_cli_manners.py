"""The CLI tells you where you stand: services, summary lines, JSON, grouped warnings, check -q, clean, open."""

from __future__ import annotations

import json
import re
import tomllib
import webbrowser
from pathlib import Path

import pytest
from conftest import krasse

from pipeline.cli import cli
from pipeline.errors import WARNING, Finding
from pipeline.export.services import BUILTIN
from pipeline.summary import Summary, grouped

BUILTIN_KEYS = sorted(tomllib.loads(BUILTIN.read_text("utf-8")))


def write(project: Path, name: str, text: str) -> Path:
    path = project / "issues" / name
    path.write_text(text, encoding="utf-8")
    return path


# --- mailing services are discoverable


def test_services_lists_every_profile_with_tags_and_import(project: Path) -> None:
    result = krasse(project, "services")
    assert result.exit_code == 0, result.output
    for key in BUILTIN_KEYS:
        assert re.search(rf"^{key}: ", result.output, re.M), key
    assert "{{{ pm:unsubscribe }}}" in result.output and "{{ contact.first_name }}" in result.output
    assert krasse(project, "export", "--list").output == result.output


def test_services_json_and_project_profiles(project: Path) -> None:
    (project / "esp.toml").write_text('[hauspost]\nname = "Hauspost"\nunsubscribe = "%%ab%%"\nimport = "Hochladen."\n')
    data = json.loads(krasse(project, "services", "--format", "json").output)
    by_key = {p["key"]: p for p in data}
    assert set(BUILTIN_KEYS) | {"hauspost"} == set(by_key)
    assert by_key["hauspost"]["tags"]["unsubscribe"] == "%%ab%%"
    assert by_key["keila"]["tags"] == {
        "unsubscribe": "{{ unsubscribe_link }}", "web": "", "first_name": "{{ contact.first_name }}",
    }  # fmt: skip


def test_export_help_names_the_services(project: Path) -> None:
    text = re.sub(r"\s+", " ", krasse(project, "export", "--help").output)
    for key in BUILTIN_KEYS:
        assert key in text


def test_export_without_issue_is_a_usage_error(project: Path) -> None:
    result = krasse(project, "export")
    assert result.exit_code == 2 and "--list" in result.output


def test_every_profile_says_where_its_tags_were_checked() -> None:
    data = tomllib.loads(BUILTIN.read_text("utf-8"))
    for key, profile in data.items():
        assert profile.get("source"), key
        assert profile.get("import"), key
    for key in ("postmark", "keila"):
        assert data[key]["source"].startswith("verified:")
    for key in ("listmonk", "kit"):
        assert "blank" in data[key]["import"] and "wrap" in data[key]["import"]


@pytest.mark.parametrize("esp", ["mailchimp", "postmark"])
def test_export_prints_the_next_step_and_a_summary(project: Path, esp: str) -> None:
    result = krasse(project, "export", "41", "--esp", esp)
    assert result.exit_code == 0, result.output
    step = tomllib.loads(BUILTIN.read_text("utf-8"))[esp]["import"]
    assert step in result.output.replace("\n", " ") or step[:40] in result.output
    assert re.search(r"^1 exported, 0 errors, \d+ warnings? in \d", result.output, re.M)


# --- summary lines and JSON


def test_build_summary_names_skipped_drafts(project: Path) -> None:
    result = krasse(project, "build")
    assert result.exit_code == 0
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"3 built, 1 skipped \(draft: 044\), 0 errors, \d+ warnings in [\d.]+ (s|ms)", last), last


def test_build_summary_counts_failures(project: Path) -> None:
    write(project, "050-kaputt.md", "---\nnumber: [\n---\n\nText\n")
    result = krasse(project, "build")
    assert result.exit_code == 1
    assert re.search(r"^3 built, 1 skipped \(draft: 044\), 1 failed \(050\), 1 error, ", result.output, re.M)


def test_build_json(project: Path) -> None:
    result = krasse(project, "build", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)  # nothing else on stdout
    assert data["ok"] is True and data["built"] == 3 and data["skipped"] == {"draft": ["044-entwurf"]}
    assert [i["issue"] for i in data["issues"]] == [
        "041-plattform-daemmerung",
        "042-der-moment",
        "043-kurz-und-buendig",
    ]
    assert data["warnings"] == len(data["findings"]) and all(f["severity"] == "warning" for f in data["findings"])


def test_build_json_on_a_config_error_is_json(project: Path) -> None:
    (project / "newsletter.toml").write_text('[newsletter]\nname = ""\n')
    result = krasse(project, "build", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and {f["rule"] for f in data["findings"]} >= {"config-value", "config-missing"}


def test_export_json(project: Path) -> None:
    result = krasse(project, "export", "41", "--esp", "keila", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["esp"] == "keila" and data["exported"] == 1 and data["state"] == "written"
    assert data["next_step"].startswith("Templates")
    again = json.loads(krasse(project, "export", "41", "--esp", "keila", "--format", "json").output)
    assert again["state"] == "unchanged"


def test_export_refusal_json_and_summary(project: Path) -> None:
    result = krasse(project, "export", "44", "--format", "json")
    assert result.exit_code == 1
    assert any(f["rule"] == "export-draft" for f in json.loads(result.stdout)["findings"])
    text = krasse(project, "export", "44")
    assert re.search(r"^0 exported, 1 failed \(44\), [1-9]\d* errors?", text.output, re.M)


def test_archive_summary_and_json(project: Path) -> None:
    result = krasse(project, "archive")
    assert re.search(r"^3 archived, 0 errors, \d+ warnings? in ", result.output, re.M)
    data = json.loads(krasse(project, "archive", "--format", "json").output)
    assert data["ok"] is True and data["archived"] == 3 and data["rendered"] == 0  # nothing changed


def test_archive_json_on_error(project: Path) -> None:
    write(project, "050-kaputt.md", "---\nnumber: [\n---\n\nText\n")
    result = krasse(project, "archive", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["errors"] >= 1
    text = krasse(project, "archive")
    assert text.exit_code == 1 and re.search(r"^0 archived, 1 error, \d+ warnings? in ", text.output, re.M)


def test_summary_line_format() -> None:
    s = Summary("built", done=3, skipped={"draft": ["044-entwurf"]}, warnings=41, seconds=0.43)
    assert s.line() == "3 built, 1 skipped (draft: 044), 0 errors, 41 warnings in 0.4 s"
    assert Summary("exported", done=1, errors=1, seconds=0.012).line() == "1 exported, 1 error, 0 warnings in 12 ms"
    many = Summary("built", skipped={"draft": [f"{n:03d}-x" for n in range(1, 9)]}, seconds=2)
    assert many.line() == (
        "0 built, 8 skipped (draft: 001, 002, 003, 004, 005, … (3 more)), 0 errors, 0 warnings in 2.0 s"
    )


# --- grouped warnings


def test_repeated_warnings_are_grouped_errors_are_not() -> None:
    many = [Finding("a.md", n, "link-text-vague", f"link text 'hier' #{n}", WARNING) for n in range(10, 60)]
    errors = [Finding("a.md", 3, "img-alt", "no alt"), Finding("a.md", 4, "img-alt", "no alt")] * 2
    few = [Finding("b.md", 1, "http-link", "x", WARNING), Finding("b.md", 2, "http-link", "y", WARNING)]
    out = grouped([*errors, *many, *few])
    assert out[: len(errors)] == errors and out[-2:] == few
    (group,) = [f for f in out if f.rule == "link-text-vague"]
    assert group.line == 10 and group.message.startswith("×50: lines 10, 11, 12")
    assert group.message.count(",") < 20 and "…" in group.message and "#10" in group.message


def test_build_output_groups_a_repeated_warning(empty_project: Path) -> None:
    body = "\n\n".join(f"Absatz mit [hier](https://example.org/{n}) als Linktext." for n in range(30))
    write(empty_project, "001-viel.md", f"---\nnumber: 1\ntitle: Viel\ndate: 2026-01-05\n---\n\n{body}\n")
    result = krasse(empty_project, "build")
    lines = [line for line in result.output.splitlines() if "[link-text-vague]" in line]
    assert len(lines) == 1 and "×30: lines 7, 9, 11" in lines[0]
    data = json.loads(krasse(empty_project, "check", "--format", "json").output)
    assert sum(f["rule"] == "link-text-vague" for f in data) == 30  # machine output keeps every one


# --- check -q


def test_check_quiet_prints_only_errors(project: Path) -> None:
    noisy = krasse(project, "check")
    assert "warning" in noisy.output
    assert krasse(project, "check", "-q").output == ""
    write(project, "050-kaputt.md", "---\nnumber: [\n---\n\nText\n")
    result = krasse(project, "check", "-q")
    assert result.exit_code == 1
    printed = result.output.strip().splitlines()
    assert printed and all("error [" in line for line in printed)
    assert "050-kaputt.md:2: error [fm-yaml]" in result.output


# --- clean and the stale-output warning


def test_deleted_issue_output_is_reported_and_cleaned(project: Path) -> None:
    assert krasse(project, "build").exit_code == 0
    (project / "issues/043-kurz-und-buendig.md").unlink()
    (project / "outbox/notizen").mkdir()  # not made by krasse: never touched
    result = krasse(project, "build")
    assert "outbox/043-kurz-und-buendig: warning [stale-output]" in result.output and "krasse clean" in result.output
    dry = krasse(project, "clean", "--dry-run")
    assert "would remove outbox/043-kurz-und-buendig/" in dry.output
    assert (project / "outbox/043-kurz-und-buendig/email.html").exists()
    assert krasse(project, "clean").exit_code == 0
    assert not (project / "outbox/043-kurz-und-buendig").exists()
    assert (project / "outbox/notizen").is_dir() and (project / "outbox/041-plattform-daemmerung").is_dir()
    assert "stale-output" not in krasse(project, "build").output
    assert "nothing to clean" in krasse(project, "clean").output


def test_issue_that_became_a_draft_is_stale_a_draft_preview_is_not(project: Path) -> None:
    assert krasse(project, "build", "--drafts").exit_code == 0  # 044 built as a draft (like watch does)
    path = project / "issues/043-kurz-und-buendig.md"
    path.write_text(path.read_text("utf-8").replace("tags: [kurz]", "tags: [kurz]\ndraft: true"), "utf-8")
    result = krasse(project, "clean", "-n")
    assert "outbox/043-kurz-und-buendig/: its issue is a draft now" in result.output
    assert "044" not in result.output


def test_a_broken_issue_file_keeps_its_output(project: Path) -> None:
    assert krasse(project, "build").exit_code == 0
    path = project / "issues/043-kurz-und-buendig.md"
    path.write_text("---\nnumber: [\n---\n\nText\n", "utf-8")
    assert "nothing to clean" in krasse(project, "clean", "-n").output


# --- krasse open


def test_open_resolves_the_built_email_and_archive_page(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "not built yet" in krasse(project, "open", "41", "--print").output
    assert krasse(project, "build").exit_code == 0
    assert krasse(project, "archive").exit_code == 0
    out = project.resolve() / "outbox"
    assert (
        krasse(project, "open", "41", "--print").output.strip()
        == (out / "041-plattform-daemmerung/email.html").as_uri()
    )
    newest = krasse(project, "open", "--print").output.strip()
    assert newest == (out / "043-kurz-und-buendig/email.html").as_uri()
    assert (
        krasse(project, "open", "42", "--archive", "--print").output.strip() == (out / "archive/42/index.html").as_uri()
    )
    assert krasse(project, "open", "--archive", "--print").output.strip() == (out / "archive/index.html").as_uri()
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    assert krasse(project, "open", "43").exit_code == 0
    assert opened == [(out / "043-kurz-und-buendig/email.html").as_uri()]


def test_open_unknown_issue(project: Path) -> None:
    result = krasse(project, "open", "99", "--print")
    assert result.exit_code == 1 and "no issue with number 99" in result.output


# --- --help and the first run


def test_command_list_is_whole_sentences(project: Path) -> None:
    listing = krasse(project, "--help").output.split("Commands:", 1)[1]
    rows = [line for line in listing.splitlines() if line.strip()]
    assert len(rows) == len(cli.commands) and not any(line.rstrip().endswith("...") for line in rows)


def test_no_project_here_points_at_init(tmp_path: Path) -> None:
    result = krasse(tmp_path, "build")
    assert result.exit_code == 1 and "krasse init DIR" in result.output


def test_check_json_is_always_a_list(project: Path) -> None:
    config = project / "newsletter.toml"
    config.write_text(config.read_text("utf-8") + "feed_entriess = 5\n", "utf-8")  # in [archive]: a typo
    data = json.loads(krasse(project, "check", "--format", "json").stdout)
    assert isinstance(data, list) and any(f["rule"] == "config-unknown" for f in data)
    config.write_text('[newsletter]\nname = ""\n', "utf-8")
    result = krasse(project, "check", "--format", "json")
    assert result.exit_code == 1 and {f["rule"] for f in json.loads(result.stdout)} >= {"config-value"}


@pytest.mark.parametrize(
    ("front_matter", "plainly_not_draft"),
    [
        ("number: 5\ndraft: false\n", True),
        ("number: 5\ntitle: x\n", True),
        ("number: 5\ndraft: false # fertig\n", True),
        ("number: 5\ndraft: true\n", False),
        ("number: 5\n'draft': yes\n", False),
        ("number: 5\ndraft: false\ndraft: true\n", False),  # YAML's last key wins: parse it
        ("{number: 5, draft: true}\n", False),  # flow style: only a parse can tell
    ],
)
def test_draft_peek_only_skips_what_is_plainly_not_a_draft(tmp_path, front_matter, plainly_not_draft) -> None:
    import yaml

    from pipeline.load import peek_not_draft

    path = tmp_path / "005-x.md"
    path.write_text(f"---\n{front_matter}---\nText\n", encoding="utf-8")
    assert peek_not_draft(path) is plainly_not_draft
    if plainly_not_draft:
        assert not yaml.safe_load(front_matter).get("draft", False)
