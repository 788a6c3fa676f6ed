"""Author text reaches the reader character for character through Markdown, email.txt and email.html
(not only word for word, as test_no_word_lost.py checks)."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, visible_parts

from pipeline.build import prepare
from pipeline.config import load_config
from pipeline.load import parse_issue

HEAD = '---\nnumber: 998\ntitle: "Vorlagen"\ndate: 2026-11-02\n---\n\n'


def built(body: str):
    issue, found = parse_issue(HEAD + body, Path("issues/998-vorlagen.md"))
    assert issue is not None, found
    email = prepare(issue, load_config(ROOT)).email
    assert email is not None
    return email


def test_no_break_spaces_in_a_footnote_survive_in_email_txt() -> None:
    """A footnote's first paragraph is wrapped again behind its label: `10 km` and `z. B.` keep
    their no-break spaces there, as in every other paragraph."""
    note = "[^1]: Eine Note mit 10\u00a0km und z.\u202fB. hier.\n"
    email = built("Einleitung.\n\n---\n\nText[^1] mit 10\u00a0km.\n\n" + note)
    assert "Text[Anm. 1] mit 10\u00a0km." in email.text
    assert "[Anm. 1] Eine Note mit 10\u00a0km und z.\u202fB. hier." in email.text
