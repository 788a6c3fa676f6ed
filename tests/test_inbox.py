"""Inbox fidelity, read from the final HTML: what Gmail, Outlook, Apple Mail, GMX and WEB.DE need.

Each test names the client that is hurt when it fails (caniemail feature ids in brackets).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, copy_project, krasse
from generate import generate_issue

EXAMPLES = ["041-plattform-daemmerung", "042-der-moment", "043-kurz-und-buendig"]
LONG = "050-lang"
GENDER = "051-gender"
GENDER_ISSUE = """---
number: 51
title: Sternchen
date: 2026-11-16
preheader: "Eine kurze Ausgabe über Akteur*innen, Nutzer*innen und die Frage, wer hier gemeint ist."
---

Die Akteur*innen werden nicht überformt, sondern die Endnutzer*innen entscheiden, ob jede*r mitmacht.

---

Ein *kursives* Wort, ein **fettes** und die Haupt*sache* bleiben betont; Nutzer:innen und NutzerInnen bleiben so.
"""


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples and a long generated issue, built once."""
    dest = tmp_path_factory.mktemp("inbox") / "project"
    copy_project(dest)
    (dest / "issues" / f"{LONG}.md").write_text(generate_issue(50, 40_000, 50, footnotes=30), encoding="utf-8")
    (dest / "issues" / f"{GENDER}.md").write_text(GENDER_ISSUE, encoding="utf-8")
    result = krasse(dest, "build")
    assert result.exit_code == 0, result.output
    return dest / "outbox"


