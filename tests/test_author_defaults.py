"""Better defaults for authors: a preheader that skips the greeting, `krasse new` that export accepts,
hints for a colon in a title, and errors that do not hide other errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import krasse

from pipeline.text import intro_lead, sentences, skip_greeting

ISSUE = """---
number: 7
title: Ohne Vorschautext
subject: "Krasse Links No. 7: Ohne Vorschautext"
date: 2026-01-05
---

{intro}

---

Ein Eintrag mit einem [Link zum Bericht](https://example.org/bericht).
"""


@pytest.mark.parametrize(
    ("intro", "expected"),
    [
        ("Willkommen bei Krasse Links No. 7. Heute geht es um Brücken.", "Heute geht es um Brücken."),
        ("Herzlich willkommen zur Ausgabe Nr. 12! Drei Links, ein Gedanke.", "Drei Links, ein Gedanke."),
        ("Hallo und willkommen! Moin! Es wird kurz.", "Es wird kurz."),
        ("Liebe Leser*innen, heute schreibe ich über sehr viele lange Dinge, die kein Gruß mehr sind.", None),
        ("Willkommen.", "Willkommen."),  # nothing else to show: keep it
        ("Heute ohne Gruß. Willkommen bei No. 3.", "Heute ohne Gruß. Willkommen bei No. 3."),  # only at the start
    ],
)
def test_skip_greeting(intro: str, expected: str | None) -> None:
    assert skip_greeting(intro) == (intro if expected is None else expected)


def test_sentences_do_not_split_at_numbers_and_abbreviations() -> None:
    assert sentences("Das ist No. 41 und z. B. gut. Dann 2. Teil. Ende!") == [
        "Das ist No. 41 und z. B. gut.",
        "Dann 2. Teil.",
        "Ende!",
    ]


def test_default_preheader_of_a_built_issue_skips_the_greeting(empty_project: Path) -> None:
    intro = "Willkommen bei Krasse Links No. 7. Heute fragen wir, wer die Brücken eigentlich zählt."
    (empty_project / "issues/007-ohne.md").write_text(ISSUE.format(intro=intro), encoding="utf-8")
    assert krasse(empty_project, "build").exit_code == 0
    meta = json.loads((empty_project / "outbox/007-ohne/meta.json").read_text("utf-8"))
    assert meta["preheader"] == "Heute fragen wir, wer die Brücken eigentlich zählt."
    assert intro_lead(intro, 30).startswith("Heute fragen wir")


def test_new_issue_has_subject_and_preheader_and_exports(empty_project: Path) -> None:
    result = krasse(empty_project, "new", "--title", "Teil 2: Die Rückkehr")
    assert result.exit_code == 0, result.output
    path = next((empty_project / "issues").glob("001-*.md"))
    text = path.read_text("utf-8")
    assert 'subject: "Krasse Links No. 1: Teil 2: Die Rückkehr"\n' in text and 'preheader: ""\n' in text
    path.write_text(text + "Heute geht es um Brücken, Tunnel und die Frage, wer sie zählt.\n", "utf-8")
    exported = krasse(empty_project, "export", "1", "--drafts")
    assert exported.exit_code == 0, exported.output


@pytest.mark.parametrize("title", ["", "   "])
def test_new_refuses_an_empty_title(empty_project: Path, title: str) -> None:
    result = krasse(empty_project, "new", "--title", title)
    assert result.exit_code == 1 and "new-title" in result.output
    assert list((empty_project / "issues").glob("*.md")) == []


def test_a_colon_in_a_title_gets_the_quote_hint(empty_project: Path) -> None:
    (empty_project / "issues/001-teil.md").write_text(
        "---\nnumber: 1\ntitle: Teil 2: Die Rückkehr\ndate: 2026-01-05\n---\n\nText.\n", "utf-8"
    )
    result = krasse(empty_project, "check")
    assert "issues/001-teil.md:3: error [fm-yaml]" in result.output
    assert 'a value with a colon needs quotes: title: "Teil 2: Die Rückkehr"' in result.output


# --- errors do not hide other errors


def test_config_error_still_shows_the_did_you_mean(project: Path) -> None:
    config = project / "newsletter.toml"
    text = config.read_text("utf-8").replace('address = "post@', 'adress = "post@').replace("#c2185b", "rot")
    config.write_text(text, "utf-8")
    result = krasse(project, "build")
    assert result.exit_code == 1
    assert "[config-value] newsletter.brand_color" in result.output
    assert "[config-missing] sender.address" in result.output
    assert "sender.adress: unknown key (did you mean 'sender.address'?)" in result.output


def test_front_matter_error_still_runs_the_body_checks(empty_project: Path) -> None:
    body = "Intro.\n\n---\n\nMehr [hier](https://example.org/a) und ein Bild ![](https://example.org/b.png).\n"
    path = empty_project / "issues/001-kaputt.md"
    path.write_text("---\nnumber: 1\ntitle: Teil 2: Kaputt\ndate: 2026-01-05\n---\n\n" + body, "utf-8")
    result = krasse(empty_project, "check", "--format", "json")
    assert result.exit_code == 1
    found = {(f["rule"], f["line"]) for f in json.loads(result.stdout)}
    assert found == {("fm-yaml", 3), ("link-text-vague", 11), ("img-alt", 11)}
    assert not (empty_project / "outbox/001-kaputt").exists()


@pytest.mark.parametrize(
    ("intro", "expected"),
    [
        (  # one sentence longer than the limit: cut at a word, not after the ordinal (it gave "Am 5.")
            "Hallo! Am 5. Januar erscheint die nächste Ausgabe mit einem langen Schwerpunkt über Brücken, "
            "Fähren und Stege.",
            "Am 5. Januar erscheint die nächste Ausgabe mit einem langen Schwerpunkt über Brücken, Fähren und…",
        ),
        (  # an abbreviation does not end it either (it gave "Das steht z.")
            "Das steht z. B. im Bericht des Landkreises über die Fähren, die im Winter an keinem einzigen Tag fuhren.",
            "Das steht z. B. im Bericht des Landkreises über die Fähren, die im Winter an keinem einzigen Tag…",
        ),
        (  # whole sentences when they fit, with the ordinal inside the first
            "Moin! Am 12. März zählen wir Brücken. "
            "Danach zählen wir alle Stege und Furten im ganzen Landkreis, jede einzelne.",
            "Am 12. März zählen wir Brücken.",
        ),
    ],
)
def test_default_preheader_splits_sentences_as_sentences_does(intro: str, expected: str) -> None:
    """The preheader ends where `sentences` ends a sentence: never at `5. Januar` or `z. B.`."""
    assert intro_lead(intro, 100) == expected
