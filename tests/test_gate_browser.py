"""The final gate reads an email as a browser does: its links, images and anchors are compared with
what Debian's Chromium finds in the same bytes, on hostile fragments and on whole built emails.

The gate parses with lexbor (HTML standard) instead of the stdlib's `html.parser`; where the two
differ (text inside `<textarea>`, the first of two equal attributes, `&not=` in a URL) the reader's
client follows the standard, and so must the gate.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.load import parse_issue
from pipeline.mail.compose import build_email
from pipeline.mail.gate import read
from pipeline.render import render

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = [
    '<a href="https://example.org/">t</a>',
    "<a href=#n1>",
    "<a href='#n2' id=n2>",
    '<img src="https://example.org/x.png">',
    "<img>",
    "<img src=rel.png/>",
    '<!-- <a href="im-kommentar"> -->',
    '<!--[if mso]><a href="mso"><![endif]-->',
    "<!--[if !mso]><!-->",
    "<!--<![endif]-->",
    '<style>a{}<a href="stil"></style>',
    '<script><a href="skript"></script>',
    '<textarea><a href="ta"></textarea>',
    '<a href="x" href="y">',
    '<A HREF="GROSS">',
    '<a href="?a=1&not=2&copy;">',
    '<a href="a\rb">',
    "\n\n\r\n",
    '<a href="x"\x0bid="vt">',
    "<a href=ohne quote>",
    '<a href="x>y">',
    '<a href="<b>">',
    '</a href="ende">',
    "<!-->",
    "--!>",
    '<a id=a1 id=a2><a name="nm">',
    '<a href="{{unsubscribe_url}}">',
    '<a href="{{ first_name }}">',
    "<![CDATA[<a href='cd'>]]>",
    "<",
    "&",
    "ä „x“ Nutzer*innen <Moment>",
    '<template><a href="tpl"></template>',
    '<svg><a href="svg-link"/></svg>',
    '<title><a href="ti"></title>',
    '<noscript><a href="ns"></noscript>',
    '<xmp><a href="x"></xmp>',
    '<iframe><a href="if"></iframe>',
    '<table><a href="t1"><tr><td><a href="t2"></table>',
    '<select><a href="sel"></select>',
]


@pytest.fixture
def page(browser):
    """A page that runs no script of its own, as in a mail app (`<noscript>` content is then markup)."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


SEEN_BY_CHROMIUM = """() => {
  const hrefs = [], images = [], anchors = [];
  for (const el of document.querySelectorAll("a, img, [id]")) {
    if (el.hasAttribute("id")) anchors.push(el.getAttribute("id"));
    if (el.localName === "a") {
      if (el.hasAttribute("name")) anchors.push(el.getAttribute("name"));
      if (el.hasAttribute("href")) hrefs.push(el.getAttribute("href"));
    } else if (el.localName === "img") {
      images.push(el.getAttribute("src") ?? "");
    }
  }
  return { hrefs, images, anchors };
}"""


def chromium_reads(page, html: str) -> tuple[list[str], list[str], set[str]]:
    page.set_content(html)
    seen = page.evaluate(SEEN_BY_CHROMIUM)
    return [h.strip() for h in seen["hrefs"]], [s.strip() for s in seen["images"]], set(seen["anchors"])


def hostile_documents() -> list[str]:
    pick = random.Random(13)  # fixed: the same documents on every run
    joined = ["\n".join(pick.choices(HOSTILE, k=pick.randint(2, 10))) for _ in range(60)]
    return [*HOSTILE, *joined]


def test_the_gate_reads_hostile_html_as_chromium_does(page) -> None:
    differ = []
    for html in hostile_documents():
        ours = read(html)
        if (ours.hrefs, ours.images, ours.anchors) != chromium_reads(page, html):
            differ.append(html)
    assert not differ, f"{len(differ)} documents read differently, first: {differ[0]!r}"


def test_the_reading_differs_from_the_stdlib_where_the_standard_says_so(page) -> None:
    """Guards the test above: these are cases html.parser got wrong, so a return to it fails here."""
    html = '<a href="relativ" href="https://example.org/">x</a><textarea><a href="ta"></textarea>'
    assert read(html).hrefs == ["relativ"] == chromium_reads(page, html)[0]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "issues").glob("*.md")))
def test_the_gate_reads_every_built_example_as_chromium_does(page, name: str) -> None:
    config = load_config(ROOT)
    issue, found = parse_issue((ROOT / "issues" / name).read_text(encoding="utf-8"), ROOT / "issues" / name)
    assert issue is not None, found
    html = build_email(issue, config, render(issue, config["newsletter.base_url"])).marked_html
    ours = read(html)
    assert ours.hrefs, "an email with links"
    assert (ours.hrefs, ours.images, ours.anchors) == chromium_reads(page, html)
