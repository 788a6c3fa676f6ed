"""Reading an issue: bytes → text → front matter → validated Issue, or findings with file:line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.load import FIELDS, MAX_BYTES, decode, duplicate_numbers, issue_paths, parse_issue, read_issue

GOOD = """---
number: 7
title: "Über Plattformen"
date: 2026-10-05
tags: [ki, medien]
---

Willkommen.
"""


def parse(text: str) -> tuple:
    return parse_issue(text, Path("issues/007-x.md"))


def test_good_issue_is_read_with_defaults() -> None:
    issue, found = parse(GOOD)
    assert found == []
    assert issue.meta.number == 7 and issue.meta.title == "Über Plattformen"
    assert issue.meta.date == dt.date(2026, 10, 5)
    assert issue.meta.subject == "Über Plattformen"  # defaults to the title
    assert issue.meta.tags == ("ki", "medien") and issue.meta.draft is False and issue.meta.clip is None
    assert issue.body == "\nWillkommen.\n"
    assert issue.body_line == 7  # file line of the body's first (here blank) line
    assert issue.line_of("date") == 4 and issue.line_of("tags") == 5


def test_numbers_and_dates_as_text_where_authors_mean_text() -> None:
    issue, found = parse(GOOD.replace('"Über Plattformen"', "1984").replace("tags: [ki, medien]", "tags: ki"))
    assert found == [] and issue.meta.title == "1984" and issue.meta.tags == ("ki",)


def test_quoted_iso_date_accepted_and_bad_calendar_date_reported() -> None:
    issue, _ = parse(GOOD.replace("2026-10-05", '"2026-10-05"'))
    assert issue.meta.date == dt.date(2026, 10, 5)
    _, found = parse(GOOD.replace("2026-10-05", '"2026-02-30"'))
    assert [(f.line, f.rule) for f in found] == [(4, "fm-type")]


@pytest.mark.parametrize(
    ("line", "replacement", "rule", "where", "text"),
    [
        ("number: 7", "number: -3", "fm-type", 2, "above 0"),
        ("number: 7", "number: true", "fm-type", 2, "whole number"),
        ("tags: [ki, medien]", "tags: {a: 1}", "fm-type", 5, "list of words"),
        ("tags: [ki, medien]", "draft: 'ja'", "fm-type", 5, "true or false"),
        ("tags: [ki, medien]", "clip: cut", "fm-type", 5, "warn or split"),
        ("tags: [ki, medien]", "preheadr: Hallo", "fm-unknown", 5, "did you mean 'preheader'"),
        ("tags: [ki, medien]", "farbe: rot", "fm-unknown", 5, "known: number, title"),
        ("tags: [ki, medien]", "number: 8", "fm-duplicate", 5, "first on line 2"),
        ('title: "Über Plattformen"', 'title: ""', "fm-type", 3, "must not be empty"),
    ],
)
def test_front_matter_problems_name_the_line(line: str, replacement: str, rule: str, where: int, text: str) -> None:
    _, found = parse(GOOD.replace(line, replacement))
    match = [f for f in found if f.rule == rule]
    assert match, found
    assert match[0].line == where and text in match[0].message
    assert match[0].file.endswith("007-x.md")


def test_every_problem_is_reported_at_once() -> None:
    _, found = parse("---\nnumber: x\ntitle: [1]\ndate: morgen\n---\n\nText\n")
    assert [(f.line, f.rule) for f in found] == [(2, "fm-type"), (3, "fm-type"), (4, "fm-type")]


def test_missing_required_keys() -> None:
    _, found = parse("---\ntitle: T\n---\n\nText\n")
    assert sorted(f.message.split(":")[0] for f in found if f.rule == "fm-missing") == ["date", "number"]


def test_no_front_matter_empty_body_and_non_mapping() -> None:
    assert parse("Nur Text.\n")[1][0].rule == "fm-missing"
    assert parse("---\nnumber: 1\ntitle: T\ndate: 2026-01-01\n---\n\n\n")[1][0].rule == "body-empty"
    assert parse("---\n- a\n- b\n---\n\nText\n")[1][0].rule == "fm-yaml"
    assert parse("   \n\n")[1][0].rule == "file-empty"


def test_yaml_error_line_is_where_the_problem_starts() -> None:
    _, found = parse('---\nnumber: 1\ntitle: "offen\ndate: 2026-01-01\n---\n\nText\n')
    assert [(f.line, f.rule) for f in found] == [(3, "fm-yaml")]
    _, found = parse("---\nnumber: 1\ntitle: a: b\ndate: 2026-01-01\n---\n\nText\n")
    assert [(f.line, f.rule) for f in found] == [(3, "fm-yaml")]


def test_decode_bom_crlf_cr_and_bad_bytes() -> None:
    assert decode("\ufeff---\r\na\r\n".encode(), "x.md") == ("---\na\n", [])
    assert decode(b"a\rb", "x.md") == ("a\nb", [])
    text, found = decode(b"eins\nzwei\nkaputt \xe4\n", "x.md")
    assert text is None and (found[0].line, found[0].rule) == (3, "file-encoding") and "0xe4" in found[0].message
    text, found = decode(b"x" * (MAX_BYTES + 1), "x.md")
    assert text is None and found[0].rule == "file-size"


def test_read_issue_from_disk_and_listing(tmp_path: Path) -> None:
    (tmp_path / "001-a.md").write_bytes(GOOD.replace("\n", "\r\n").encode("utf-8-sig"))
    (tmp_path / "_vorlage.md").write_text("x")
    (tmp_path / ".versteckt.md").write_text("x")
    (tmp_path / "notiz.txt").write_text("x")
    assert [p.name for p in issue_paths(tmp_path)] == ["001-a.md"]
    issue, found = read_issue(tmp_path / "001-a.md")
    assert found == [] and issue.body == "\nWillkommen.\n" and issue.meta.number == 7
    _, found = read_issue(tmp_path / "fehlt.md")
    assert found[0].rule == "file-read"


def test_duplicate_numbers_flag_every_file() -> None:
    a, _ = parse_issue(GOOD, Path("issues/a.md"))
    b, _ = parse_issue(GOOD, Path("issues/b.md"))
    c, _ = parse_issue(GOOD.replace("number: 7", "number: 8"), Path("issues/c.md"))
    found = duplicate_numbers([a, b, c])
    assert [(f.file, f.line, f.rule) for f in found] == [
        ("issues/a.md", 2, "dup-number"),
        ("issues/b.md", 2, "dup-number"),
    ]
    assert "issues/a.md, issues/b.md" in found[0].message


def test_fields_table_has_a_validator_and_doc_for_every_key() -> None:
    assert {"number", "title", "date"} == {k for k, (_, required, _) in FIELDS.items() if required}
    assert all(callable(v) and doc for v, _, doc in FIELDS.values())
