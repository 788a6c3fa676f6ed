"""Fuzzing the load and render stages (issue 11): random bytes, random YAML, random Markdown/HTML.

Whatever comes in, the answer is an output or a finding with the file, never an exception and
never neither. Small example counts and no deadline keep it to seconds on a busy machine.
"""

from __future__ import annotations

import threading

import pytest
from conftest import ROOT, copy_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.build import prepare
from pipeline.config import load_config
from pipeline.errors import has_errors
from pipeline.load import FIELDS, decode, parse_issue

CONFIG = load_config(ROOT)
PATH = ROOT / "issues" / "900-fuzz.md"
NAME = "issues/900-fuzz.md"
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

GOOD_HEAD = '---\nnumber: 900\ntitle: "Fuzz"\ndate: 2026-01-05\n---\n\n'

# Pieces that have broken parsers before, mixed with arbitrary text.
MARKDOWN = [
    "<div>", "</div>", "<span>", "</span>", "<table><tr><td>", "</td></tr></table>", "<Moment>",
    "<script>alert(1)</script>", "<!--", "-->", "<img src=x onerror=alert(1)>", "<svg><script>",
    "[^1]", "[^1]: Notiz\n", "[^x]", "| a | b |\n|---|---|\n| 1 | 2 |\n", "> ", "- ", "1. ", "    code\n",
    "```\n", "**", "_", "~~", "![Bild](images/kurve.png)", "![](../../etc/passwd)", "[Link](https://example.org)",
    "[hier](http://x)", "\n---\n", "\n\n", "\r\n", "\x00", "\u2028", "Nutzer*innen", "„Zitat“", "&amp;", "&#0;",
    "{{unsubscribe_url}}", "{% raw %}", "{{ 7*7 }}", "\\", "`", "<", ">", "#", "# Titel\n", "Text\n===\n",
]  # fmt: skip
YAML_VALUES = [
    "1", "-1", "0", "99999999999999999999999", "9" * 5000, "1e999", ".inf", "~", "null", "true", "[a, b]",
    "{a: 1}", "&a [x, y]", "*a", "!!binary aGFsbG8=", "!!python/object:os.system", '"\\r\\nBcc: x@y"',
    "|\n  zwei\n  Zeilen",
    "2026-01-05", "2026-13-40", "'unclosed", '"unclosed', "[", "{", ": :", "- a\n- b", "<<: *a", "1:2:3",
]  # fmt: skip


def outcome(raw: bytes) -> None:
    """Load and render one file's bytes; assert a finding or an output, naming the file."""
    text, found = decode(raw, NAME)
    if text is None:
        assert found and all(f.file == NAME for f in found)
        return
    issue, found = parse_issue(text, PATH)
    if issue is None:
        assert found, "no issue and no finding"
        assert all(f.file == NAME and len(f.message) < 1000 for f in found), found
        return
    built = prepare(issue, CONFIG)
    assert built.email is not None or has_errors(built.findings), "no email and no error"
    assert all(len(f.message) < 1000 for f in built.findings)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(raw: bytes) -> None:
    outcome(raw)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_after_a_good_head(raw: bytes) -> None:
    outcome(GOOD_HEAD.encode() + raw)


keys = st.one_of(st.sampled_from(sorted(FIELDS)), st.text(min_size=1, max_size=12))
values = st.one_of(st.sampled_from(YAML_VALUES), st.text(max_size=40))


@FUZZ
@given(st.lists(st.tuples(keys, values), max_size=10), st.sampled_from(["Text.\n", "", "---\n", "\n"]))
def test_random_yaml(pairs: list[tuple[str, str]], body: str) -> None:
    front = "".join(f"{key}: {value}\n" for key, value in pairs)
    outcome(f"---\n{front}---\n\n{body}".encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(MARKDOWN), st.text(max_size=30)), max_size=60))
def test_random_markdown_and_html(parts: list[str]) -> None:
    outcome((GOOD_HEAD + "Einleitung.\n\n" + "".join(parts)).encode("utf-8", "surrogatepass"))


@settings(FUZZ, max_examples=25)
@given(st.integers(1, 130), st.integers(1, 5), st.integers(0, 130))
def test_deep_and_repeated_nesting(levels: int, repeat: int, quotes: int) -> None:
    """Both sides of the 100-level caps, for raw HTML and for Markdown quotes."""
    body = ("<div>" * levels + "x" + "</div>" * levels + "\n\n") * repeat + "> " * quotes + "tief\n"
    outcome((GOOD_HEAD + "Einleitung.\n\n" + body).encode())


@pytest.fixture(scope="module")
def preview_project(tmp_path_factory: pytest.TempPathFactory):
    from pipeline.preview import Preview

    root = tmp_path_factory.mktemp("fuzz") / "project"
    copy_project(root)
    (root / "outbox").mkdir()
    with Preview(root, port=0) as preview:
        yield root, preview


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(st.one_of(st.sampled_from(MARKDOWN + YAML_VALUES), st.text(max_size=30)), max_size=40))
def test_preview_keeps_answering(preview_project, parts: list[str]) -> None:
    from test_preview_server import _get

    from pipeline.preview.watcher import Batch

    root, preview = preview_project
    path = root / "issues" / "900-fuzz.md"
    path.write_bytes(("---\nnumber: 900\n" + "".join(parts)).encode("utf-8", "surrogatepass"))
    results: list = []
    rebuild = threading.Thread(target=lambda: results.extend(preview.builder.run(Batch(frozenset({path})))))
    rebuild.start()
    assert _get(preview, "/")[0] == 200  # while the hostile file is being built
    rebuild.join(timeout=60)
    [result] = results
    assert result.errors or result.bytes
    assert _get(preview, "/issue/900-fuzz/status.json")[0] == 200
    assert _get(preview, "/issue/043-kurz-und-buendig/email.html")[0] == 200
    assert preview.alive
