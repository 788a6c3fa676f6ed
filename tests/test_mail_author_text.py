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


def test_template_attribute_in_a_code_span_is_not_escaped_twice() -> None:
    """premailer's handlebar pass escaped `="{{…}}"` anywhere in the email: `&` read `&amp;`."""
    text = visible('Im Layout: `<a title="{{ name & co }}">` und so.\n')
    assert '<a title="{{ name & co }}">' in text


def test_template_attribute_in_prose_keeps_angle_brackets() -> None:
    text = visible('Sie schrieben a="{{ Nutzer*innen <Moment> }}" ins Formular.\n')
    assert 'a="{{ Nutzer*innen <Moment> }}"' in text


def test_percent_encoded_braces_in_text_stay_encoded() -> None:
    """premailer's handlebar pass decoded `="%7B%7B…%7D%7D"` anywhere in the email, text too."""
    text = visible('Kodiert: b="%7B%7BHallo%7D%7D" und `<img alt="%7B%7Bx%7D%7D">` fertig.\n')
    assert 'b="%7B%7BHallo%7D%7D"' in text
    assert '<img alt="%7B%7Bx%7D%7D">' in text


def test_alt_text_that_reads_like_a_style_attribute_keeps_its_spacing() -> None:
    """The minifier folded `style="a ; b"` inside another attribute's value (an image's alt text)."""
    text = visible('![Beispiel mit style="color: red ; margin: 0" im Alt](https://x.example/a.png)\n')
    assert 'Beispiel mit style="color: red ; margin: 0" im Alt' in text


def test_non_breaking_indentation_after_a_line_break_stays() -> None:
    """The minifier took every Unicode space after `<br>` and before block tags for foldable white
    space; a no-break space or em space is a character the reader sees (indentation in a poem)."""
    text = visible("Vers eins\\\n\u00a0\u00a0\u00a0eingerückt\\\n\u2003mit Geviert\n")
    assert "\u00a0\u00a0\u00a0eingerückt" in text
    assert "\u2003mit Geviert" in text
