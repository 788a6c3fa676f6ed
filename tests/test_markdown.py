"""Markdown → sanitised HTML fragments: literal input, expected output fragments."""

from __future__ import annotations

import pytest

from pipeline.markdown import MAX_NESTING, parse, parser, render_html


def html_of(src: str) -> list[str]:
    return render_html(parse(src)).items


def one(src: str) -> str:
    items = html_of(src)
    assert len(items) == 1, items
    return items[0]


def test_items_split_at_rules() -> None:
    items = html_of("Intro.\n\n---\n\nErster Link.\n\n---\n\nZweiter Link.\n")
    assert items == ["<p>Intro.</p>\n", "<p>Erster Link.</p>\n", "<p>Zweiter Link.</p>\n"]


def test_empty_runs_from_doubled_rules_are_dropped() -> None:
    doc = parse("---\n\nA\n\n---\n\n---\n\nB\n")
    assert render_html(doc).items == ["<p>A</p>\n", "<p>B</p>\n"]
    assert doc.item_lines == [2, 8]  # 1-based body line after the rule that opens each item


def test_rule_inside_a_quote_does_not_split() -> None:
    items = html_of("A\n\n> x\n> ***\n> y\n")
    assert len(items) == 1 and "<hr>" in items[0]


def test_footnotes_numbered_in_reading_order_with_back_links() -> None:
    doc = parse("Erst[^b] dann[^a].\n\n---\n\nNoch mal[^b].\n\n[^a]: Note A.\n[^b]: Note B.\n")
    fr = render_html(doc)
    # `name` as well as `id`: Gmail web and Outlook for Windows jump only to <a name> anchors.
    assert '<sup class="fnref"><a href="#fn1" id="fnref1" name="fnref1">[1]</a></sup>' in fr.items[0]
    assert '<sup class="fnref"><a href="#fn2" id="fnref2" name="fnref2">[2]</a></sup>' in fr.items[0]
    assert '<a href="#fn1" id="fnref1-1" name="fnref1-1">[1]</a>' in fr.items[1]  # second use of [^b]
    # the note starts with the same "[1]" as its marker, so it is found by eye where jumping fails
    assert fr.notes[0].startswith('<li id="fn1"><p><a name="fn1"><b>[1]</b></a> Note B.')
    # One way back per note, to the first reference: a split email never links into cut items.
    assert fr.notes[0].count('class="backref"') == 1
    assert 'href="#fnref1"' in fr.notes[0] and 'href="#fnref1-1"' not in fr.notes[0]
    assert fr.notes[1].startswith('<li id="fn2"><p><a name="fn2"><b>[2]</b></a> Note A.')
    assert 'aria-label="zurück zum Text"' in fr.notes[1]
    assert fr.notes_html().startswith('<ol class="notes" style="list-style:none;margin:0;padding:0">\n<li id="fn1">')
    assert fr.notes_html(1).count("<li") == 1


def test_note_that_starts_with_a_quote_still_gets_its_label() -> None:
    fr = render_html(parse("Text[^1].\n\n[^1]:\n    > Zitat in der Note.\n"))
    assert fr.notes[0].startswith('<li id="fn1"><p><a name="fn1"><b>[1]</b></a></p>\n<blockquote>')


def test_note_in_another_language_keeps_its_lang_and_rendering_does_not_change_the_tokens() -> None:
    """The label goes into the note's first `<p>` with that paragraph's own attributes (detected or `{lang=…}`)."""
    doc = parse(
        "Zwei Notizen.[^1] Noch eine.[^2]\n\n"
        "[^1]: The river authority published its flood report in English only, with every table in the appendix.\n\n"
        "[^2]: {lang=fr}\n    Ein kurzer Satz.\n"
    )
    before = [(t.type, t.hidden, t.attrs) for t in doc.notes]
    first = render_html(doc).notes
    assert first[0].startswith('<li id="fn1"><p lang="en"><a name="fn1"><b>[1]</b></a> The river authority')
    assert first[1].startswith('<li id="fn2"><p lang="fr"><a name="fn2"><b>[2]</b></a> Ein kurzer Satz.')
    assert [(t.type, t.hidden, t.attrs) for t in doc.notes] == before  # nothing set hidden by rendering
    assert render_html(doc).notes == first


