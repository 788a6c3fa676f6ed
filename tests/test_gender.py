"""German gender forms survive Markdown: `Nutzer*innen` is a word, not the start of emphasis."""

from __future__ import annotations

import pytest

from pipeline.markdown import gender_star_lines, parse, render_html
from pipeline.text import render_text

# Forms from German political and tech writing: plural, singular, pronouns, articles, compounds.
WORDS = [
    "Nutzer*innen", "Nutzer*in", "Akteur*innen", "Endnutzer*innen", "Autor*innen", "Kolleg*innen",
    "Ärzt*innen", "Bürger*innen", "Expert*innen", "Entwickler*innen", "jede*r", "jede*n", "jedem*r",
    "ein*e", "eine*n", "keine*r", "Student*innen", "Journalist*innen", "Politiker*innenzimmer",
    "Nutzer*innenkonto", "Lehrer*in", "Wähler*innen", "Kund*innen", "Beamt*innen", "Mitarbeiter*innen",
]  # fmt: skip


def html(src: str) -> str:
    return "".join(render_html(parse(src)).items)


def text(src: str) -> str:
    return "".join(render_text(parse(src)).items)


@pytest.mark.parametrize("word", WORDS)
def test_gender_star_is_a_literal_star(word: str) -> None:
    src = f"Die {word} sagen, dass andere {word} das auch so sehen."
    out = html(src)
    assert "<em>" not in out and "<strong>" not in out
    assert out.count(word) == 2
    assert text(src).count(word) == 2


def test_passage_between_two_gender_stars_stays_upright() -> None:
    src = "Die Akteur*innen nicht überformt, sondern die Endnutzer*innen selbst entscheiden."
    out = html(src)
    assert "<em>" not in out
    assert "Akteur*innen nicht überformt" in out and "Endnutzer*innen selbst" in out
    assert "Akteur*innen" in text(src) and "Endnutzer*innen" in text(src)


@pytest.mark.parametrize(
    ("src", "fragment"),
    [
        ("ein *kursives* Wort", "<em>kursives</em>"),
        ("ein **fettes** Wort", "<strong>fettes</strong>"),
        ("die Haupt*sache* ist", "Haupt<em>sache</em>"),
        ("die **Nutzer*innen** lesen", "<strong>Nutzer*innen</strong>"),
        ("die *Nutzer*innen* lesen", "<em>Nutzer*innen</em>"),
        ("*kursiv* und Nutzer*innen und *mehr*", "<em>kursiv</em> und Nutzer*innen und <em>mehr</em>"),
        (r"ein\*e literal", "ein*e literal"),
    ],
)
def test_emphasis_keeps_working(src: str, fragment: str) -> None:
    assert fragment in html(src)


@pytest.mark.parametrize("word", ["Nutzer:innen", "NutzerInnen", "Nutzer_innen", "Nutzer/-innen"])
def test_other_gender_forms_are_untouched(word: str) -> None:
    src = f"Die {word} und die {word}."
    assert html(src) == f"<p>Die {word} und die {word}.</p>\n"
    assert text(src).count(word) == 2


def test_code_keeps_its_stars() -> None:
    assert "<code>a*in*b</code>" in html("Code `a*in*b` bleibt.")


def test_ambiguous_line_is_reported() -> None:
    doc = parse("Klar: Nutzer*innen.\n\nUnklar: die Leser*in *mit Betonung.\n")
    assert gender_star_lines(doc) == [2]
