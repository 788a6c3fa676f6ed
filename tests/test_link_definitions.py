"""A line that reads as a link reference definition (`[Korrektur]: erledigt.`) and that no link uses
is the author's text: it is shown where it stands, and `check` says why (`link-definition-unused`).
Definitions that links use stay invisible markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import ROOT, krasse, visible_parts

from pipeline.build import Built, prepare
from pipeline.config import load_config
from pipeline.load import parse_issue

HEAD = '---\nnumber: 997\ntitle: "Nachträge"\ndate: 2026-11-03\ntags: [korrektur]\n---\n\n'
RULE = "link-definition-unused"


def built(body: str) -> Built:
    issue, found = parse_issue(HEAD + body, Path("issues/997-nachtraege.md"))
    assert issue is not None, found
    result = prepare(issue, load_config(ROOT))
    assert result.email is not None, result.findings
    return result


def line_of(body: str, text: str) -> int:
    """1-based line of the file (front matter included) where `text` starts."""
    source = HEAD + body
    return source[: source.index(text)].count("\n") + 1


def seen(result: Built) -> str:
    assert result.email is not None
    return " ".join(visible_parts(result.email.html))


def unused(result: Built) -> list:
    return [f for f in result.findings if f.rule == RULE]


def test_an_unused_definition_is_shown_as_typed_and_reported() -> None:
    body = "Einleitung.\n\n---\n\nDie Zahlen von gestern waren falsch.\n\n[Korrektur]: erledigt.\n\nWeiter im Text.\n"
    result = built(body)
    assert result.email is not None
    assert "falsch.\n\n[Korrektur]: erledigt.\n\nWeiter im Text." in result.email.text
    assert result.email.text == as_text(body, "[Korrektur]")
    assert "[Korrektur]: erledigt." in seen(result)
    (finding,) = unused(result)
    assert finding.file == "issues/997-nachtraege.md"
    assert finding.line == line_of(body, "[Korrektur]")
    assert finding.severity == "warning"
    assert "[Korrektur]" in finding.message and "\\[" in finding.message


def as_text(body: str, typed: str) -> str:
    """email.txt of the same issue with `typed` escaped (`\\[`): what the reader should get."""
    escaped = built(body.replace(typed, "\\" + typed)).email
    assert escaped is not None
    return escaped.text


def test_a_definition_in_a_quote_stays_in_the_quote() -> None:
    body = "Einleitung.\n\n---\n\n> Eine Leserin schreibt:\n>\n> [Nachtrag]: Bremen.\n\nDanach.\n"
    result = built(body)
    assert result.email is not None
    assert "> [Nachtrag]: Bremen.\n\nDanach." in result.email.text
    assert result.email.text == as_text(body, "[Nachtrag]")
    html = result.email.html
    quote = html[html.index("<blockquote") : html.index("</blockquote>")]
    assert "[Nachtrag]: Bremen." in " ".join(visible_parts(quote))
    assert [f.line for f in unused(result)] == [line_of(body, "[Nachtrag]")]


def test_a_definition_in_a_tight_list_is_an_item_like_the_others() -> None:
    body = "Einleitung.\n\n---\n\nOffene Punkte:\n\n- Erstens.\n- [Termin]: fest.\n- Drittens.\n\nEnde.\n"
    result = built(body)
    assert result.email is not None
    assert "- Erstens.\n- [Termin]: fest.\n- Drittens." in result.email.text
    html = result.email.html
    items = html[html.index("Erstens.") : html.index("Drittens.")]
    assert "[Termin]: fest." in items
    assert "<p" not in items  # a tight list's items hold no paragraphs, this one neither
    assert [f.line for f in unused(result)] == [line_of(body, "[Termin]")]


def test_a_definition_and_the_text_under_it_in_a_tight_list_item_do_not_run_together() -> None:
    """A tight list item shows its paragraphs without `<p>`: the definition's text and the line
    under it (a paragraph of its own) must still be two words apart, as with `\\[`."""
    body = "Einleitung.\n\n---\n\n- [Korrektur]: erledigt\n  und noch mehr.\n- Zweitens.\n"
    result = built(body)
    assert result.email is not None
    assert re.search(r"\[Korrektur\]: erledigt\s+und noch mehr\.", seen(result))
    assert re.search(r"\[Korrektur\]: erledigt\s+und noch mehr\.", result.email.text)
    assert [f.line for f in unused(result)] == [line_of(body, "[Korrektur]")]


def test_a_second_definition_of_a_label_is_shown_and_the_first_one_links() -> None:
    body = (
        "Einleitung.\n\n---\n\nSiehe [die Quelle][q].\n\n"
        "[q]: https://eins.example/bericht\n[q]: https://zwei.example/bericht\n\nEnde.\n"
    )
    result = built(body)
    assert result.email is not None
    assert 'href="https://eins.example/bericht"' in result.email.html
    assert "[q]: https://zwei.example/bericht" in seen(result)
    assert "[q]: https://zwei.example/bericht" in result.email.text
    assert "[q]: https://eins.example" not in result.email.text
    (finding,) = unused(result)
    assert finding.line == line_of(body, "[q]: https://zwei")
    assert str(line_of(body, "[q]: https://eins")) in finding.message  # where the one that counts is


def test_an_unused_definition_before_a_used_one_leaves_the_link_intact() -> None:
    """Two definitions in a row: showing the first as text must not turn the second into a
    continuation of its paragraph (that would break the link using it)."""
    body = (
        "Einleitung.\n\n---\n\nMehr im [Bericht][b].\n\n"
        "[Korrektur]: erledigt.\n[b]: https://bericht.example/2026\n\nEnde.\n"
    )
    result = built(body)
    assert result.email is not None
    assert 'href="https://bericht.example/2026"' in result.email.html
    assert "[Korrektur]: erledigt." in seen(result) and "[Korrektur]: erledigt." in result.email.text
    assert "[b]:" not in result.email.text and "[b]:" not in seen(result)
    assert [f.line for f in unused(result)] == [line_of(body, "[Korrektur]")]


def test_a_definition_with_its_title_on_the_next_line_is_shown_whole() -> None:
    body = 'Einleitung.\n\n---\n\nText.\n\n[Archiv]: https://archiv.example/\n  "Alle Ausgaben seit 2020"\n\nEnde.\n'
    result = built(body)
    assert result.email is not None
    words = seen(result)
    assert "[Archiv]: https://archiv.example/" in words and '"Alle Ausgaben seit 2020"' in words
    assert '[Archiv]: https://archiv.example/ "Alle Ausgaben seit 2020"' in result.email.text
    assert result.email.text == as_text(body, "[Archiv]")
    assert [f.line for f in unused(result)] == [line_of(body, "[Archiv]")]


def test_used_definitions_stay_invisible_and_unreported() -> None:
    body = (
        "Einleitung.\n\n---\n\nDer [Bericht][b] und ![Grafik][g] und [Archiv].\n\n"
        '[b]: https://bericht.example/2026 "Der Bericht"\n[g]: images/fehlt.png\n[archiv]: https://archiv.example/\n'
    )
    result = built(body)
    assert result.email is not None
    assert 'href="https://bericht.example/2026"' in result.email.html
    assert 'title="Der Bericht"' in result.email.html
    assert 'href="https://archiv.example/"' in result.email.html
    for typed in ("[b]:", "[g]:", "[archiv]:", 'bericht.example/2026 "', "images/fehlt.png"):
        assert typed not in seen(result)
    assert "[b]:" not in result.email.text and "[archiv]:" not in result.email.text
    assert unused(result) == []


def test_definitions_in_a_footnote_are_shown_or_hidden_there_too() -> None:
    """The note's own lines: a definition only the note uses stays hidden, an unused one is shown in it."""
    body = (
        "Einleitung.\n\n---\n\nText[^1].\n\n[^1]: Mehr im [Bericht][b].\n\n    [Stand]: gestern.\n\n"
        "[b]: https://bericht.example/2026\n"
    )
    result = built(body)
    assert result.email is not None
    text = result.email.text
    assert "[Anm. 1] Mehr im Bericht" in text and "[Stand]: gestern." in text
    assert text.index("[Stand]: gestern.") > text.index("[Anm. 1] Mehr im Bericht")  # in the note
    assert 'href="https://bericht.example/2026"' in result.email.html and "[b]:" not in text
    assert [f.line for f in unused(result)] == [line_of(body, "    [Stand]")]


