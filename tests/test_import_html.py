"""`krasse import` of HTML: campaign exports with layout tables, merge tags, pixels and footers.

The pages are written here in the shapes services produce (nested presentation tables, hidden
preheader, `<a name>` footnote anchors, quotes drawn as bordered table cells).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import krasse

from pipeline.export.services import BUILTIN, parse_profiles
from pipeline.importer.htmlpage import convert_html
from pipeline.load import parse_issue

PROFILES = parse_profiles(BUILTIN.read_text(encoding="utf-8"), BUILTIN)


def cell(inner: str, style: str = "") -> str:
    """One layout row, the way builders nest them: table > tbody > tr > td."""
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tbody><tr>'
        f'<td style="padding:0 24px;{style}">{inner}</td></tr></tbody></table>'
    )


def divider() -> str:
    return cell('<p style="border-top:solid 1px #d9d4cc;font-size:1px;margin:0 auto;width:100%"></p>')


def campaign(unsubscribe: str, web: str, first_name: str) -> str:
    rows = [
        cell(f'<a href="{web}">Im Browser ansehen</a>', "font-size:12px"),
        cell("<strong>Krasse Links</strong> · No. 17 · 3. März 2025", "color:#c2185b"),
        cell("<h1>Kabel und Kompromisse</h1>"),
        divider(),
        cell(
            f"<p>Hallo {first_name}, willkommen bei Krasse Links No. 17. Heute geht es um Seekabel, "
            "Nutzer&#42;innen und den &lt;Moment&gt; davor.</p>"
        ),
        divider(),
        cell(
            '<p>Die Reederei Tiefgang hat <a href="https://tiefgang.example.org/kabel">ihren Kabelplan</a> '
            'vorgelegt.<sup><a href="#anm1">1</a></sup> Er beginnt so:</p>'
            + cell("<p>Wir verlegen nur dort, wo niemand fischt.</p>", "border-left:4px solid #c2185b")
            + "<table><tr><th>Strecke</th><th>Länge</th></tr><tr><td>Nord</td><td>120 km</td></tr>"
            "<tr><td>Süd</td><td>80 km</td></tr></table>"
            '<p>Das glaube ich erst, wenn ich es sehe.<sup><a href="#anm2">2</a></sup></p>'
        ),
        divider(),
        cell(
            '<h2>Anmerkungen</h2><ol><li><a name="anm1"></a>Der Plan liegt als PDF bei. '
            '<a href="#ref1">↩</a></li><li><a name="anm2"></a>Ich habe nachgefragt und warte.</li></ol>'
        ),
        cell(
            f'<p><a href="{unsubscribe}">Abmelden</a></p><p>Redaktion Beispiel · Hafenweg 3 · 20457 Hamburg</p>',
            "font-size:12px",
        ),
    ]
    hidden = (
        '<div style="display:none;max-height:0;overflow:hidden">Seekabel, Fischer und ein Plan aus Papier.'
        "\u200c\u00a0\u200c\u00a0</div>"
    )
    pixel = '<img src="https://track.example.net/open?id=7" width="1" height="1" alt="">'
    return (
        "<!doctype html><html><head><title>Krasse Links No. 17: Kabel und Kompromisse</title>"
        "<style>p{margin:0}</style></head><body><!--[if mso]><table><tr><td><![endif]-->"
        f"{hidden}{''.join(rows)}{pixel}<!--[if mso]></td></tr></table><![endif]--></body></html>"
    )


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_campaign_html_of_every_service_imports_clean(key: str) -> None:
    profile = PROFILES[key]
    web = profile.web or "https://krasse-links.example/archiv/17/"
    [draft], findings = convert_html(
        campaign(profile.unsubscribe, web, profile.first_name or "{{first_name}}"), "c.html", "Krasse Links"
    )
    assert findings == []
    body = draft.body
    for tag in (profile.unsubscribe, profile.web, profile.first_name):
        if tag:
            assert tag not in body
    assert body.startswith("Hallo, willkommen bei Krasse Links No. 17.")
    assert draft.number == 17 and draft.title == "Kabel und Kompromisse"
    assert draft.date is not None and draft.date.isoformat() == "2025-03-03"
    assert draft.preheader == "Seekabel, Fischer und ein Plan aus Papier."
    assert "Abmelden" not in body and "Hafenweg" not in body and "Im Browser" not in body
    assert "track.example.net" not in body and "Anmerkungen" not in body
    assert "Nutzer\\*innen" in body and "\\<Moment\\>" in body
    assert "> Wir verlegen nur dort, wo niemand fischt." in body
    assert "| Strecke | Länge |" in body and "| Nord | 120 km |" in body
    assert "vorgelegt.[^1] Er beginnt so:" in body and "sehe.[^2]" in body
    assert "[^1]: Der Plan liegt als PDF bei." in body and "[^2]: Ich habe nachgefragt und warte." in body
    assert "↩" not in body
    items = body.split("\n---\n")
    assert len(items) == 2 and items[0].startswith("Hallo")
    dropped = " ".join(draft.dropped)
    assert "Hafenweg" in dropped and "track.example.net" in dropped and "Anmerkungen" in dropped


def test_campaign_html_builds_and_lists_what_was_dropped(empty_project: Path) -> None:
    source = empty_project / "kampagne.html"
    source.write_text(campaign("*|UNSUB|*", "*|ARCHIVE|*", "*|FNAME|*"), encoding="utf-8")
    result = krasse(empty_project, "import", str(source), "--verbose")
    assert result.exit_code == 0, result.output
    assert "[import-dropped] boilerplate dropped: 'Abmelden Redaktion Beispiel · Hafenweg 3" in result.output
    assert "merge tag *|FNAME|*" in result.output
    [path] = (empty_project / "issues").glob("*.md")
    assert path.name == "017-kabel-und-kompromisse.md"
    issue, _ = parse_issue(path.read_text(encoding="utf-8"), path)
    assert issue is not None and issue.meta.subject == "Kabel und Kompromisse"
    built = krasse(empty_project, "build")
    assert built.exit_code == 0, built.output
    txt = next((empty_project / "outbox").glob("017-*/email.txt")).read_text(encoding="utf-8")
    assert "Nutzer*innen und den <Moment> davor." in re.sub(r"\s+", " ", txt)
    quiet = krasse(empty_project, "import", str(source), "--force")
    assert quiet.exit_code == 0 and "boilerplate dropped" not in quiet.output


def test_email_of_the_other_layout_still_imports(project: Path) -> None:
    """Footnote anchors as `<a name>`, quotes as bordered tables, escaped stars: the same issue comes out."""
    assert krasse(project, "build", "-q").exit_code == 0
    html = (project / "outbox" / "042-der-moment" / "email.html").read_text(encoding="utf-8")
    [before], _ = convert_html(html, "a.html", "Krasse Links")
    changed = re.sub(r'<li id="(fn\d+)"([^>]*)>', r'<li\2><a name="\1"></a>', html)
    changed = re.sub(
        r'<sup class="fnref"[^>]*><a href="#(fn\d+)" id="(fnref\d+)"', r'<sup><a name="\2"></a><a href="#\1"', changed
    )
    changed = re.sub(
        r"<blockquote[^>]*>(.*?)</blockquote>",
        r'<table role="presentation"><tr><td style="border-left:4px solid #c2185b">\1</td></tr></table>',
        changed,
        flags=re.S,
    ).replace("*innen", "&#42;innen")
    assert changed != html and 'id="fn1"' not in changed
    [after], _ = convert_html(changed, "b.html", "Krasse Links")
    assert after.body == before.body
    assert len(re.findall(r"(?m)^\[\^\d+\]:", after.body)) == 45


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><table><tr><td>&nbsp;</td></tr></table></body></html>",
        '<html><body><nav><a href="/">Start</a></nav><footer>© Beispiel</footer></body></html>',
        "<html><head><title>Leer</title></head></html>",
    ],
)
def test_page_without_content_is_an_error_naming_the_file(empty_project: Path, page: str) -> None:
    source = empty_project / "leer.html"
    source.write_text(page, encoding="utf-8")
    result = krasse(empty_project, "import", str(source), "--number", "3", "--date", "2024-01-01")
    assert result.exit_code == 1
    assert "leer.html: error [import-empty] no readable content" in result.output
    assert not list((empty_project / "issues").glob("*.md"))


def test_page_in_its_declared_charset_is_read_in_it(empty_project: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "<title>Krasse Links No. 4: Grüße</title></head><body><h1>Grüße</h1>"
        "<p>Willkommen bei Krasse Links No. 4. Straßenbahnen fahren – „immer“ öfter.</p></body></html>"
    )
    source = empty_project / "alt.html"
    source.write_bytes(page.encode("cp1252"))
    result = krasse(empty_project, "import", str(source), "--date", "2019-05-01")
    assert result.exit_code == 0, result.output
    text = (empty_project / "issues" / "004-gruesse.md").read_text(encoding="utf-8")
    assert "Straßenbahnen fahren – „immer“ öfter." in text and 'title: "Grüße"' in text
    undeclared = empty_project / "ohne.html"
    undeclared.write_bytes(page.replace("; charset=windows-1252", "").encode("cp1252"))
    result = krasse(empty_project, "import", str(undeclared), "--number", "5", "--date", "2019-05-01")
    assert result.exit_code == 1 and "ohne.html:1: error [file-encoding] not UTF-8" in result.output


def test_email_cut_to_fit_the_clip_budget_says_so(project: Path) -> None:
    config = project / "newsletter.toml"
    text = config.read_text(encoding="utf-8").replace("clip_budget = 100000", "clip_budget = 30000")
    config.write_text(text.replace('clip = "warn"', 'clip = "split"'), encoding="utf-8")
    assert krasse(project, "build", "-q").exit_code == 0
    html = (project / "outbox" / "041-plattform-daemmerung" / "email.html").read_text(encoding="utf-8")
    [draft], _ = convert_html(html, "kurz.html", "Krasse Links")
    assert "Weiterlesen" not in draft.body and "zu lang" not in draft.body
    assert draft.notices == [(0, "the email was cut short ('Weiterlesen im Web →'): import its archive page instead")]
    assert 1 < len(draft.body.split("\n---\n")) < 17


def test_short_campaign_keeps_its_text_beside_the_footer_link() -> None:
    page = (
        "<html><body><table><tr><td><p>Hallo zusammen, heute nur ein Gruß.</p><h1>Kurzausgabe</h1>"
        "<p>Willkommen bei Krasse Links No. 3. Kurz heute, weil Ferien sind.</p>"
        '<p><a href="*|UNSUB|*">Abmelden</a> · Beispielweg 1</p></td></tr></table></body></html>'
    )
    [draft], _ = convert_html(page, "k.html", "Krasse Links")
    assert (
        draft.body
        == "Hallo zusammen, heute nur ein Gruß.\n\nWillkommen bei Krasse Links No. 3. Kurz heute, weil Ferien sind.\n"
    )
    assert draft.title == "Kurzausgabe" and draft.number == 3
    assert "Abmelden · Beispielweg 1" in draft.dropped


def test_local_images_are_copied_and_a_name_clash_gets_the_number(empty_project: Path) -> None:
    png = (Path(__file__).resolve().parents[1] / "issues" / "images" / "kurve.png").read_bytes()
    for number, data in ((21, png), (22, png[:-1] + b"\x00")):  # same name, different picture
        folder = empty_project / f"alt{number}"
        (folder / "bilder").mkdir(parents=True)
        (folder / "bilder" / "bild.png").write_bytes(data)
        (folder / "index.html").write_text(
            f"<html><body><article><p>Willkommen bei Krasse Links No. {number}.</p>"
            '<p><img src="bilder/bild.png" alt="Ein Pegel"> und <img src="https://cdn.example.net/x.png" alt="fern">'
            "</p></article></body></html>",
            encoding="utf-8",
        )
        result = krasse(empty_project, "import", str(folder / "index.html"), "--date", "2020-01-01")
        assert result.exit_code == 0, result.output
        assert "kept as a URL (not downloaded): https://cdn.example.net/x.png" in result.output
    images = empty_project / "issues" / "images"
    assert (images / "bild.png").read_bytes() == png and (images / "022-bild.png").read_bytes() != png
    assert "![Ein Pegel](images/022-bild.png)" in next((empty_project / "issues").glob("022-*.md")).read_text("utf-8")
    assert krasse(empty_project, "build").exit_code == 0


def test_finding_that_needs_the_authors_hand_is_named(empty_project: Path) -> None:
    source = empty_project / "ohne-alt.html"
    source.write_text(
        '<html><body><p>Willkommen bei Krasse Links No. 2.</p><p><img src="https://cdn.example.net/y.png"></p>'
        "</body></html>",
        encoding="utf-8",
    )
    result = krasse(empty_project, "import", str(source), "--date", "2020-01-01")
    assert result.exit_code == 1
    assert (
        "[img-alt]" in result.output
        and "issues/002-krasse-links-no-2.md: the errors above need your hand" in result.output
    )
    assert (empty_project / "issues" / "002-krasse-links-no-2.md").exists()


def test_page_over_the_size_limit_is_refused_by_its_size(empty_project: Path) -> None:
    from pipeline.load import MAX_BYTES

    source = empty_project / "riesig.html"
    source.write_bytes(b'<meta charset="windows-1252"><p>' + b"Pegel " * (MAX_BYTES // 6 + 1) + b"</p>")
    result = krasse(empty_project, "import", str(source), "--number", "3", "--date", "2020-01-01")
    assert result.exit_code == 1 and "riesig.html: error [file-size]" in result.output
    assert not list((empty_project / "issues").glob("*.md"))


WORD_NOTES = (
    '<html><body><p>Willkommen bei Krasse Links No. 5. Ein Satz<a href="#_ftn1" name="_ftnref1">'
    '<span class="MsoFootnoteReference">[1]</span></a> und noch einer.<a href="#_ftn2" name="_ftnref2">[2]</a></p>'
    '<div><br clear="all"><hr align="left" size="1" width="33%">'
    '<div id="ftn1"><p><a href="#_ftnref1" name="_ftn1">[1]</a> Erste Notiz.</p></div>'
    '<div id="ftn2"><p><a href="#_ftnref2" name="_ftn2">[2]</a> Zweite Notiz.</p></div></div></body></html>'
)
BLOG_NOTES = (
    "<html><body><article><p>Willkommen bei Krasse Links No. 5. Ein Satz"
    '<a class="footnote-anchor" href="#footnote-1" id="footnote-anchor-1">1</a> und noch einer.'
    '<a class="footnote-anchor" href="#footnote-2" id="footnote-anchor-2">2</a></p>'
    '<div class="footnote"><a href="#footnote-anchor-1" class="footnote-number" id="footnote-1">1</a>'
    '<div class="footnote-content"><p>Erste Notiz.</p></div></div>'
    '<div class="footnote"><a href="#footnote-anchor-2" class="footnote-number" id="footnote-2">2</a>'
    '<div class="footnote-content"><p>Zweite Notiz.</p></div></div></article></body></html>'
)


@pytest.mark.parametrize("page", [WORD_NOTES, BLOG_NOTES], ids=["word-export", "blog-footnotes"])
def test_footnotes_of_other_tools_become_notes(page: str) -> None:
    [draft], _ = convert_html(page, "n.html", "Krasse Links")
    expected = "Willkommen bei Krasse Links No. 5. Ein Satz[^1] und noch einer.[^2]\n\n"
    assert draft.body == expected + "[^1]: Erste Notiz.\n\n[^2]: Zweite Notiz.\n"