def test_unreferenced_footnote_definition_is_still_printed() -> None:
    fr = render_html(parse("Text[^1].\n\n[^1]: Benutzt.\n[^waise]: Niemand zeigt auf mich.\n"))
    assert len(fr.notes) == 2
    # no back-link to nowhere
    assert fr.notes[1] == '<li id="fn2"><p><a name="fn2"><b>[2]</b></a> Niemand zeigt auf mich.</p>\n</li>\n'


def test_table_with_alignment() -> None:
    html = one("| Region | Anteil |\n|---|---:|\n| Rhein-Main | 11 % |\n")
    assert "<table>" in html and '<th scope="col">Region</th>' in html  # scope: screen readers name the column
    assert '<th style="text-align:right" scope="col">Anteil</th>' in html
    assert '<td style="text-align:right">11 %</td>' in html


def test_strikethrough() -> None:
    assert one("Das ~~Vertrauen~~ Team.") == "<p>Das <s>Vertrauen</s> Team.</p>\n"


@pytest.mark.parametrize(
    "typed",
    ["„Qualität der Verweildauer“", "‚halb‘", "«Guillemets»", "»Chevrons«", "eins – zwei", "und so weiter …"],
)
def test_german_typography_kept_as_typed(typed: str) -> None:
    assert one(f"Sie sagt {typed} hier.") == f"<p>Sie sagt {typed} hier.</p>\n"


def test_straight_quotes_are_not_curled() -> None:
    assert one('Er sagt "ja" und -- so.') == '<p>Er sagt "ja" und -- so.</p>\n'


def test_angle_bracket_words_inline_are_text() -> None:
    assert one("Das Wort ist der <Moment>. Nach der <Hardware-Wende> gilt es nicht.") == (
        "<p>Das Wort ist der &lt;Moment&gt;. Nach der &lt;Hardware-Wende&gt; gilt es nicht.</p>\n"
    )


def test_angle_bracket_word_at_line_start_is_a_paragraph() -> None:
    assert one("<Hardware-Wende> ist ein Wort.") == "<p>&lt;Hardware-Wende&gt; ist ein Wort.</p>\n"
    assert one("<Vernunft>\nzweite Zeile") == "<p>&lt;Vernunft&gt;\nzweite Zeile</p>\n"


def test_angle_bracket_word_in_heading() -> None:
    assert one("## Der <Moment> um die Sprachmodelle") == "<h2>Der &lt;Moment&gt; um die Sprachmodelle</h2>\n"


def test_angle_bracket_word_with_umlaut_that_starts_like_a_tag() -> None:
    # `<Bärbel>` starts with `<B`, a real element: it must still count as a word, not as `<b>`.
    assert one("Hallo <Bärbel> und <Brötchen>.") == "<p>Hallo &lt;Bärbel&gt; und &lt;Brötchen&gt;.</p>\n"
    assert one("<div>Text <Bärbel> mehr</div>") == "<div>Text &lt;Bärbel&gt; mehr</div>"


def test_angle_bracket_words_inside_raw_html_block() -> None:
    assert one("<div>Der <Moment> ist <em>kurz</em></div>") == "<div>Der &lt;Moment&gt; ist <em>kurz</em></div>"


def test_angle_bracket_words_in_emphasis_links_quotes_tables_and_notes() -> None:
    fr = render_html(
        parse(
            "*<Eins>* [<Zwei> los](https://x.example)\n\n> <Drei>\n\n| <Vier> |\n|---|\n| <Fünf> |\n\n"
            "T[^1]\n\n[^1]: <Sechs>\n"
        )
    )
    html = fr.items[0] + fr.notes_html()
    for word in ["Eins", "Zwei", "Drei", "Vier", "Fünf", "Sechs"]:
        assert f"&lt;{word}&gt;" in html


def test_known_inline_html_passes() -> None:
    html = one('Ein <abbr title="Künstliche Intelligenz">KI</abbr>-Text, <mark>markiert</mark>, H<sub>2</sub>O.')
    assert '<abbr title="Künstliche Intelligenz">KI</abbr>-Text' in html
    assert "<mark>markiert</mark>" in html and "H<sub>2</sub>O" in html