def html_of(outbox: Path, stem: str) -> str:
    return (outbox / stem / "email.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("stem", ["042-der-moment", LONG])
def test_every_footnote_jump_has_a_name_anchor(outbox: Path, stem: str) -> None:
    """Gmail web and Outlook for Windows jump only to <a name> [html-anchor-links]."""
    html = html_of(outbox, stem)
    targets = re.findall(r'href="#([^"]+)"', html)
    assert len(targets) > 20
    names = set(re.findall(r'<a [^>]*name="([^"]+)"', html))
    assert set(targets) <= names, set(targets) - names


def test_marker_and_note_share_a_visible_label(outbox: Path) -> None:
    """Gmail and Yahoo apps do not jump at all: "[7]" in the text must match "[7]" in the notes."""
    html = html_of(outbox, "042-der-moment")
    markers = re.findall(r'<a href="#fn(\d+)"[^>]*>\[(\d+)\]</a>', html)
    assert markers and all(a == b for a, b in markers)
    labels = re.findall(r'<a name="fn(\d+)"[^>]*><b>\[(\d+)\]</b></a>', html)
    assert [a for a, _ in labels] == [str(n) for n in range(1, len(labels) + 1)]
    assert all(a == b for a, b in labels)
    text = (outbox / "042-der-moment" / "email.txt").read_text(encoding="utf-8")
    assert "[Anm. 3]" in text and "[^" not in text
    assert re.search(r"(?m)^\[Anm\. 3\] ", text)


@pytest.mark.parametrize(
    ("stem", "size"), [("041-plattform-daemmerung", (552, 276)), ("043-kurz-und-buendig", (552, 414))]
)
def test_images_carry_their_size_capped_to_the_column(outbox: Path, stem: str, size: tuple[int, int]) -> None:
    """Outlook for Windows ignores max-width on images [css-max-width]: the attributes decide."""
    img = re.search(r"<img\b[^>]*>", html_of(outbox, stem))
    assert img, "no image"
    tag = img.group(0)
    assert f'width="{size[0]}"' in tag and f'height="{size[1]}"' in tag
    assert "display:block" in tag and "width:100%" in tag and f"max-width:{size[0]}px" in tag


def head_and_body(html: str) -> tuple[str, str]:
    head, body = html.split("</head>", 1)
    return head, body


def test_apple_metas_and_data_detector_reset(outbox: Path) -> None:
    """iOS would turn the date, the imprint's address and e-mail address into blue links."""
    head, _ = head_and_body(html_of(outbox, "041-plattform-daemmerung"))
    assert '<meta name="x-apple-disable-message-reformatting">' in head
    assert re.search(r'<meta name="format-detection" content="[^"]*date=no[^"]*address=no[^"]*email=no', head)
    assert re.search(r"a\[x-apple-data-detectors\]\{color: ?inherit !important", head)


def test_outlook_com_dark_mode_has_background_rules_and_the_card_stands_out(outbox: Path) -> None:
    """Outlook.com and new Outlook: [data-ogsb] for backgrounds, [data-ogsc] for quotes and footer."""
    head, _ = head_and_body(html_of(outbox, "041-plattform-daemmerung"))
    assert "[data-ogsb] .bg" in head and "[data-ogsb] .kl" in head
    assert "[data-ogsc] .t blockquote" in head and "[data-ogsc] .foot" in head
    page = re.search(r"\.kl\{background-color: (#\w+)", head)
    card = re.search(r"\.bg,\.bg>table\{background-color: (#\w+)", head)
    assert page and card and page.group(1) != card.group(1)


def test_mobile_query_does_not_enlarge_small_print(outbox: Path) -> None:
    head, _ = head_and_body(html_of(outbox, "041-plattform-daemmerung"))
    mobile = re.search(r"@media only screen and \(max-width: ?480px\)\{(.*?\})\}", head)
    assert mobile, "no mobile media query"
    assert "font-size: 17px" not in mobile.group(1) and ".t>div" not in mobile.group(1)


def test_body_and_content_styles_are_inline_for_gmx(outbox: Path) -> None:
    """GMX and WEB.DE strip <style> [html-style]: the body margin and text styles must be inline."""
    _, body = head_and_body(html_of(outbox, "041-plattform-daemmerung"))
    assert re.match(r'<body style="[^"]*margin:0', body)
    assert re.search(r'<div class="c" id="item-1"><p style="margin:0 0 16px', body)


def test_quotes_and_lists_indent_without_padding(outbox: Path) -> None:
    """Outlook for Windows ignores padding outside table cells [css-padding]: indent with margins."""
    html = html_of(outbox, "041-plattform-daemmerung") + html_of(outbox, "043-kurz-und-buendig")
    quotes = re.findall(r'<blockquote style="([^"]*)"', html)
    lists = re.findall(r'<(?:ul|ol) style="([^"]*)"', html)
    assert quotes and lists
    assert not any("padding" in q and "padding:0" not in q for q in quotes)
    assert all("margin:0 0 16px 24px" in s or "margin-left:0" in s for s in lists)
    assert re.search(r'<blockquote style="[^"]*"><p style="margin:0 0 16px 16px', html)


def test_last_block_in_quotes_and_items_has_no_bottom_margin(outbox: Path) -> None:
    html = html_of(outbox, "041-plattform-daemmerung")
    last_in_quote = re.findall(r'<p style="([^"]*)">[^<]*(?:<[^/][^>]*>[^<]*</[^>]+>[^<]*)*</p></blockquote>', html)
    assert last_in_quote and all(s.endswith("margin-bottom:0") for s in last_in_quote)


def test_tables_have_scope_and_do_not_break_words(outbox: Path) -> None:
    html = html_of(outbox, "041-plattform-daemmerung")
    ths = re.findall(r"<th\b[^>]*>", html)
    assert ths and all('scope="col"' in th for th in ths)
    assert re.search(r'<table style="[^"]*word-break:normal', html)


def test_code_font_starts_with_one_outlook_has(outbox: Path) -> None:
    """Outlook for Windows uses only the first font of a list; Consolas ships with Windows."""
    codes = re.findall(r'<code style="([^"]*)"', html_of(outbox, "041-plattform-daemmerung"))
    assert codes and all("font-family:Consolas" in c for c in codes)


def test_dividers_are_light(outbox: Path) -> None:
    """mj-divider cost 455 bytes each; a bordered paragraph draws the same line."""
    html = html_of(outbox, "041-plattform-daemmerung")
    dividers = re.findall(r'<p class="hr"[^>]*>[^<]*</p>', html)
    assert len(dividers) >= 17
    assert all(len(d) < 160 for d in dividers)
    assert "<mj-divider" not in (ROOT / "layouts/email.mjml.j2").read_text(encoding="utf-8")


def test_english_quotes_carry_lang_in_email_and_archive(outbox: Path) -> None:
    """WCAG 3.1.2: screen readers read English quotes with English pronunciation."""
    html = html_of(outbox, "041-plattform-daemmerung")
    quotes = re.findall(r"<blockquote\b([^>]*)>(.*?)</blockquote>", html, re.S)
    english = [q for attrs, q in quotes if 'lang="en"' in attrs]
    german = [q for attrs, q in quotes if "lang=" not in attrs]
    assert len(english) == 5 and len(german) == 3
    the = re.compile(r"\bthe\b", re.I)
    assert all(the.search(q) for q in english) and not any(the.search(q) for q in german)
    # no German paragraph is labelled anywhere in the examples
    for stem in EXAMPLES:
        labelled = re.findall(r'<(p|li|blockquote)\b[^>]*lang="(\w+)"', html_of(outbox, stem))
        assert all(lang == "en" for _, lang in labelled)
    project = outbox.parent
    assert krasse(project, "archive").exit_code == 0
    page = (project / "outbox/archive/41/index.html").read_text(encoding="utf-8")
    assert page.count('<blockquote lang="en">') == 5


def test_gender_stars_survive_in_html_and_text(outbox: Path) -> None:
    html = html_of(outbox, GENDER)
    for word in ("Akteur*innen", "Endnutzer*innen", "jede*r", "Nutzer:innen", "NutzerInnen"):
        assert word in html
    assert "<em>kursives</em>" in html and "<strong>fettes</strong>" in html and "Haupt<em>sache</em>" in html
    assert "<em>innen" not in html and "Akteur<em>" not in html
    text = (outbox / GENDER / "email.txt").read_text(encoding="utf-8")
    assert "Akteur*innen" in text and "Endnutzer*innen" in text and "jede*r" in text
