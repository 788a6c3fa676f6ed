"""Inbox fidelity in real Chromium: every example and a long generated issue at 375 and 800 px,
light and dark, and with <style> stripped (GMX, WEB.DE). Measured from computed styles: no
horizontal overflow, body text ≥ 16 px, text contrast ≥ 4.5:1 (3:1 for large text), link and
footnote-marker cues ≥ 3:1 against the text or an underline, footnote tap targets ≥ 24 × 24 px.

One browser and one page for the whole module: the machine is shared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_project, krasse
from generate import generate_issue

pytestmark = pytest.mark.browser

STEMS = ["041-plattform-daemmerung", "042-der-moment", "043-kurz-und-buendig", "050-lang"]
MODES = ["light", "dark", "nostyle"]
WIDTHS = [375, 800]

MEASURE = """() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return dark ? [18, 18, 18] : [255, 255, 255];
  };
  const shown = (el) => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && parseFloat(s.opacity) > 0 && r.width > 1 && r.height > 1
      && parseFloat(s.fontSize) > 1;
  };
  const out = {overflow: document.documentElement.scrollWidth - innerWidth};
  Object.assign(out, {body: [], contrast: [], cues: [], targets: []});
  for (const p of document.querySelectorAll('.c > p, .c > ul > li, .c > ol > li, .c > blockquote > p')) {
    if (!p.closest('.notes-block') && shown(p)) out.body.push(parseFloat(getComputedStyle(p).fontSize));
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el) || !shown(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = ratio(rgb(s.color).slice(0, 3), background(el));
    if (r < need) out.contrast.push(`${el.tagName} "${n.textContent.trim().slice(0, 30)}" ${r.toFixed(2)}`);
  }
  for (const a of document.querySelectorAll('.c a[href]')) {
    if (!shown(a)) continue;
    const s = getComputedStyle(a);
    const around = getComputedStyle(a.closest('sup') ? a.closest('sup').parentElement : a.parentElement).color;
    const underlined = s.textDecorationLine.includes('underline');
    const r = ratio(rgb(s.color).slice(0, 3), rgb(around).slice(0, 3));
    if (!underlined && r < 3 && !a.classList.contains('backref')) {
      out.cues.push(`"${a.textContent.slice(0, 30)}" ${r.toFixed(2)}`);
    }
  }
  for (const a of document.querySelectorAll('sup a[href^="#"], a.backref')) {
    const r = a.getBoundingClientRect();
    if (shown(a) && (r.width < 24 || r.height < 24)) {
      out.targets.push(`${a.textContent} ${r.width.toFixed(1)}x${r.height.toFixed(1)}`);
    }
  }
  out.markers = document.querySelectorAll('sup a[href^="#"]').length;
  return out;
}"""


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("inbox-browser") / "project"
    copy_project(dest)
    (dest / "issues/050-lang.md").write_text(generate_issue(50, 40_000, 50, footnotes=30), encoding="utf-8")
    result = krasse(dest, "build")
    assert result.exit_code == 0, result.output
    for stem in STEMS:  # the GMX view: every <style> removed, as their webmail does
        html = (dest / "outbox" / stem / "email.html").read_text(encoding="utf-8")
        stripped = re.sub(r"<style\b.*?</style>", "", html, flags=re.S | re.I)
        (dest / "outbox" / stem / "nostyle.html").write_text(stripped, encoding="utf-8")
    return dest / "outbox"


@pytest.fixture(scope="module")
def tab(browser) -> Iterator:
    context = browser.new_context()
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    yield page
    context.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stem", STEMS)
def test_reads_well_in_every_inbox(tab, outbox: Path, stem: str, mode: str) -> None:
    tab.emulate_media(color_scheme="dark" if mode == "dark" else "light")
    name = "nostyle.html" if mode == "nostyle" else "email.html"
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        tab.goto((outbox / stem / name).as_uri())
        m = tab.evaluate(MEASURE)
        where = f"{stem} {mode} {width}px"
        assert m["overflow"] <= 0, f"{where}: {m['overflow']} px horizontal overflow"
        assert m["body"] and min(m["body"]) >= 16, f"{where}: body text {min(m['body'] or [0])} px"
        assert not m["contrast"], f"{where}: low contrast {m['contrast'][:5]}"
        assert not m["cues"], f"{where}: links without a cue {m['cues'][:5]}"
        assert not m["targets"], f"{where}: small footnote targets {m['targets'][:5]}"
        if stem in ("042-der-moment", "050-lang"):
            assert m["markers"] >= 30


def test_dark_mode_really_applies(tab, outbox: Path) -> None:
    """The measurements above mean something only if dark mode is on: the card turns dark."""
    tab.emulate_media(color_scheme="dark")
    tab.goto((outbox / "043-kurz-und-buendig/email.html").as_uri())
    card = tab.evaluate("getComputedStyle(document.querySelector('.bg')).backgroundColor")
    text = tab.evaluate("getComputedStyle(document.querySelector('.c p')).color")
    assert card == "rgb(29, 28, 33)" and text == "rgb(235, 232, 226)"


@pytest.mark.parametrize("name", ["email.html", "nostyle.html"])
def test_table_words_stay_whole_on_a_phone(tab, outbox: Path, name: str) -> None:
    """MJML's word-break:break-word split "Nordschweden" as "Nordsch/weden" at 375 px."""
    tab.emulate_media(color_scheme="light")
    tab.set_viewport_size({"width": 375, "height": 900})
    tab.goto((outbox / "041-plattform-daemmerung" / name).as_uri())
    lines = tab.evaluate(
        """() => { const td = [...document.querySelectorAll('td')].find(c => c.textContent.trim() === 'Nordschweden');
                   const r = document.createRange(); r.selectNodeContents(td);
                   return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"""
    )
    assert lines == 1
