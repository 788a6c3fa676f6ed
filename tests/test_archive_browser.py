"""The archive in a real browser: search (over http and file://), navigation, footnotes, small screens."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.archive import build_archive
from pipeline.config import load_config
from pipeline.load import read_issue

pytestmark = pytest.mark.browser

WORD = "Wartezimmerisierung"  # in the body of issue 41 only


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(project: Path) -> Path:
    result = build_archive(load_config(project))
    assert result.ok, result.findings
    return project / "outbox" / "archive"


@pytest.fixture
def server(site: Path) -> Iterator[str]:
    """The built site over http from 127.0.0.1 on a free port, as any static host would serve it."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _search(page, query: str) -> list[int]:
    page.fill("#q", query)
    page.wait_for_function("document.getElementById('status').textContent.includes('gefunden')")
    links = page.locator("#treffer li a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    return [int(re.match(r"(\d+)/", href).group(1)) for href in links]


def test_the_word_is_only_in_one_body(project: Path):
    """Guards the premise of the search tests: WORD is in one issue's body and in no title."""
    holders = []
    for path in (project / "issues").glob("*.md"):
        issue, _ = read_issue(path)
        assert WORD.lower() not in issue.meta.title.lower()
        if WORD in issue.body:
            holders.append(issue.number)
    assert holders == [41]


def test_search_finds_a_body_word_and_leads_to_the_page(page, server: str):
    page.goto(server + "index.html")
    assert _search(page, WORD.lower()) == [41]
    hit = page.locator("#treffer li").first
    assert "No. 41: Plattform-Dämmerung" in hit.inner_text()
    assert "5. Oktober 2026" in hit.inner_text()
    page.wait_for_selector("#treffer li .snippet mark")
    assert page.inner_text("#treffer li .snippet mark") == WORD
    hit.locator("a").click()
    page.wait_for_url("**/41/index.html")
    assert WORD in page.inner_text("main")


def test_a_query_in_the_address_searches_and_says_when_nothing_matches(page, server: str):
    page.goto(server + "index.html?q=zzzqqq")
    page.wait_for_function("document.getElementById('status').textContent.includes('gefunden')")
    assert page.input_value("#q") == "zzzqqq"
    assert page.inner_text("#status") == "Keine Ausgabe gefunden."
    assert page.locator("#treffer li").count() == 0


def test_folded_queries_find_the_same_issues(page, server: str):
    page.goto(server + "index.html")
    found = {query: _search(page, query) for query in ("oekonomie", "Ökonomie", "ökonomie", "OEKONOMIE")}
    assert found["oekonomie"] == [42, 41]  # newest first
    assert len({tuple(v) for v in found.values()}) == 1, found


def test_search_works_from_file_url(page, site: Path):
    page.goto((site / "index.html").as_uri())
    assert _search(page, "Wartezimmer") == [41]
    page.wait_for_selector("#treffer li .snippet mark")  # the snippet's text.js loaded from disk too
    page.locator("#treffer li a").first.click()
    page.wait_for_url("**/41/index.html")
    assert WORD in page.inner_text("main")


def test_prev_and_next_walk_the_issues(page, server: str):
    page.goto(server + "42/index.html")
    page.click("a[rel=next]")
    page.wait_for_url("**/43/index.html")
    assert page.inner_text("h1") == "Kurz und bündig"
    assert page.locator("a[rel=next]").count() == 0  # the newest published issue
    page.click("a[rel=prev]")
    page.click("a[rel=prev]")
    page.wait_for_url("**/41/index.html")
    assert page.inner_text("h1") == "Plattform-Dämmerung"
    assert page.locator("a[rel=prev]").count() == 0
    page.click("header.masthead a.brand")
    page.wait_for_url("**/index.html")
    assert page.locator("ol.issues li").count() == 3


def test_issue_pages_fit_a_small_phone(browser, site: Path, server: str):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    try:
        pg = context.new_page()
        for path in ["index.html", *(f"{p.parent.name}/index.html" for p in site.glob("*/index.html"))]:
            pg.goto(server + path)
            width = pg.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width}px wide"
    finally:
        context.close()


def _in_view(page, selector: str) -> bool:
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight; }",
        selector,
    )


def test_footnotes_jump_and_jump_back(page, server: str):
    page.goto(server + "42/index.html")
    page.click("a#fnref3")
    page.wait_for_function("location.hash === '#fn3'")
    assert _in_view(page, "#fn3")
    assert not _in_view(page, "#fnref3")
    page.click("#fn3 a.backref")
    page.wait_for_function("location.hash === '#fnref3'")
    assert _in_view(page, "#fnref3")
