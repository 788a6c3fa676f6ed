"""Markdown → plain text: quotes, link references, footnotes, lists, raw HTML."""

from __future__ import annotations

from pipeline.markdown import parse
from pipeline.text import first_sentences, plain, render_text


def text_of(src: str) -> list[str]:
    return render_text(parse(src)).items


def one(src: str) -> str:
    items = text_of(src)
    assert len(items) == 1, items
    return items[0]


def test_quotes_are_marked() -> None:
    assert one("Sie schreibt:\n\n> Wir haben gemerkt,\n> dass es anders ist.\n") == (
        "Sie schreibt:\n\n> Wir haben gemerkt, dass es anders ist.\n"
    )


def test_nested_quote_and_long_quote_wraps_with_prefix() -> None:
    out = one("> außen\n>\n> > innen\n\n> " + "Wort " * 30)
    assert "> außen\n" in out and "> > innen\n" in out
    lines = [line for line in out.splitlines() if line.startswith("> Wort")]
    assert len(lines) >= 2 and all(len(line) <= 72 for line in lines)


def test_links_become_numbered_references_per_item() -> None:
    items = text_of(
        "Das [Institut hat gerechnet](https://a.example/x) und [nochmal](https://a.example/x), "
        "[anders](https://b.example/).\n\n---\n\nNeu [hier](https://c.example/)."
    )
    assert items[0] == (
        "Das Institut hat gerechnet [1] und nochmal [1], anders [2].\n\n"
        "[1] https://a.example/x\n[2] https://b.example/\n"
    )
    assert items[1] == "Neu hier [1].\n\n[1] https://c.example/\n"  # numbering restarts per item


def test_bare_urls_and_anchors_are_not_doubled() -> None:
    assert one("<https://x.example/a> und [Note](#fn1)") == "https://x.example/a und Note\n"


def test_footnotes_kept_as_markers_with_their_text_at_the_end() -> None:
    parts = render_text(parse("Erst[^a] dann[^b].\n\n[^a]: Note A mit [Quelle](https://q.example).\n[^b]: Note B.\n"))
    # notes say "Anm." so they never look like the [1] link references
    assert parts.items == ["Erst[Anm. 1] dann[Anm. 2].\n"]
    assert parts.notes[0] == "[Anm. 1] Note A mit Quelle [1].\n    [1] https://q.example\n"
    assert parts.notes[1] == "[Anm. 2] Note B.\n"
    assert parts.notes_text() == parts.notes[0] + "\n" + parts.notes[1]


def test_unreferenced_footnote_kept() -> None:
    parts = render_text(parse("Text.\n\n[^waise]: Auch ich werde gelesen.\n"))
    assert parts.notes == ["[Anm. 1] Auch ich werde gelesen.\n"]


def test_lists_bullets_numbers_and_nesting() -> None:
    assert one("- Konten\n  - löschen\n- Abos\n") == "- Konten\n   - löschen\n- Abos\n"
    assert one("3. drei\n4. vier\n") == "3. drei\n4. vier\n"


def test_long_list_item_wraps_under_its_text() -> None:
    out = one("1. " + "Plattform " * 20)
    first, second, *_ = out.splitlines()
    assert first.startswith("1. Plattform") and second.startswith("   Plattform")


def test_heading_underlined_and_angle_bracket_words_kept() -> None:
    assert one("## Der <Moment> um") == "Der <Moment> um\n---------------\n"
    assert one("<Hardware-Wende> gilt.") == "<Hardware-Wende> gilt.\n"


def test_table_rows_joined_with_bars() -> None:
    assert one("| Region | Anteil |\n|---|---:|\n| Rhein-Main | 11 % |\n") == "Region | Anteil\nRhein-Main | 11 %\n"


def test_emphasis_strike_and_code_lose_only_their_markers() -> None:
    assert one("*kursiv* **fett** ~~weg~~ `robots.txt`") == "kursiv fett weg robots.txt\n"


def test_image_becomes_its_alt_text() -> None:
    assert one("![Kurve der Interaktionen](images/k.png)") == "[Bild: Kurve der Interaktionen]\n"
    assert one('Vor <img src="https://x.example/a.png" alt="Rohes Bild"> nach') == "Vor [Bild: Rohes Bild] nach\n"


def test_raw_html_keeps_words_apart_and_drops_scripts() -> None:
    assert one("<details><summary>Kurz</summary>Lang</details>") == "Kurz Lang\n"
    assert one("eins<br>zwei") == "eins\nzwei\n"
    assert one("A <script>alert(1)</script> B <style>p{}</style> C") == "A  B  C\n"


def test_code_block_indented() -> None:
    assert one("```\nUser-agent: *\nDisallow: /\n```") == "    User-agent: *\n    Disallow: /\n"


def test_plain_and_preheader_default() -> None:
    doc = parse("Willkommen bei *Krasse Links*[^1]. Heute: [Plattformen](https://x.example).\n\n[^1]: N.")
    assert plain(doc.items[0]) == "Willkommen bei Krasse Links. Heute: Plattformen."
    assert first_sentences("Erster Satz. Zweiter Satz ist länger. Dritter.", 30) == "Erster Satz."
    cut = first_sentences("Ein einziger sehr langer Satz ohne Punkt " * 5, 40)
    assert cut.endswith("…") and len(cut) <= 40


def test_first_sentences_of_an_archive_teaser_keep_ordinals_and_abbreviations() -> None:
    """The archive teaser cuts as the preheader does: `3. Oktober` and `z. B.` do not end a sentence."""
    from pipeline.archive.pages import TEASER_LENGTH

    long = "Seit dem 3. Oktober zählt der Verein z. B. " + "Brücken, Stege, Furten und Fähren " * 7 + "im Landkreis."
    teaser = first_sentences(long + " Zweiter Satz.", TEASER_LENGTH)  # one sentence too long: cut at a word
    assert teaser.startswith("Seit dem 3. Oktober zählt der Verein z. B. Brücken") and teaser.endswith("Fähren…")
    assert len(teaser) <= TEASER_LENGTH
    short = "Am 3. Oktober zählt der Verein z. B. Brücken."
    assert first_sentences(short + " Dann kommt " + "ein langer Satz " * 20, TEASER_LENGTH) == short


def test_a_long_note_wraps_with_its_label() -> None:
    parts = render_text(parse("Text[^1].\n\n[^1]: " + "Ein langer Satz in der Anmerkung. " * 8 + "\n"))
    lines = parts.notes[0].splitlines()
    assert lines[0].startswith("[Anm. 1] Ein langer Satz") and len(lines) > 2
    assert all(len(line) <= 72 for line in lines)