def test_script_removed_with_its_code_but_not_the_text_around() -> None:
    html = one("Vorher <script>alert('x')</script> nachher.")
    assert "script" not in html and "alert" not in html
    assert "Vorher" in html and "nachher." in html
    block = one("<script>\nalert(1)\n</script>\n\nDanach.")
    assert "alert" not in block and "<p>Danach.</p>" in block


def test_event_handlers_removed() -> None:
    html = one('<a href="https://x.example" onclick="steal()">Link</a> <div onmouseover="x()">Box</div>')
    assert "onclick" not in html and "onmouseover" not in html and "steal" not in html
    assert '<a href="https://x.example">Link</a>' in html and "Box" in html


def test_javascript_urls_removed() -> None:
    raw = one('<a href="javascript:alert(1)">Roh</a>')
    assert "javascript" not in raw and "Roh" in raw
    md = one("[Markdown](javascript:alert(1))")
    assert "<a " not in md and "Markdown" in md  # not a link, but the text stays
    img = one('<img src="javascript:alert(1)" alt="Bild">')
    assert "javascript" not in img


def test_html_comments_do_not_show_up_as_text() -> None:
    assert one("x <!-- Notiz an mich --> y") == "<p>x  y</p>\n"
    assert one("<!-- Notiz -->\n\nText").strip() == "<p>Text</p>"


def test_autolinks_are_links_not_tags() -> None:
    assert one("<https://example.org/a>") == '<p><a href="https://example.org/a">https://example.org/a</a></p>\n'


def test_images_get_urls_from_the_callback_and_keep_alt() -> None:
    doc = parse("![Kurve der Interaktionen](images/kurve.png) ![Fern](https://cdn.example/x.png)")
    html = render_html(doc, lambda src: "https://base.example/" + src if "://" not in src else src).items[0]
    assert '<img src="https://base.example/images/kurve.png" alt="Kurve der Interaktionen">' in html
    assert '<img src="https://cdn.example/x.png" alt="Fern">' in html
    # rendering again with another base starts from the source as written
    again = render_html(doc, lambda src: "rel/" + src).items[0]
    assert 'src="rel/images/kurve.png"' in again


def test_too_deep_nesting_is_recorded_not_silently_dropped() -> None:
    shallow = parse("> " * 30 + "tief\n\nnach\n")
    assert shallow.too_deep == []
    assert "tief" in render_html(shallow).items[0] and "nach" in render_html(shallow).items[0]
    deep = parse("vorher\n\n" + ">" * (MAX_NESTING + 5) + " tief\n\nnach\n")
    assert deep.too_deep == [2]  # 0-based body line of the text markdown-it leaves out


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a%20b?x=1&y=<2>#F",
        "https://Example.ORG/Pfad/",
        "https://user:pw@example.org:8080/p",
        "https://[::1]:80/x",
        "https://bücher.example/straße",
        "HTTPS://example.org/ä",
        "mailto:post@example.org",
        "https://example.org/a b",
    ],
)
def test_fast_link_normalisation_matches_markdown_it(url: str) -> None:
    from markdown_it.common.normalize_url import normalizeLink

    assert parser().normalizeLink(url) == normalizeLink(url)


def test_tight_paragraph_lang_goes_to_its_own_item_not_the_last_one_opened() -> None:
    """A tight list's paragraph is not rendered: the item that holds it carries its `lang`. That is
    the innermost item still open, not an item that opened (and closed) inside a quote before it."""
    german = (
        "Die Bundesregierung hat heute beschlossen, dass die neuen Regeln für alle Nutzer*innen ab dem "
        "nächsten Jahr gelten sollen."
    )
    english = (
        "The government announced today that the new rules will apply to every user starting next year, "
        "according to the statement."
    )
    html = render_html(parse(f"- > - {german}\n  ---\n  {english}\n")).items[0]
    assert f"<li>{german}</li>" in html  # the German item inside the quote stays German
    assert html.startswith('<ul>\n<li lang="en">')  # the outer item holds the English paragraph
