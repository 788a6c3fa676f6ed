"""The fast markdown-it loops give exactly the tokens, notes and HTML of markdown-it's own loops.

`configured(fast=False)` is the same parser with the library's block and inline loops and its
`normalize`; every document here is parsed and rendered with both and compared in full.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from generate import generate_issue
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import markdown
from pipeline.load import parse_issue

ROOT = Path(__file__).resolve().parent.parent
FAST, PLAIN = markdown.configured(), markdown.configured(fast=False)

PIECES = [
    "Wort", " ", "\n", "\n\n", "\t", "    ", "> ", ">", "- ", "* ", "+ ", "1. ", "2) ", "# ", "## Titel\n",
    "```\n", "~~~", "---\n", "***\n", "___", "===\n", "| a | b |\n|---|:-:|\n| 1 | 2 |\n", "|", "-", ":",
    "[^1]", "[^1]: Notiz\n", "[^n]: Zweite\n    weiter\n", "{lang=en}\n", "{", "}", "<div>", "</div>",
    "<span>", "<Moment>", "<!-- c -->", "<https://example.org>", "<a href='x'>", "Nutzer*innen", "jede*r",
    "*", "**", "_", "~~", "`", "`code`", "[Link](https://example.org/a-b)", "[x](<a b> 'T')", "[ref]",
    "[ref]: https://example.org\n", "![Bild](bild.png)", "!", "&amp;", "&#x41;", "&", "\\*", "\\", "ä",
    "„Zitat“", "\r\n", "\r", "\x00", "=", "@", "$", "%", "^", "The quick fox.", "\u00a0",
    "(", ")", "](", "[x](", "[x](a(b)c)", "https://example.org/ä?q=1&amp;x", "\x7f", '"Titel"',
]  # fmt: skip


def tokens(doc: markdown.Document) -> list:
    return [[t.as_dict() for t in run] for run in [*doc.items, doc.notes]]


def without_empty_notes(env: dict) -> dict:
    """The footnote plugin's reference rule files an empty notes table the first time it is asked,
    and the fast loop asks it only at a `[`; footnote_tail, `footnote_count` and the checks read an
    empty table exactly like a missing one, so that is the one difference allowed."""
    if env.get("footnotes") == {"refs": {}, "list": {}}:
        return {k: v for k, v in env.items() if k != "footnotes"}
    return env


def both(body: str, monkeypatch: pytest.MonkeyPatch) -> tuple:
    outcomes = []
    for md in (FAST, PLAIN):
        with monkeypatch.context() as m:
            m.setattr(markdown, "parser", lambda md=md: md)
            doc = markdown.parse(body)
            before = tokens(doc)
            html = markdown.render_html(doc, lambda s: "https://bilder.example/" + s, lambda s: (640, 480))
            outcomes.append((before, without_empty_notes(doc.env), doc.item_lines, html))
    return tuple(outcomes)


def assert_same(body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, plain = both(body, monkeypatch)
    assert fast == plain


@pytest.mark.parametrize("path", sorted((ROOT / "issues").glob("*.md")), ids=lambda p: p.stem)
def test_examples(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issue, _ = parse_issue(path.read_text(encoding="utf-8"), path)
    assert issue is not None
    assert_same(issue.body, monkeypatch)


@pytest.mark.parametrize(("size", "notes"), [(5_000, 1), (24_000, 7), (24_000, 45)])
def test_generated(size: int, notes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(generate_issue(size, size, seed=size + notes, footnotes=notes), monkeypatch)


def test_nesting_past_the_limit_is_recorded_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "> " * (markdown.MAX_NESTING + 5) + "tief\n\n" + "- " * 60 + "Liste\n"
    fast, plain = both(body, monkeypatch)
    assert fast == plain
    assert fast[1]["too_deep"]  # the guard fired in both


@pytest.mark.parametrize(
    "body",
    [
        "Absatz\n\n| a | b |\n|---|---|\n| 1 | 2 |\n2. weiter\n",  # after a one-line paragraph …
        "| a | b |\n|---|---|\n| 1 | 2 |\n2. weiter\n",  # … and without one: a list may end the table
        "Absatz\n\n| a |\n|---|\n| 1 |\n- \n",
        "- Punkt\n\n  | a |\n  |---|\n  | 1 |\n  3. drei\n",
        "Titel\n===\n\nText\n---\n",
    ],
)
def test_one_line_paragraphs_before_tables_lists_and_setext_headings(
    body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast loop skips the setext-heading scan for a line with no next line in its block."""
    assert_same(body, monkeypatch)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_random_documents(body: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_same(body, monkeypatch)
