"""The built email: structure, accessibility, dark mode, footer, determinism and the clip budget."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import krasse, visible_parts
from generate import generate_issue

from pipeline.build import prepare
from pipeline.config import load_config
from pipeline.load import read_issue

EXAMPLES = ["041-plattform-daemmerung", "042-der-moment", "043-kurz-und-buendig"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project built once for the read-only tests of this module."""
    root = Path(__file__).resolve().parent.parent
    dest = tmp_path_factory.mktemp("mail") / "project"
    dest.mkdir()
    shutil.copy(root / "newsletter.toml", dest / "newsletter.toml")
    shutil.copytree(root / "layouts", dest / "layouts")
    shutil.copytree(root / "issues", dest / "issues")
    result = krasse(dest, "build")
    assert result.exit_code == 0, result.output
    return dest


def html_of(project: Path, stem: str = "041-plattform-daemmerung") -> str:
    return (project / "outbox" / stem / "email.html").read_text(encoding="utf-8")


def set_config(project: Path, section: str, key: str, value: str) -> None:
    path = project / "newsletter.toml"
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    if not n:
        text = text.replace(f"[{section}]\n", f"[{section}]\n{key} = {value}\n")
    path.write_text(text, encoding="utf-8")


def visible_text(html: str) -> str:
    return " ".join(" ".join(visible_parts(html)).split())


def test_document_language_title_and_layout_tables(built: Path) -> None:
    html = html_of(built)
    assert html.startswith("<!doctype html>")
    assert re.search(r'<html lang="de"', html)
    assert "<title>Krasse Links No. 41: Plattform-Dämmerung</title>" in html
    tables = re.findall(r"<table\b[^>]*>", html)
    layout = [t for t in tables if 'role="presentation"' in t]
    assert len(layout) >= 5
    # every table that is not the author's data table is a presentation table
    assert all('role="presentation"' in t or "border-collapse:collapse;margin" in t for t in tables)


def test_preheader_hidden_everywhere(built: Path) -> None:
    html = html_of(built)
    m = re.search(r'<div style="(display:none[^"]*)">([^<]*)</div>', html)
    assert m, "no hidden preheader"
    assert "mso-hide:all" in m.group(1) and "max-height:0" in m.group(1)
    preheader = "Wenn die Feeds leiser werden, hört man endlich das Knarzen im Gebälk."
    assert m.group(2).startswith(preheader)
    # the rest is invisible filler, so inboxes do not pad the preview with the header's text
    filler = m.group(2)[len(preheader) :]
    assert filler and set(filler) == {"\u200c", "\xa0"}
    assert len(preheader) + len(filler) >= 140
    assert html.index(m.group(0)) < html.index("Willkommen bei Krasse Links")


def test_dark_mode_meta_and_media_query(built: Path) -> None:
    html = html_of(built)
    head = html.split("</head>")[0]
    assert '<meta name="color-scheme" content="light dark">' in head
    assert '<meta name="supported-color-schemes" content="light dark">' in head
    assert "@media (prefers-color-scheme: dark)" in head
    assert "#e08bad" in head  # the brand colour lightened for dark backgrounds


def test_body_text_size_and_width(built: Path) -> None:
    html = html_of(built)
    item = re.search(r'<div style="([^"]*)"><div class="c" id="item-1"', html)
    assert item, "item block not found"
    size = re.search(r"font-size:(\d+)px", item.group(1))
    assert size and int(size.group(1)) >= 16
    assert "max-width:600px" in html and 'width="600"' in html
    assert not re.search(r"max-width:(6[1-9]\d|[7-9]\d\d|\d{4,})px", html)


def test_german_date_header(built: Path) -> None:
    html = html_of(built)
    assert "<strong>Krasse Links</strong> · No. 41 · 5. Oktober 2026" in html
    assert "No. 42 · 19. Oktober 2026" in html_of(built, "042-der-moment")
    assert "Krasse Links No. 43 – 2. November 2026" in (built / "outbox/043-kurz-und-buendig/email.txt").read_text()


def test_footer_web_link_unsubscribe_and_imprint(built: Path) -> None:
    html = html_of(built)
    assert re.search(r'<a href="https://krasse-links.example/archiv/41/"[^>]*>Im Browser lesen</a>', html)
    assert re.search(r'<a href="\{\{unsubscribe_url\}\}"[^>]*>Abmelden</a>', html)
    imprint = "Krasse Links · Redaktion Beispiel · Musterstraße 12 · 10115 Berlin · post@krasse-links.example"
    assert imprint in html
    text = (built / "outbox/041-plattform-daemmerung/email.txt").read_text()
    assert "Im Browser lesen: https://krasse-links.example/archiv/41/" in text
    assert "Abmelden: {{unsubscribe_url}}" in text and imprint in text


def test_blockquotes_carry_inline_border(built: Path) -> None:
    quotes = re.findall(r"<blockquote\b[^>]*? style=\"([^\"]*)\"", html_of(built))
    assert len(quotes) == 8  # the issue's eight quotes
    assert all("border-left:4px solid #c2185b" in q for q in quotes)


def test_content_styles_are_inlined_and_links_coloured(built: Path) -> None:
    html = html_of(built)
    assert re.search(r'<p style="margin:0 0 16px[^"]*">Willkommen bei Krasse Links No. 41', html)
    assert '<a href="https://kurvenlage-research.example.com/berichte/kettle-2026" style="color:#c2185b' in html