def test_a_language_line_above_a_used_definition_still_marks_the_next_paragraph() -> None:
    body = "Einleitung.\n\n---\n\nSiehe [Quelle][q].\n\n{lang=fr}\n[q]: https://a.example/\nDer nächste Absatz.\n"
    result = built(body)
    assert result.email is not None
    assert 'lang="fr"' in result.email.html
    assert unused(result) == []


def test_an_escaped_bracket_is_text_without_a_finding() -> None:
    result = built("Einleitung.\n\n---\n\n\\[Korrektur]: erledigt.\n")
    assert result.email is not None
    assert "[Korrektur]: erledigt." in result.email.text
    assert unused(result) == []


def test_check_reports_an_unused_definition_even_with_broken_front_matter(empty_project: Path) -> None:
    """A body check: it runs when the front matter fails too, at the line in the file."""
    path = empty_project / "issues/001-kaputt.md"
    head = "---\nnumber: 1\ntitle: Teil 2: Kaputt\ndate: 2026-01-05\n---\n\n"
    path.write_text(head + "Text.\n\n[Korrektur]: erledigt.\n", "utf-8")
    result = krasse(empty_project, "check", "--format", "json")
    found = {(f["rule"], f["line"]) for f in json.loads(result.stdout)}
    assert found == {("fm-yaml", 3), (RULE, 9)}


def test_the_archive_page_and_its_search_carry_an_unused_definition(project: Path) -> None:
    from pipeline.archive import build_archive

    moment = project / "issues" / "042-der-moment.md"
    moment.write_text(moment.read_text("utf-8") + "\n[Nachtrag]: Kräutertee.\n", "utf-8")
    assert build_archive(load_config(project)).ok
    site = project / "outbox" / "archive"
    page = (site / "42" / "index.html").read_text("utf-8")
    assert "[Nachtrag]: Kräutertee." in " ".join(visible_parts(page))
    index = (site / "search-index.js").read_text("utf-8")
    assert '"kraeutertee"' in index
