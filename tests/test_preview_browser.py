"""What the author sees: a real Chromium on the live preview while files change on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.preview import Preview

pytestmark = pytest.mark.browser

STEM = "043-kurz-und-buendig"
TIMEOUT = 10_000  # ms; generous for a loaded CI machine, normal runs take ~0.1 s


@pytest.fixture
def preview(project: Path) -> Iterator[Preview]:
    with Preview(project, port=0) as running:
        yield running


@pytest.fixture
def expect():
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT)
    return expect


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_saving_repaints_the_frames_and_keeps_the_scroll_position(page, preview, project, expect) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{preview.url}issue/{STEM}/")
    desktop = page.frame_locator("#desktop").locator("body")
    expect(desktop).to_contain_text("Schonkost-Ausgabe")
    page.locator("#desktop").evaluate("f => f.contentWindow.scrollTo(0, 300)")

    _edit(project / "issues" / f"{STEM}.md", "Schonkost-Ausgabe", "Frisch gespeicherte Ausgabe")

    expect(desktop).to_contain_text("Frisch gespeicherte Ausgabe")
    expect(page.frame_locator("#mobile").locator("body")).to_contain_text("Frisch gespeicherte Ausgabe")
    expect(desktop).not_to_contain_text("Schonkost-Ausgabe")
    page.wait_for_function("document.getElementById('desktop').contentWindow.scrollY === 300", timeout=TIMEOUT)


def test_a_save_swaps_the_email_into_the_frames_in_place(page, preview, project, expect) -> None:
    """No navigation and no requests: the frames keep their document and scroll position; hidden
    views (fetched, not in the event) show the new text when their tab opens."""
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{preview.url}issue/{STEM}/")
    desktop = page.frame_locator("#desktop").locator("body")
    expect(desktop).to_contain_text("Schonkost-Ausgabe")
    expect(page.frame_locator("#dark").locator("body")).to_contain_text("Schonkost-Ausgabe")
    page.locator("#desktop").evaluate("f => { f.contentWindow.scrollTo(0, 300); f.contentWindow.kept = 1; }")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url.removeprefix(preview.url)))

    _edit(project / "issues" / f"{STEM}.md", "Schonkost-Ausgabe", "Frisch gespeicherte Ausgabe")

    expect(desktop).to_contain_text("Frisch gespeicherte Ausgabe")
    expect(page.frame_locator("#mobile").locator("body")).to_contain_text("Frisch gespeicherte Ausgabe")
    assert page.locator("#desktop").evaluate("f => [f.contentWindow.kept, f.contentWindow.scrollY]") == [1, 300]
    assert navigations == []
    # the event brought the status and the document for desktop and mobile along
    assert not [r for r in requests if "status.json" in r or "email.html" in r]

    page.click("#tab-btn-dark")  # hidden while saved: fresh when shown
    expect(page.frame_locator("#dark").locator("body")).to_contain_text("Frisch gespeicherte Ausgabe")
    expect(page.frame_locator("#invert").locator("body")).to_contain_text("Frisch gespeicherte Ausgabe")
    background = page.locator("#dark").evaluate(
        "f => f.contentWindow.getComputedStyle(f.contentDocument.querySelector('.bg > table, .bg')).backgroundColor"
    )
    assert background == "rgb(29, 28, 33)"  # still the dark view's own document
    assert "invert(1)" in page.locator("#invert").evaluate(
        "f => f.contentWindow.getComputedStyle(f.contentDocument.documentElement).filter"
    )
    assert navigations == []


def test_bad_front_matter_shows_the_overlay_over_the_last_good_render(page, preview, project, expect) -> None:
    path = project / "issues" / f"{STEM}.md"
    page.goto(f"{preview.url}issue/{STEM}/")
    overlay = page.locator("#overlay")
    desktop = page.frame_locator("#desktop").locator("body")
    expect(desktop).to_contain_text("Schonkost-Ausgabe")
    expect(overlay).to_be_hidden()

    line = [x.startswith("date:") for x in path.read_text(encoding="utf-8").splitlines()].index(True) + 1
    _edit(path, "date:", "date: : :")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text(f"issues/{STEM}.md:{line}")
    expect(overlay).to_contain_text("fm-yaml")
    expect(desktop).to_contain_text("Schonkost-Ausgabe")  # last good render stays underneath
    expect(page.locator("#findings")).to_contain_text(f"Zeile {line}")

    _edit(path, "date: : :", "date:")
    _edit(path, "Schonkost-Ausgabe", "reparierte Ausgabe")
    expect(overlay).to_be_hidden()
    expect(desktop).to_contain_text("reparierte Ausgabe")
    assert preview.alive


def test_broken_layout_shows_its_file_and_line(page, preview, project, expect) -> None:
    page.goto(f"{preview.url}issue/{STEM}/")
    expect(page.frame_locator("#desktop").locator("body")).to_contain_text("Schonkost-Ausgabe")
    layout = project / "layouts" / "email.mjml.j2"
    original = layout.read_text(encoding="utf-8")
    line = original[: original.index("{{ issue.subject }}")].count("\n") + 1
    _edit(layout, "{{ issue.subject }}", "{{ issue.subject | gibtsnicht }}")
    expect(page.locator("#overlay")).to_contain_text(f"layouts/email.mjml.j2:{line}")
    expect(page.locator("#overlay")).to_contain_text("layout-syntax")
    expect(page.locator("#overlay")).to_contain_text("gibtsnicht")
    layout.write_text(original, encoding="utf-8")
    expect(page.locator("#overlay")).to_be_hidden()


def test_mobile_frame_has_no_horizontal_overflow(page, preview, expect) -> None:
    for stem in ("041-plattform-daemmerung", "042-der-moment", STEM, "044-entwurf"):
        page.goto(f"{preview.url}issue/{stem}/")
        mobile = page.locator("#mobile")
        expect(page.frame_locator("#mobile").locator("h1")).to_be_visible()
        assert mobile.evaluate("f => f.getBoundingClientRect().width") <= 377  # 375 + borders
        overflow = mobile.evaluate(
            "f => f.contentDocument.documentElement.scrollWidth - f.contentDocument.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{stem}: {overflow}px wider than the phone"


def test_dark_views_really_turn_dark(page, preview, expect) -> None:
    page.goto(f"{preview.url}issue/{STEM}/")
    page.click("#tab-btn-dark")
    expect(page.frame_locator("#dark").locator("h1")).to_be_visible()
    expect(page.frame_locator("#invert").locator("h1")).to_be_visible()
    # the email's own prefers-color-scheme styles apply although the browser is in light mode
    background = page.locator("#dark").evaluate(
        "f => f.contentWindow.getComputedStyle(f.contentDocument.querySelector('.bg > table, .bg')).backgroundColor"
    )
    assert background == "rgb(29, 28, 33)"  # #1d1c21 from layouts/email-dark.css.j2
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is False
    inverted = page.locator("#invert").evaluate(
        "f => f.contentWindow.getComputedStyle(f.contentDocument.documentElement).filter"
    )
    assert "invert(1)" in inverted


def test_gmx_view_has_no_style_blocks_and_lint_findings_show(page, preview, project, expect) -> None:
    page.goto(f"{preview.url}issue/{STEM}/")
    page.click("#tab-btn-gmx")
    expect(page.frame_locator("#gmx").locator("h1")).to_be_visible()
    gmx = page.locator("#gmx")
    assert gmx.evaluate("f => f.contentDocument.querySelectorAll('style').length") == 0
    assert gmx.evaluate("f => f.contentWindow.getComputedStyle(f.contentDocument.body).marginTop") == "0px"
    expect(page.locator("#findings")).to_contain_text("Keine Befunde")
    # a layout edit that GMX and Outlook cannot show is named, with the layout file and line
    css = project / "layouts/email.css.j2"
    css.write_text(css.read_text(encoding="utf-8") + ".c p { display: flex; }\n", encoding="utf-8")
    expect(page.locator("#findings")).to_contain_text("client-support")
    expect(page.locator("#findings")).to_contain_text("layouts/email.css.j2:")


def test_plain_text_tab_and_size_meter(page, preview, project, expect) -> None:
    page.goto(f"{preview.url}issue/{STEM}/")
    size = len((project / "outbox" / STEM / "email.html").read_bytes())
    meter = page.locator("#budget")
    expect(meter).to_have_attribute("max", "100000")
    assert float(meter.evaluate("m => m.value")) == size
    page.click("#tab-btn-text")
    text = (project / "outbox" / STEM / "email.txt").read_text(encoding="utf-8")
    expect(page.frame_locator("#text").locator("body")).to_contain_text(text.splitlines()[0].strip())


def test_index_lists_new_issues_by_itself(page, preview, project, expect) -> None:
    page.goto(preview.url)
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Entwurf")
    source = (project / "issues" / f"{STEM}.md").read_text(encoding="utf-8")
    new = source.replace("number: 43", "number: 45").replace('"Kurz und bündig"', '"Ganz neu"')
    (project / "issues" / "045-ganz-neu.md").write_text(new, encoding="utf-8")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Ganz neu")
