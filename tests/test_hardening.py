"""Hostile or huge input (issue 11): a clear finding with file and line, never a crash, a leak or a deletion.

Every test here reproduces a defect found on main with tight sizes, so the suite stays fast.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import krasse
from test_bad_input import INTRO, assert_finding

from pipeline.load import parse_issue, read_issue


def head(**fields: str) -> str:
    lines = {"number": "1", "title": '"Test"', "date": "2026-01-05", **fields}
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in lines.items()) + "---\n\n"


def write(project: Path, name: str, content: str | bytes) -> Path:
    path = project / "issues" / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- YAML: alias bombs, huge integers, header injection -------------------------------------------

ALIAS_BOMB = (
    "---\nnumber: 2\ntitle: Bombe\ndate: 2026-01-05\n"
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "tags: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "---\n\nText.\n"
)


def test_alias_bomb_is_refused_at_parse_time_with_a_short_message() -> None:
    start = time.perf_counter()
    issue, found = parse_issue(ALIAS_BOMB, Path("issues/002-x.md"))
    assert time.perf_counter() - start < 1
    assert issue is None
    assert [f.rule for f in found] == ["fm-yaml"], found
    assert found[0].line == 6  # the first alias: `b:` names `*a`
    assert "alias" in found[0].message and len(found[0].message) < 300


def test_one_alias_bomb_does_not_slow_building_another_issue(empty_project: Path) -> None:
    write(empty_project, "001-bombe.md", ALIAS_BOMB.replace("number: 2", "number: 1"))
    write(empty_project, "002-gut.md", head(number="2") + INTRO + "Alles gut.\n")
    start = time.perf_counter()
    result = krasse(empty_project, "build", str(empty_project / "issues/002-gut.md"))
    assert time.perf_counter() - start < 10
    assert result.exit_code == 0, result.output
    assert "001-bombe" not in result.output  # only the issue asked for is reported


def test_values_in_messages_are_truncated() -> None:
    text = head(number="[" + ", ".join(["wort"] * 5000) + "]") + "Text.\n"
    issue, found = parse_issue(text, Path("issues/001-x.md"))
    assert issue is None and found[0].rule == "fm-type"
    assert len(found[0].message) < 300 and "..." in found[0].message


def test_duplicate_numbers_still_found_across_the_folder(empty_project: Path) -> None:
    write(empty_project, "001-a.md", head(number="5") + INTRO + "A.\n")
    write(empty_project, "002-b.md", head(number="5") + INTRO + "B.\n")
    result = krasse(empty_project, "build", str(empty_project / "issues/001-a.md"))
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-a.md", 2, "dup-number", "002-b.md")


@pytest.mark.parametrize("command", ["build", "check"])
def test_huge_integer_is_a_finding_with_the_line(empty_project: Path, command: str) -> None:
    write(empty_project, "001-gross.md", head(number="9" * 5000) + INTRO + "Text.\n")
    result = krasse(empty_project, command)
    assert result.exit_code == 1
    message = assert_finding(result.output, "issues/001-gross.md", 2, "fm-type", "number")
    assert len(message) < 300


def test_huge_integer_in_another_file_does_not_break_a_build(empty_project: Path) -> None:
    write(empty_project, "001-gross.md", head(number="9" * 5000) + INTRO + "Text.\n")
    write(empty_project, "002-gut.md", head(number="2") + INTRO + "Alles gut.\n")
    result = krasse(empty_project, "build", str(empty_project / "issues/002-gut.md"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", '"Hallo\\r\\nBcc: victim@evil.example"'),
        ("subject", '"Hallo\\nWelt"'),
        ("title", '"Zeile\\rzwei"'),
        ("subject", '"Null\\0Byte"'),
    ],
)
def test_line_breaks_in_header_fields_are_a_check_error(empty_project: Path, field: str, value: str) -> None:
    write(empty_project, "001-kopf.md", head(**{field: value}) + INTRO + "Text.\n")
    result = krasse(empty_project, "check")
    assert result.exit_code == 1
    line = 2 + list(head(**{field: value}).split("\n")).index(f"{field}: {value}") - 1
    assert_finding(result.output, "issues/001-kopf.md", line, "fm-header", field)


def test_crlf_subject_never_reaches_export(empty_project: Path) -> None:
    write(empty_project, "001-kopf.md", head(subject='"Hallo\\r\\nBcc: victim@evil.example"') + INTRO + "Text.\n")
    result = krasse(empty_project, "export", "1")
    assert result.exit_code == 1
    assert "fm-header" in result.output


def test_read_issue_names_the_file_for_any_value_problem(tmp_path: Path) -> None:
    path = tmp_path / "001-x.md"
    path.write_text(head(date="2026-01-05T99:99:99") + "Text.\n", encoding="utf-8")
    issue, found = read_issue(path)
    assert issue is None and found and all(f.file.endswith("001-x.md") for f in found)


def test_peek_number_reads_only_a_plain_number_line(tmp_path: Path) -> None:
    from pipeline.load import peek_number

    path = tmp_path / "001-x.md"
    path.write_text(head(number="42") + "Text.\n", encoding="utf-8")
    assert peek_number(path) == 42
    path.write_bytes(head(number="42").replace("\n", "\r\n").encode())
    assert peek_number(path) == 42
    path.write_text(head(number="9" * 5000) + "Text.\n", encoding="utf-8")
    assert peek_number(path) is None
    path.write_text("Text ohne Kopf\nnumber: 3\n", encoding="utf-8")
    assert peek_number(path) is None


# --- Raw HTML nested so deep that MJML's parser overflows its stack -------------------------------


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    """In a child process: on main this input killed the process with signal 11."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "-C", str(project), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project,
    )


DEEP = "<div>" * 12000 + "x" + "</div>" * 12000


@pytest.mark.parametrize("command", ["build", "check"])
def test_deep_raw_html_is_a_nesting_error_not_a_segfault(empty_project: Path, command: str) -> None:
    write(empty_project, "001-tief.md", head() + INTRO + "Davor.\n\n" + DEEP + "\n")
    result = run_cli(empty_project, command)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert_finding(result.stdout + result.stderr, "issues/001-tief.md", 13, "nesting-depth", "HTML")


def test_raw_html_nesting_is_counted_across_blocks_and_reports_its_line(empty_project: Path) -> None:
    from pipeline.build import prepare
    from pipeline.config import load_config
    from pipeline.load import read_issue

    body = INTRO + "<div>\n\n" * 60 + "Mitte\n\n" + "<span>" * 60 + "tief" + "</span>" * 60 + "\n\n" + "</div>\n\n" * 60
    path = write(empty_project, "001-tief.md", head() + body)
    issue, found = read_issue(path)
    assert issue is not None, found
    built = prepare(issue, load_config(empty_project))
    assert built.email is None
    deep = [f for f in built.findings if f.rule == "nesting-depth"]
    assert len(deep) == 1 and deep[0].line == 6 + 4 + 120 + 2 + 1, deep


def test_shallow_raw_html_still_builds(empty_project: Path) -> None:
    write(empty_project, "001-flach.md", head() + INTRO + "<div>" * 40 + "flach" + "</div>" * 40 + "\n")
    result = krasse(empty_project, "build")
    assert result.exit_code == 0, result.output