def test_local_images_use_the_web_base_and_are_copied(built: Path) -> None:
    html = html_of(built)
    assert '<img src="https://krasse-links.example/archiv/images/kurve.png"' in html
    copied = built / "outbox/041-plattform-daemmerung/images/kurve.png"
    assert copied.read_bytes() == (built / "issues/images/kurve.png").read_bytes()


def test_meta_json(built: Path) -> None:
    meta = json.loads((built / "outbox/041-plattform-daemmerung/meta.json").read_text())
    html_bytes = len(html_of(built).encode())
    assert meta["number"] == 41 and meta["bytes"] == html_bytes and meta["budget"] == 100_000
    assert meta["web_url"] == "https://krasse-links.example/archiv/41/"
    assert meta["items"] == meta["items_sent"] == 18
    assert meta["images"] == ["images/kurve.png"] and meta["errors"] == []


def test_identical_input_gives_identical_bytes(built: Path, project: Path) -> None:
    def snapshot(root: Path) -> dict[str, bytes]:
        out = root / "outbox"
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    first = snapshot(built)
    assert len(first) == 3 * 4 + 2  # four files per issue, two images
    result = krasse(project, "build")  # another folder, another run
    assert result.exit_code == 0
    assert snapshot(project) == first
    shutil.rmtree(project / "outbox")
    (project / "outbox").mkdir()
    krasse(project, "build")
    assert snapshot(project) == first


def test_over_budget_warns(project: Path) -> None:
    set_config(project, "email", "clip_budget", "30000")
    result = krasse(project, "build", str(project / "issues/041-plattform-daemmerung.md"))
    assert result.exit_code == 0
    assert re.search(
        r"041-plattform-daemmerung\.md:2: warning \[clip-budget\] email HTML is [\d,]+ bytes, over the "
        r"budget of 30,000",
        result.output,
    ), result.output
    meta = json.loads((project / "outbox/041-plattform-daemmerung/meta.json").read_text())
    assert meta["bytes"] > 30000 and meta["items_sent"] == meta["items"]


def _check_split(project: Path, stem: str, budget: int) -> dict:
    html = html_of(project, stem)
    meta = json.loads((project / "outbox" / stem / "meta.json").read_text())
    assert len(html.encode()) <= budget
    assert 1 <= meta["items_sent"] < meta["items"]
    web = f"https://krasse-links.example/archiv/{meta['number']}/"
    assert re.search(rf'<a href="{re.escape(web)}"[^>]*>Weiterlesen im Web →</a>', html)
    assert html.count('id="item-') == meta["items_sent"]
    assert f'id="item-{meta["items_sent"] - 1}"' in html
    assert any("clip-split" in w for w in meta["warnings"])
    return meta


def test_split_cuts_at_the_last_item_that_fits(project: Path) -> None:
    set_config(project, "email", "clip_budget", "30000")
    set_config(project, "email", "clip", '"split"')
    result = krasse(project, "build", str(project / "issues/041-plattform-daemmerung.md"))
    assert result.exit_code == 0, result.output
    meta = _check_split(project, "041-plattform-daemmerung", 30000)
    # one more item would not have fitted
    config = load_config(project)
    issue, _ = read_issue(project / "issues/041-plattform-daemmerung.md")
    from pipeline.mail.compose import render_email

    rendered = prepare(issue, config).rendered
    assert render_email(issue, config, rendered, meta["items_sent"] + 1).bytes > 30000
    # the plain text is cut at the same item (issue 8) and links the rest, like the HTML
    text = (project / "outbox/041-plattform-daemmerung/email.txt").read_text()
    assert "Gebt ihnen mehr Geld." not in text and "Geld." not in visible_text(
        html_of(project, "041-plattform-daemmerung")
    )
    assert "Weiterlesen im Web → https://krasse-links.example/archiv/41/" in text


def test_split_from_front_matter_on_a_generated_60kb_issue(empty_project: Path) -> None:
    source = generate_issue(7, 60_000, 3, True, False)
    source = source.replace("---\n", "---\nclip: split\n", 1)
    path = empty_project / "issues/007-generiert.md"
    path.write_text(source, encoding="utf-8")
    set_config(empty_project, "email", "clip_budget", "60000")
    result = krasse(empty_project, "build")
    assert result.exit_code == 0, result.output
    meta = _check_split(empty_project, "007-generiert", 60_000)
    assert meta["bytes"] <= 60_000
    html = html_of(empty_project, "007-generiert")
    # notes kept are those of the items sent; no reference points at a missing note
    refs = {int(n) for n in re.findall(r'<a href="#fn(\d+)"', html)}
    notes = {int(n) for n in re.findall(r'<li id="fn(\d+)"', html)}
    assert refs <= notes


def test_meta_json_does_not_depend_on_the_working_directory(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_config(project, "email", "clip_budget", "30000")  # so that meta.json lists a warning with a file name
    meta = project / "outbox/041-plattform-daemmerung/meta.json"
    monkeypatch.chdir(project)
    assert krasse(project, "build").exit_code == 0
    inside = meta.read_bytes()
    assert "issues/041-plattform-daemmerung.md:2: warning [clip-budget]" in json.loads(inside)["warnings"][0]
    monkeypatch.chdir(project.parent)
    shutil.rmtree(project / "outbox")
    (project / "outbox").mkdir()
    assert krasse(project, "build").exit_code == 0
    assert meta.read_bytes() == inside
