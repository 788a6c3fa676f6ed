"""Foreign-language passages get `lang` (WCAG 3.1.2); German text never does."""

from __future__ import annotations

import re

import pytest

from pipeline.language import foreign_language
from pipeline.markdown import parse, render_html


def html(src: str) -> str:
    return "".join(render_html(parse(src)).items)


# German sentences full of English loanwords and names: the hard cases for a detector.
GERMAN = [
    "Das Meeting zum Cloud-Computing wurde auf Montag verschoben, weil das Team noch am Deployment sitzt.",
    "Der Deep-Learning-Hype hat die Start-ups im Silicon Valley reich gemacht, aber nicht die Nutzer*innen.",
    "Ich habe den Newsletter im Homeoffice gelesen, während im Livestream das Keynote-Feuerwerk lief.",
    "Die Plattform nennt es Engagement, ich nenne es Aufmerksamkeitsökonomie mit schlechtem Design.",
    "Software as a Service ist für viele Verwaltungen ein Lock-in, den sie erst beim Update bemerken.",
    "Big Tech hat den Public Space übernommen, und die Politik schaut beim Streaming zu.",
    "Wer Open Source sagt, meint oft nur Open Weights, und das ist nicht dasselbe.",
]
ENGLISH = [
    "We are not against machines reading our work; we are against machines selling it back to us.",
    "The question is never just what a company builds, but whose time it gets to schedule for everyone.",
]


@pytest.mark.parametrize("sentence", GERMAN)
def test_german_with_loanwords_is_never_labelled(sentence: str) -> None:
    assert foreign_language(sentence) is None
    assert "lang=" not in html(sentence + "\n\n> " + sentence + "\n")


@pytest.mark.parametrize("sentence", ENGLISH)
def test_english_quote_and_paragraph_get_lang_en(sentence: str) -> None:
    out = html(f"Sie schreibt:\n\n> {sentence}\n\n{sentence}\n")
    assert '<blockquote lang="en">' in out
    assert f'<p lang="en">{sentence}</p>' in out
    assert "<p>Sie schreibt:</p>" in out


def test_short_passages_are_left_alone() -> None:
    assert foreign_language("This is the moment.") is None  # too short to be sure


def test_author_override_both_ways() -> None:
    out = html("{lang=en}\n> Yes.\n\n{lang=de}\n> " + ENGLISH[0] + "\n\n{lang=fr}\nOui, c'est ça.\n")
    assert '<blockquote lang="en">\n<p>Yes.</p>' in out  # too short to detect, but the author says so
    assert out.count('lang="en"') == 1  # the English quote the author marked German stays unmarked
    assert 'lang="de"' in out and '<p lang="fr">' in out


def test_tight_list_item_carries_the_language() -> None:
    out = html(f"- {ENGLISH[0]}\n- Ein ganz normaler deutscher Punkt in der Liste mit mehreren Wörtern.\n")
    assert re.search(r'<li lang="en">', out) and out.count('lang="en"') == 1


def test_nested_quotes_are_decided_as_a_whole() -> None:
    out = html(f"> {ENGLISH[1]}\n>\n> > Ein deutscher Satz im Zitat, der auch deutsch bleiben soll.\n")
    assert out.count("lang=") == 1
