"""Author text that looks like markup to the HTML transforms (the inliner's handlebar passes, the
minifier's style folding) reaches the reader as written: in prose, code spans and alt texts."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT, visible_parts

from pipeline.build import prepare
from pipeline.config import load_config
from pipeline.load import parse_issue

HEAD = '---\nnumber: 999\ntitle: "Test"\ndate: 2026-10-05\nsubject: "Test"\n---\n\n'
INTRO = "Einleitung mit genug Wörtern für alles, was danach kommt.\n\n---\n\n"


def visible(body: str) -> str:
    issue, found = parse_issue(HEAD + INTRO + body, Path("issues/999-test.md"))
    assert issue is not None, found
    built = prepare(issue, load_config(ROOT))
    assert built.email is not None, built.findings
    return "\n".join(visible_parts(built.email.html, alt_text=True))


def test_alt_text_that_reads_like_a_style_attribute_keeps_its_spacing() -> None:
    """The minifier folded `style="a ; b"` inside another attribute's value (an image's alt text)."""
    text = visible('![Beispiel mit style="color: red ; margin: 0" im Alt](https://x.example/a.png)\n')
    assert 'Beispiel mit style="color: red ; margin: 0" im Alt' in text
