"""Author text reaches the reader character for character through Markdown, email.txt and email.html
(not only word for word, as test_no_word_lost.py checks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, visible_parts

from pipeline.build import prepare
from pipeline.config import load_config
from pipeline.load import parse_issue

HEAD = '---\nnumber: 998\ntitle: "Vorlagen"\ndate: 2026-11-02\n---\n\n'


def prepared(body: str):
    issue, found = parse_issue(HEAD + body, Path("issues/998-vorlagen.md"))
    assert issue is not None, found
    return prepare(issue, load_config(ROOT))


def built(body: str):
    email = prepared(body).email
    assert email is not None
    return email


def findings(body: str, rule: str) -> list:
    return [f for f in prepared(body).findings if f.rule == rule]


def test_typed_mailchimp_merge_tags_stay_text() -> None:
    """`*|FNAME|*` in prose is text about a merge tag, not emphasis of `|FNAME|`: the stars stay."""
    email = built("Einleitung.\n\n---\n\nBei Mailchimp heißt es *|FNAME|*, bei Bedingungen *|IF:FNAME|* und mehr.\n")
    assert "heißt es *|FNAME|*, bei Bedingungen *|IF:FNAME|* und" in email.text
    seen = " ".join(visible_parts(email.html))
    assert "*|FNAME|*" in seen and "*|IF:FNAME|*" in seen
    assert "<em>" not in email.html


def test_emphasis_next_to_a_pipe_is_still_emphasis() -> None:
    email = built("Einleitung.\n\n---\n\nEin *betontes* Wort und a | b und *|* hier.\n")
    assert "<em>betontes</em>" in email.html


def test_no_break_spaces_in_a_footnote_survive_in_email_txt() -> None:
    """A footnote's first paragraph is wrapped again behind its label: `10 km` and `z. B.` keep
    their no-break spaces there, as in every other paragraph."""
    note = "[^1]: Eine Note mit 10\u00a0km und z.\u202fB. hier.\n"
    email = built("Einleitung.\n\n---\n\nText[^1] mit 10\u00a0km.\n\n" + note)
    assert "Text[Anm. 1] mit 10\u00a0km." in email.text
    assert "[Anm. 1] Eine Note mit 10\u00a0km und z.\u202fB. hier." in email.text


def test_no_break_spaces_in_raw_html_survive_in_email_txt() -> None:
    """A raw HTML block (`<div>…</div>`), in an item or as a note, keeps `10&nbsp;km` and `z. B.` glued
    in email.txt, as a Markdown paragraph does."""
    html = "<div>Wir laufen 10&nbsp;km, z.\u202fB. am Fluss.</div>"
    email = built(f"Einleitung.\n\n---\n\n{html}\n\nText[^1].\n\n[^1]: {html}\n")
    assert "\nWir laufen 10\u00a0km, z.\u202fB. am Fluss.\n" in email.text
    assert "\n[Anm. 1] Wir laufen 10\u00a0km, z.\u202fB. am Fluss.\n" in email.text


def test_a_typed_merge_tag_beside_a_gender_star_is_no_stray_star() -> None:
    from pipeline.markdown import gender_star_lines, parse

    assert gender_star_lines(parse("Liebe Leser*innen, hier steht *|FNAME|* als Beispiel.\n")) == []
    assert gender_star_lines(parse("Liebe Leser*innen *mit Betonung.\n")) == [0]


RAW_TEXT = ["script", "style", "textarea", "title", "xmp", "iframe", "noscript", "noframes", "plaintext"]


@pytest.mark.parametrize("tag", RAW_TEXT)
def test_an_unclosed_raw_text_tag_in_prose_is_text(tag: str) -> None:
    """`<script>` typed in a sentence, never closed, is a word about HTML: a browser would read the
    rest of the item as its content (dropped, or shown as markup) and email.txt lost the sentence."""
    email = built(f"Einleitung.\n\n---\n\nDer Browser liest <{tag}> vor allem anderen.\n\nNächster Absatz.\n")
    assert f"Der Browser liest <{tag}> vor allem anderen.\n\nNächster Absatz." in email.text
    seen = visible_parts(email.html)
    assert f"Der Browser liest <{tag}> vor allem anderen." in seen and "Nächster Absatz." in seen


@pytest.mark.parametrize("tag", [*RAW_TEXT, "pre"])
def test_an_unclosed_raw_text_tag_at_a_line_start_keeps_the_rest_of_the_issue(tag: str) -> None:
    """At a line start CommonMark opens a raw HTML block that runs to the closing tag, or with none
    to the end of the document: every later item vanished, from email.txt and email.html."""
    email = built(f"Einleitung.\n\n---\n\n<{tag}> heißt das Element.\n\nNächster Absatz.\n\n---\n\nDrittes Stück.\n")
    first = "heißt das Element." if tag == "pre" else f"<{tag}> heißt das Element."  # `<pre>` is real HTML
    for words in (first, "Nächster Absatz.", "Drittes Stück."):
        assert words in email.text
        assert any(words in part for part in visible_parts(email.html))
    assert "\n* * *\n\nDrittes Stück." in email.text  # still an item of its own


@pytest.mark.parametrize("tag", RAW_TEXT)
def test_an_unclosed_raw_text_tag_inside_a_raw_html_block_is_text(tag: str) -> None:
    """Inside a larger raw block (`<div>` …) the tag is not at a line start, and the block ends at
    the blank line: a browser still read everything after it, to the end of the item, as its content."""
    body = f"Einleitung.\n\n---\n\n<div>\nDer Browser liest <{tag}> zuerst.\n</div>\n\nNächster Absatz.\n"
    email = built(body + "\n---\n\nDrittes Stück.\n")
    for words in (f"Der Browser liest <{tag}> zuerst.", "Nächster Absatz.", "Drittes Stück."):
        assert words in email.text
        assert any(words in part for part in visible_parts(email.html)), words


@pytest.mark.parametrize("tag", ["textarea", "title", "script"])
def test_an_unclosed_raw_text_tag_in_a_one_line_html_block_is_text(tag: str) -> None:
    email = built(f"Einleitung.\n\n---\n\n<div>Ein <{tag}> Feld</div>\n\nNächster Absatz.\n")
    assert f"Ein <{tag}> Feld" in email.text
    seen = visible_parts(email.html)
    assert f"Ein <{tag}> Feld" in seen and "Nächster Absatz." in seen
    assert "</div>" not in " ".join(seen)


def test_an_unclosed_comment_inside_a_raw_html_block_is_text() -> None:
    email = built("Einleitung.\n\n---\n\n<div>\n<!-- Notiz an mich\n</div>\n\nNächster Absatz.\n")
    seen = " ".join(visible_parts(email.html))
    assert "<!-- Notiz an mich" in seen and "Nächster Absatz." in seen
    assert "<!-- Notiz an mich" in email.text and "Nächster Absatz." in email.text


def test_raw_text_tags_and_comments_closed_in_their_block_stay_markup() -> None:
    body = (
        "Einleitung.\n\n---\n\n<div>\n<script>\nvar geheim = 1;\n</script>\n</div>\n\n"
        "<div>\n<!-- Notiz\nnoch Notiz -->\n</div>\n\n<div><!-->Ende<style>p {}</style> Sichtbar.</div>\n"
    )
    email = built(body)
    seen = " ".join(visible_parts(email.html))
    for hidden in ("geheim", "Notiz", "p {}"):
        assert hidden not in seen and hidden not in email.text, hidden
    assert "Ende Sichtbar." in seen and "Ende Sichtbar." in email.text


def test_a_script_cut_by_a_blank_line_inside_a_block_shows_in_both_outputs() -> None:
    """The blank line ends the raw block: the rest is a paragraph, which email.txt showed while the
    browser hid it in the script. Unclosed in its block, the tag is text, so both show the same."""
    email = built("Einleitung.\n\n---\n\n<div>\n<script>\nvar a = 1;\n\nvar b = 2;\n</script>\n</div>\n\nDanach.\n")
    seen = " ".join(visible_parts(email.html))
    for words in ("<script>", "var a = 1;", "var b = 2;", "Danach."):
        assert words in seen and words in email.text, words


def test_a_footnote_defined_twice_is_an_error_at_the_second_definition() -> None:
    """Two items each with their own `[^1]`: the later text became the only note, the earlier one
    vanished and the first item's marker led to the other item's note, without a word."""
    body = (
        "Einleitung.\n\n---\n\nErstes Stück[^1].\n\n[^1]: Die Note zum ersten Stück.\n\n---\n\n"
        "Zweites Stück[^1].\n\n> Zitat.\n>\n> [^1]: Die Note zum zweiten Stück.\n"
    )
    found = findings(body, "footnote-duplicate")
    lines = (HEAD + body).split("\n")
    assert [(f.line, f.severity) for f in found] == [(lines.index("> [^1]: Die Note zum zweiten Stück.") + 1, "error")]
    assert f"line {lines.index('[^1]: Die Note zum ersten Stück.') + 1}" in found[0].message


def test_a_footnote_defined_inside_another_keeps_both_notes_whole() -> None:
    """`[^2]:` indented under `[^1]:` is a definition inside the first note; the footnote plugin
    keeps one definition open at a time, so note 1 came out empty and its later lines went into the
    item, without a word. Each note now has its own text."""
    body = (
        "Einleitung.\n\n---\n\nText[^1] und mehr[^2].\n\n[^1]: Die erste Note.\n\n"
        "    [^2]: Die zweite Note.\n\n    Noch zur ersten Note.\n\nNach den Noten.\n"
    )
    email = built(body)
    assert "[Anm. 1] Die erste Note.\n\n" in email.text and "[Anm. 2] Die zweite Note." in email.text
    notes = email.text.index("[Anm. 1] Die erste Note.")
    assert notes < email.text.index("Noch zur ersten Note.") < email.text.index("[Anm. 2] Die zweite Note.")
    assert email.text.index("Nach den Noten.") < notes
    seen = " ".join(visible_parts(email.html))
    assert seen.index("Die erste Note.") < seen.index("Noch zur ersten Note.") < seen.index("Die zweite Note.")
    assert seen.index("Nach den Noten.") < seen.index("Die erste Note.")


def test_an_unused_footnote_in_a_quote_is_reported_at_its_line() -> None:
    """`footnote-unused` searched the body for a definition at a line start, so one in a quote or
    list was reported at the first line of the body."""
    body = "Einleitung.\n\n---\n\nText.\n\n> Zitat.\n>\n> [^waise]: Niemand zeigt hierher.\n"
    found = findings(body, "footnote-unused")
    assert [f.line for f in found] == [(HEAD + body).split("\n").index("> [^waise]: Niemand zeigt hierher.") + 1]


def test_table_cells_beyond_the_head_are_an_error_naming_the_row() -> None:
    """The head row fixes a table's columns: a later row's extra cells were dropped without a word."""
    body = (
        "Einleitung.\n\n---\n\n> | Stadt | Einwohner |\n> | --- | --- |\n> | Bremen | 570.000 |\n"
        "> | Köln | 1.080.000 | Domstadt |\n> | Essen | 580.000 | |\n"
    )
    found = findings(body, "table-cells-extra")
    line = (HEAD + body).split("\n").index("> | Köln | 1.080.000 | Domstadt |") + 1
    assert [(f.line, f.severity) for f in found] == [(line, "error")]  # the empty third cell of Essen loses nothing
    assert "Domstadt" in found[0].message


def test_an_attribute_line_setting_what_no_email_keeps_is_text_with_a_warning() -> None:
    """`{Stand=heute}` alone on a line read as attributes for the next block; the sanitiser keeps
    none but `lang`, `class`, `id`, `dir`, `title` (and a list's `start`), so the line vanished.
    It is text now, and `check` says why; `{lang=en}` and `{.klasse}` stay markup."""
    body = (
        "Einleitung.\n\n---\n\n> {Stand=heute}\n>\n> Ein Absatz.\n\n{lang=fr .wichtig #oben}\nDer nächste Absatz.\n\n"
        '{style="color:red"}\nRoter Absatz.\n'
    )
    issue, _ = parse_issue(HEAD + body, Path("issues/998-vorlagen.md"))
    assert issue is not None
    result = prepare(issue, load_config(ROOT))
    assert result.email is not None
    seen = " ".join(visible_parts(result.email.html))
    for words in ("{Stand=heute}", '{style="color:red"} Roter Absatz.'):
        assert words in seen and words in result.email.text, words
    assert 'lang="fr"' in result.email.html and "{lang=fr" not in seen
    lines = (HEAD + body).split("\n")
    found = [f for f in result.findings if f.rule == "attr-dropped"]
    assert [(f.line, f.severity) for f in found] == [
        (lines.index("> {Stand=heute}") + 1, "warning"),
        (lines.index('{style="color:red"}') + 1, "warning"),
    ]
    assert "'Stand'" in found[0].message and "\\{" in found[0].message


def test_closed_script_and_style_stay_code() -> None:
    email = built("Einleitung.\n\n---\n\nVor <script>geheim()</script> nach.\n\n<style>\np {}\n</style>\n\nEnde.\n")
    assert "geheim" not in email.text and "geheim" not in " ".join(visible_parts(email.html))
    assert "p {}" not in email.text and "Ende." in email.text


@pytest.mark.parametrize("opening", ["<!-- Notiz an mich", "<?php echo 1; ist alt", "<![CDATA[ Daten", "<!DOCTYPE nie"])
def test_an_unclosed_comment_or_declaration_at_a_line_start_keeps_the_rest_of_the_issue(opening: str) -> None:
    """CommonMark runs such a raw block to `-->`, `?>`, `]]>` or `>`, with none to the document's end:
    the rest of the issue vanished without a word. Unclosed, the line is text like any other."""
    email = built(f"Einleitung.\n\n---\n\n{opening}\n\nNächster Absatz.\n\n---\n\nDrittes Stück.\n")
    for words in (opening, "Nächster Absatz.", "Drittes Stück."):
        assert words in email.text
        assert words in visible_parts(email.html)
    assert "\n* * *\n\nDrittes Stück." in email.text


def test_a_closed_comment_block_is_still_left_out() -> None:
    email = built("Einleitung.\n\n---\n\n<!-- Notiz\n\nnoch Notiz -->\n\nSichtbar.\n")
    assert "Notiz" not in email.text and "Notiz" not in email.html and "Sichtbar." in email.text


def test_gender_stars_before_a_capital_i_stay_stars() -> None:
    """`Leser*Innen` (star and Binnen-I) is a word too: CommonMark set `Innen und Autor` in italics
    and dropped both stars, without the warning a stray star gets."""
    email = built("Einleitung.\n\n---\n\nLiebe Leser*Innen und Autor*Innen, eine Kolleg*In schreibt.\n")
    assert "Liebe Leser*Innen und Autor*Innen, eine Kolleg*In schreibt." in email.text
    assert "Liebe Leser*Innen und Autor*Innen, eine Kolleg*In schreibt." in visible_parts(email.html)


def test_a_raw_pre_block_keeps_its_lines_in_email_txt() -> None:
    """`<pre>` keeps line breaks and indentation in email.html; email.txt ran it into one line."""
    email = built("Einleitung.\n\n---\n\n<pre>\nZeile eins\n  Zeile  zwei\n</pre>\n\nDanach.\n")
    assert "    Zeile eins\n      Zeile  zwei\n\nDanach." in email.text
    assert any("Zeile eins\n  Zeile  zwei" in part for part in visible_parts(email.html))


def test_no_break_spaces_reach_the_preview_line() -> None:
    """The derived preheader (the inbox's preview line) keeps the author's no-break spaces: `10 km`,
    `z. B.` and `S. 4` must not break apart there either, typed as U+00A0/U+202F or as `&nbsp;`; nor
    does a sentence end at one (`Prof. Roth`)."""
    intro = "Wir laufen 10\u00a0km mit Prof.\u00a0Roth, z.\u202fB. am Fluss (S.&nbsp;4). Mehr."
    issue, found = parse_issue(HEAD + f"Hallo!\n\n{intro}\n\n---\n\nText.\n", Path("issues/998-vorlagen.md"))
    assert issue is not None, found
    prepared = prepare(issue, load_config(ROOT))
    line = "Wir laufen 10\u00a0km mit Prof.\u00a0Roth, z.\u202fB. am Fluss (S.\u00a04). Mehr."
    assert prepared.rendered.preheader == line
    assert prepared.email is not None and f">{line}" in prepared.email.html  # the hidden preview text


def test_a_footnotes_line_breaks_stay_in_email_txt() -> None:
    """A note's hard line breaks (two spaces or `\\` at a line end: an address, a verse) stay in
    email.txt as in every other paragraph; a code block first in a note keeps its lines too."""
    address = "[^1]: Stadtbücherei Nord  \n    Lindenweg 3\\\n    04109 Leipzig\n"
    code = "[^2]:\n    ```\n    eins\n      zwei\n    ```\n"
    email = built("Einleitung.\n\n---\n\nPost[^1] und Code[^2].\n\n" + address + code)
    assert "\n[Anm. 1] Stadtbücherei Nord\nLindenweg 3\n04109 Leipzig\n\n[Anm. 2]" in email.text
    assert "\n[Anm. 2] eins\n      zwei\n" in email.text


def test_a_footnotes_later_paragraphs_are_indented_under_it() -> None:
    """A note's second paragraph (and a quote or list after it) is indented like its link list, one
    blank line below the first, so it reads as part of that note, not as loose text between notes."""
    later = "Ein zweiter Absatz, der zur selben Anmerkung gehört und lang genug ist, um umzubrechen."
    note = f"[^1]: Erster Absatz der [Anmerkung](https://a.example/).\n\n    {later}\n\n    > Ein Zitat darin.\n\n"
    email = built("Einleitung.\n\n---\n\nText[^1] und mehr[^2].\n\n" + note + "[^2]: Die nächste.\n")
    assert (
        "\n[Anm. 1] Erster Absatz der Anmerkung [1].\n\n"
        "    Ein zweiter Absatz, der zur selben Anmerkung gehört und lang genug\n"
        "    ist, um umzubrechen.\n\n"
        "    > Ein Zitat darin.\n"
        "    [1] https://a.example/\n\n"
        "[Anm. 2] Die nächste.\n"
    ) in email.text
    notes = email.text.split("Anmerkungen\n")[1].split("\n--\n")[0]
    assert all(len(line) <= 72 for line in notes.splitlines())


def test_blank_lines_inside_a_quote_keep_the_quote_mark() -> None:
    """A quote of several paragraphs stays one quote in a plain-text reader: its blank lines carry `>`
    (`> >` inside a nested quote, no trailing space); the blank line between two quotes stays empty."""
    quote = "> Erster Absatz.\n>\n> Zweiter Absatz.\n>\n> > Innen eins.\n> >\n> > Innen zwei.\n>\n> Wieder außen.\n"
    later = "\nDazwischen.\n\n> Ein neues Zitat.\n>\n> - mit Liste\n\n> Gleich ein drittes.\n"
    email = built("Einleitung.\n\n---\n\n" + quote + later)
    assert (
        "\n> Erster Absatz.\n>\n> Zweiter Absatz.\n>\n> > Innen eins.\n> >\n> > Innen zwei.\n>\n> Wieder außen.\n\n"
        "Dazwischen.\n\n> Ein neues Zitat.\n>\n> - mit Liste\n\n> Gleich ein drittes.\n"
    ) in email.text


def test_a_footnote_breaks_no_line_at_a_hyphen() -> None:
    """A note's first paragraph is wrapped like every other: never at a hyphen, so a long URL stays
    whole (clickable in the text part) and `Start-up-Verzeichnis` one word."""
    url = "https://statistik.example/berichte/wohnungs-bau-2026-und-mehr-und-noch-mehr/tabelle-1"
    email = built(
        f"Einleitung.\n\n---\n\nText[^1] und[^2].\n\n[^1]: Zahlen: {url}\n[^2]: {'Wort ' * 9}im Start-up-Verzeichnis.\n"
    )
    assert f"\n{url}\n" in email.text
    assert "Start-up-Verzeichnis" in email.text


CONTROL_REFERENCES = ["&#x0B;", "&#11;", "&#1;", "&#xFFFF;", "&#x1f", "&#12;", "&#x0c;"]


@pytest.mark.parametrize("ref", CONTROL_REFERENCES)
def test_a_reference_to_a_control_character_gives_the_replacement_character(ref: str) -> None:
    """nh3 decoded `&#x0B;` in raw HTML to U+000B, and markdown-it decodes `&#12;` in prose to U+000C:
    MJML cannot parse either (the build failed with an error naming the layout, not the issue).
    Both give U+FFFD now, as markdown-it already does for `&#x0B;` in prose."""
    email = built(
        f'Einleitung.\n\n---\n\n<div>Vor{ref}nach</div>\n\nIn {ref} Prosa <span title="a{ref}b">und Attribut</span>.\n'
    )
    prose = "\ufffd" if ref.endswith(";") else ref  # CommonMark wants the semicolon, HTML does not
    seen = " ".join(visible_parts(email.html))
    assert "Vor\ufffdnach" in seen and f"In {prose} Prosa" in seen
    assert "Vor\ufffdnach" in email.text and f"In {prose} Prosa und Attribut." in email.text


def test_a_reference_to_a_control_character_does_not_break_the_archive(empty_project: Path) -> None:
    """`krasse archive` crashed with lxml's "All strings must be XML compatible" writing feed.xml."""
    import xml.etree.ElementTree as ET

    from conftest import krasse

    refs = " ".join(f"Vor{ref}nach" for ref in CONTROL_REFERENCES)
    body = f"Einleitung.\n\n---\n\n<div>{refs}</div>\n\n{refs}\n"
    (empty_project / "issues/998-vorlagen.md").write_text(HEAD + body, encoding="utf-8")
    result = krasse(empty_project, "archive")
    assert result.exit_code == 0, result.output
    feed = ET.parse(empty_project / "outbox/archive/feed.xml").getroot()
    content = "".join(e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}content"))
    assert content.count("Vor\ufffdnach") == 2 * len(CONTROL_REFERENCES) - 1  # `&#x1f` in prose stays text


@pytest.mark.parametrize("tag", ["</script>", "</b>", "</div>", "</p>", "</SPAN >"])
def test_a_closing_tag_nothing_opened_is_text(tag: str) -> None:
    """`Das Tag </script> beendet …`: nh3 drops an end tag that closes nothing, and the words with it."""
    email = built(f"Einleitung.\n\n---\n\nDas Tag {tag} beendet das Element, <b>fett</b> bleibt fett.\n")
    assert f"Das Tag {tag} beendet das Element, fett bleibt fett." in email.text
    assert f"Das Tag {tag} beendet das Element," in "".join(visible_parts(email.html))
    assert "<b>fett</b>" in email.html
