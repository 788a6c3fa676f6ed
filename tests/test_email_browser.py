"""What a person sees: each example email in real Chromium at desktop and phone width."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_project, krasse

pytestmark = pytest.mark.browser

EXAMPLES = ["041-plattform-daemmerung", "042-der-moment", "043-kurz-und-buendig"]
WIDTHS = [600, 375]


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("browser") / "project"
    copy_project(dest)
    assert krasse(dest, "build").exit_code == 0
    return dest / "outbox"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("stem", EXAMPLES)
def test_email_fits_and_reads(page, outbox: Path, tmp_path: Path, stem: str, width: int) -> None:
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.set_viewport_size({"width": width, "height": 900})
    page.goto((outbox / stem / "email.html").as_uri())
    shot = tmp_path / f"{stem}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000

    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"horizontal overflow at {width}px: {scroll} > {inner}"

    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.c > p')]
              .filter(p => !p.closest('.notes-block'))
              .map(p => parseFloat(getComputedStyle(p).fontSize))"""
    )
    assert sizes, "no body paragraphs found"
    assert min(sizes) >= 16

    # the content column never exceeds 600 px, and fills a phone screen
    column = page.evaluate("document.querySelector('#item-0').getBoundingClientRect().width")
    assert column <= 600 - 2 * 24 + 1
    if width == 375:
        assert column >= 375 - 2 * 24 - 1

    # the preheader is in the DOM but not visible
    hidden = page.evaluate(
        """() => { const d = document.querySelector('div[style*="mso-hide"]');
                   const r = d.getBoundingClientRect();
                   return (r.height <= 1 && r.width <= 1) || getComputedStyle(d).display === 'none'; }"""
    )
    assert hidden


def test_dark_mode_changes_the_background(page, outbox: Path) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto((outbox / "043-kurz-und-buendig/email.html").as_uri())
    colour = page.evaluate("getComputedStyle(document.querySelector('.bg')).backgroundColor")
    assert colour == "rgb(29, 28, 33)"  # #1d1c21 from email-dark.css.j2
    page_colour = page.evaluate("getComputedStyle(document.querySelector('.kl')).backgroundColor")
    assert page_colour == "rgb(15, 14, 17)"  # the page stays darker than the card, so the card shows
    page.emulate_media(color_scheme="light")
    colour = page.evaluate("getComputedStyle(document.querySelector('.bg')).backgroundColor")
    assert colour == "rgb(255, 255, 255)"
