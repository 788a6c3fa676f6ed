"""`krasse archive`: the site's files, feed, sitemap, links, words, folding and incremental rebuilds."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import krasse, visible_parts
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.archive import build_archive
from pipeline.archive.search import Postings, SearchDoc, fold, index_words, search_index_js
from pipeline.config import load_config
from pipeline.load import read_issue
from pipeline.markdown import KNOWN_ELEMENTS

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "https://krasse-links.example/archiv"


def site_of(project: Path) -> Path:
    return project / "outbox" / "archive"


def build(project: Path, **kwargs):
    return build_archive(load_config(project), **kwargs)


def published(project: Path) -> dict[int, Path]:
    """Number → path of every non-draft example issue, read with the real loader."""
    found = {}
    for path in sorted((project / "issues").glob("*.md")):
        issue, _ = read_issue(path)
        if issue and not issue.meta.draft:
            found[issue.number] = path
    return found


def snapshot(site: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(site)): (p.stat().st_mtime_ns, p.read_bytes()) for p in site.rglob("*") if p.is_file()}


def changed(before: dict, after: dict) -> set[str]:
    return {k for k in after.keys() | before.keys() if before.get(k) != after.get(k)}


class Page(HTMLParser):
    """Links, ids and visible text of one HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key) is not None and tag != "meta":
                self.links.append(a[key])
        for shown in ("alt", "title"):  # image descriptions and <abbr> expansions are text too
            if a.get(shown) and tag in ("img", "abbr"):
                self.text.append(" " + a[shown] + " ")
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@pytest.fixture
def site(project: Path) -> Path:
    result = build(project)
    assert result.ok, result.findings
    return site_of(project)


def test_cli_builds_every_part_of_the_site(project: Path):
    result = krasse(project, "archive")
    assert result.exit_code == 0, result.output
    assert "3 issue(s)" in result.output
    site = site_of(project)
    for name in ("index.html", "404.html", "feed.xml", "sitemap.xml", "search-index.js", "search.js", "archive.css"):
        assert (site / name).is_file(), name
    for number in published(project):
        assert (site / str(number) / "index.html").is_file()
    assert not (site / "44").exists()  # the example draft
    assert (site / "images" / "kurve.png").read_bytes() == (project / "issues/images/kurve.png").read_bytes()
    assert krasse(project, "archive", "--quiet").output == ""


def test_drafts_and_out_and_base_url_options(project: Path, tmp_path: Path):
    out = tmp_path / "elsewhere"
    result = krasse(project, "archive", "--drafts", "--out", str(out), "--base-url", "https://web.example/k/")
    assert result.exit_code == 0, result.output
    page = (out / "44" / "index.html").read_text()
    assert '<link rel="canonical" href="https://web.example/k/44/">' in page
    bad = krasse(project, "archive", "--base-url", "ftp://nope")
    assert bad.exit_code == 2 and "--base-url" in bad.output


def test_index_lists_issues_newest_first_by_year_with_teasers(site: Path, project: Path):
    html = (site / "index.html").read_text()
    numbers = [int(n) for n in re.findall(r'<a href="(\d+)/index.html">', html)]
    assert numbers == sorted(published(project), reverse=True)
    assert '<h2 id="jahr-2026">2026</h2>' in html
    assert "5. Oktober 2026" in html
    teaser = re.search(r'<p class="teaser">(.*?)</p>', html, re.S).group(1)
    assert teaser.startswith("Nach dem Ungetüm der letzten Ausgabe") and len(teaser) <= 221  # greeting skipped


def test_the_teaser_skips_the_greeting_as_the_preview_line_does(project: Path):
    """`Hallo! …` says nothing in a list of issues either: the teaser starts where the derived preheader
    does (one rule for both), cut at the teaser's own length; an intro that only greets stays."""
    rest = "Heute geht es um Brücken, die niemand bauen will. " + "Und um Stege, Furten und Fähren im Kreis. " * 3
    for number, intro in ((45, "Hallo! Moin zusammen. " + rest), (46, "Hallo zusammen!")):
        (project / "issues" / f"0{number}-bruecken.md").write_text(
            f'---\nnumber: {number}\ntitle: "Brücken"\ndate: 2026-11-0{number - 40}\n---\n\n{intro}\n\n---\n\nMehr.\n'
        )
    result = build(project)
    assert result.ok, result.findings
    html = (site_of(project) / "index.html").read_text()
    teasers = dict(re.findall(r'<a href="(\d+)/index.html">.*?<p class="teaser">(.*?)</p>', html, re.S))
    assert teasers["45"] == rest.strip()  # 179 characters: the teaser's length, not the preheader's 100
    page = (site_of(project) / "45" / "index.html").read_text()
    assert '<meta name="description" content="Heute geht es um Brücken, die niemand bauen will.' in page
    assert teasers["46"] == "Hallo zusammen!"


def test_no_break_spaces_reach_the_teaser_and_the_search_text(project: Path):
    """The teaser keeps the author's no-break spaces (U+00A0, `&nbsp;`, U+202F) as the page does; the
    search text keeps them too (its snippets are shown), while the index still holds each word."""
    intro = "Wir laufen 10\u00a0km, z.\u202fB. am Fluss entlang (S.&nbsp;4)."
    (project / "issues" / "045-lauf.md").write_text(
        f'---\nnumber: 45\ntitle: "Lauf"\ndate: 2026-11-02\n---\n\n{intro}\n\n---\n\nDer Weg ist lang.\n'
    )
    result = build(project)
    assert result.ok, result.findings
    shown = "Wir laufen 10\u00a0km, z.\u202fB. am Fluss entlang (S.\u00a04)."
    page = Page((site_of(project) / "index.html").read_text())
    assert shown in "".join(page.text)
    assert shown in (site_of(project) / "45" / "text.js").read_text()
    assert 45 in _issues_with(_search_index(site_of(project)), "km")


def test_issue_page_is_semantic_html_with_meta(site: Path):
    html = (site / "42" / "index.html").read_text()
    assert '<html lang="de">' in html
    assert '<link rel="canonical" href="https://krasse-links.example/archiv/42/">' in html
    assert '<meta property="og:title" content="Der Moment">' in html
    assert '<meta property="og:locale" content="de_DE">' in html
    assert '<meta name="description" content="Ein langer Essay über Sprachmodelle' in html
    assert html.count("<article") == 1 and html.count('<section class="item') >= 3
    assert '<a href="#fn1" id="fnref1" name="fnref1">[1]</a>' in html and 'href="#fnref1" class="backref"' in html
    assert '<a class="prev" rel="prev" href="../41/index.html">' in html
    assert '<a class="next" rel="next" href="../43/index.html">' in html
    assert "&lt;Moment&gt;" in html  # the author's angle brackets stay text
    first = (site / "41" / "index.html").read_text()
    assert 'rel="prev"' not in first and '<img src="../images/kurve.png"' in first


def test_feed_is_valid_atom_with_absolute_urls(site: Path, project: Path):
    root = ET.parse(site / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == f"{BASE}/"
    assert root.findtext(f"{ATOM}title") == "Krasse Links"
    assert root.findtext(f"{ATOM}updated") == "2026-11-02T00:00:00+00:00"  # newest issue, not the clock
    self_link = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link and self_link[0].get("href") == f"{BASE}/feed.xml"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [f"{BASE}/{n}/" for n in sorted(published(project))[::-1]]
    for entry in entries:
        for tag in ("id", "title", "updated", "content"):
            assert entry.findtext(f"{ATOM}{tag}"), tag
        assert entry.find(f"{ATOM}link").get("href") == entry.findtext(f"{ATOM}id")
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        links = Page(content.text).links
        assert links and all(re.match(r"(https?|mailto):", u) for u in links), links
    moment = entries[1].find(f"{ATOM}content").text
    assert f'href="{BASE}/42/#fn1"' in moment
    kurve = entries[2].find(f"{ATOM}content").text
    assert f'src="{BASE}/images/kurve.png"' in kurve


def test_sitemap_lists_every_page(site: Path, project: Path):
    root = ET.parse(site / "sitemap.xml").getroot()
    locs = [u.findtext(f"{SITEMAP}loc") for u in root.findall(f"{SITEMAP}url")]
    pages = {f"{BASE}/"} | {f"{BASE}/{p.parent.name}/" for p in site.glob("*/index.html")}
    assert set(locs) == pages and len(locs) == len(pages)


def _target(site: Path, page: Path, url: str) -> tuple[Path, str] | None:
    """The file a link points at inside the site (None: outside it), and its fragment."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not url.startswith(BASE + "/"):
            return None
        path = site / unquote(parts.path.removeprefix(urlsplit(BASE).path + "/"))
    elif parts.scheme:
        return None
    elif not parts.path:
        path = page
    else:
        path = (page.parent / unquote(parts.path)).resolve()
    if path.is_dir() or parts.path.endswith("/"):
        path = path / "index.html"
    return path, parts.fragment


def test_every_internal_link_and_image_resolves(site: Path):
    pages = sorted(site.rglob("*.html"))
    parsed = {p.resolve(): Page(p.read_text()) for p in pages}
    checked = 0
    for page in pages:
        for url in parsed[page.resolve()].links:
            target = _target(site, page.resolve(), url)
            if target is None:
                continue
            path, fragment = target
            assert path.resolve().is_file(), f"{page.relative_to(site)}: {url} is missing"
            if fragment and path.suffix == ".html":
                assert fragment in parsed[path.resolve()].ids, f"{page.relative_to(site)}: {url} has no target"
            checked += 1
    assert checked > 50


def _markdown_words(path: Path) -> set[str]:
    """Words of the Markdown with the markup removed: link targets, footnote marks, HTML tags."""
    body = path.read_text("utf-8").split("---", 2)[2]
    body = re.sub(r"\]\([^)]*\)", "]", body)
    body = re.sub(r"\[\^\d+\]:?", " ", body)
    body = re.sub(
        r"</?([A-Za-z][\w-]*)(\s[^<>]*)?>",
        lambda m: " " + " ".join(re.findall(r'"([^"]*)"', m.group(0))) + " "
        if m.group(1).lower() in KNOWN_ELEMENTS else m.group(0),
        body,
    )  # fmt: skip
    return set(re.findall(r"[^\W_]+", body))


def test_no_word_is_lost(site: Path, project: Path):
    for number, path in published(project).items():
        page = Page((site / str(number) / "index.html").read_text())
        words = set(re.findall(r"[^\W_]+", " ".join(page.text) + " " + " ".join(page.links)))
        missing = _markdown_words(path) - words
        assert not missing, f"{path.name}: {sorted(missing)[:20]}"


def test_fold_treats_umlauts_and_case_alike():
    assert fold("Ökonomie") == fold("ökonomie") == fold("oekonomie") == fold("OEKONOMIE") == "oekonomie"
    assert fold("O\u0308konomie") == "oekonomie"  # decomposed umlaut
    assert fold("Straße") == "strasse" and fold("Café São") == "cafe sao"
    assert index_words("Die Ökonomie, die Ökonomien und Ökonomisches; a b") == "die oekonomien oekonomisches und"


def _search_index(site: Path) -> dict:
    script = (site / "search-index.js").read_text()
    assert script.startswith("window.KRASSE_SEARCH=") and script.endswith(";\n")
    return json.loads(script.removeprefix("window.KRASSE_SEARCH=").removesuffix(";\n"))


def _issues_with(index: dict, prefix: str) -> set[int]:
    found = set()
    for word, steps in index["words"].items():
        if word.startswith(prefix):
            found |= set(itertools.accumulate(steps))
    return found


def test_search_index_holds_folded_words_and_is_small(site: Path, project: Path):
    index = _search_index(site)
    assert [d[0] for d in index["docs"]] == sorted(published(project), reverse=True)
    assert index["docs"][-1] == [41, "Plattform-Dämmerung", "5. Oktober 2026"]
    assert _issues_with(index, "wartezimmerisierung") == {41}
    assert _issues_with(index, "oekonomie") == {41, 42}  # Ökonomie in 41's text, the tag ökonomie on 42
    assert _issues_with(index, "ki") == {41, 42, 43}
    sources = sum(p.stat().st_size for p in published(project).values())
    assert len((site / "search-index.js").read_bytes()) < sources * 0.7  # and far less with many issues


def test_postings_updated_in_place_equal_postings_built_afresh():
    words = ["alpha beta", "beta gamma", "gamma delta", "delta alpha", "epsilon"]
    before = {n: (f"v{n}", words[n % 5]) for n in range(1, 41)}
    after = dict(before)
    del after[7]  # deleted
    after[12] = ("v12b", "zeta alpha")  # edited
    after[99] = ("v99", "beta omega")  # new
    updated = Postings().update(before).update(after)
    assert updated.words == Postings().update(after).words
    assert updated.words["zeta"] == [12] and 7 not in updated.words["gamma"] and updated.words["omega"] == [99]


_WORDS = st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", "ökonomie", "</script>", "x1", "zeta"]))
_DOCS = st.dictionaries(st.integers(1, 40), st.tuples(st.sampled_from("abc"), _WORDS), max_size=30)


@settings(max_examples=200, deadline=None)
@given(before=_DOCS, after=_DOCS)
def test_postings_patched_with_the_old_words_equal_postings_built_afresh(before: dict, after: dict):
    """A few changed issues patch the packed text word by word: the same bytes as a fresh index."""

    def docs(spec: dict) -> dict[int, tuple[str, str]]:
        return {n: (version + " ".join(words), index_words(" ".join(words))) for n, (version, words) in spec.items()}

    old, new = docs(before), docs(after)
    stored = json.loads(json.dumps(Postings().update(old).to_json()))
    fresh = Postings().update(new)
    patched = Postings.from_json(stored).update(new, previous=lambda n: old[n][1])
    assert patched.pack() == fresh.pack() and patched.to_json() == fresh.to_json()
    # Words that do not match their digest (a hand-edited text.js) are not used: still the same index.
    wrong = Postings.from_json(stored).update(new, previous=lambda n: old[n][1] + " tampered")
    assert wrong.pack() == fresh.pack() and "tampered" not in wrong.pack()


@pytest.mark.parametrize(
    "body",
    [
        "Kein Bild, nur ein [Link](https://example.org/a) und Text.",
        "Ein Bild im Bild im Bild: ![a ![b ![c](images/tief.png) b](https://example.org/b.png) a](https://example.org/a.png)",
        "Fern: ![Fern](https://example.org/x.png)\n\n---\n\nNah[^1]\n\n[^1]: ![Nah](images/nah.png)",
    ],
)
def test_feed_html_reuses_the_page_html_only_without_local_images(project: Path, body: str):
    """The feed wants absolute image URLs: the page's HTML stands in only where no image is local."""
    from pipeline.archive.feed import absolute_anchors
    from pipeline.archive.pages import Site, render_issue
    from pipeline.load import parse_issue
    from pipeline.render import render

    path = project / "issues" / "050-bilder.md"
    text = f"---\nnumber: 50\ntitle: Bilder\ndate: 2026-11-02\n---\n\n{body}\n"
    issue, _ = parse_issue(text, path)
    site = Site.from_config(load_config(project))
    page = render_issue(issue, site, None, None, feed=True)
    absolute = render(issue, "..", site.preheader_length, site.language).fragments(site.base_url)
    joined = "\n<hr>\n".join(absolute.items) + ("\n<hr>\n" + absolute.notes_html() if absolute.notes else "")
    assert page.summary.feed == absolute_anchors(joined, site.issue_url(50))
    if "nah.png" in body:  # the footnote's image: the feed must point at the site, not at "../"
        assert f'src="{BASE}/images/nah.png"' in page.summary.feed and 'src="../' in page.html


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_JSONISH)
def test_manifest_dumps_writes_what_json_dumps_writes(value):
    """orjson writes the manifest and the packed words: the same text as the json module, always."""
    from pipeline.archive.manifest import dumps

    assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_manifest_dumps_falls_back_to_json_for_what_orjson_refuses():
    from pipeline.archive.manifest import dumps

    for value in [{"name\udcff.md": 1}, {1: "a"}, [2**64], "\u2028\x7f\x00"]:
        assert dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_SPACES = [*"ab ä\t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u3000", *map(chr, range(0x2000, 0x2030))]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_SPACES)))
def test_plain_collapses_white_space_like_the_regex_it_replaced(text: str):
    """text.plain joins str.split() (the same white space as re's \\s, checked over every code point),
    except at no-break spaces, which stay as typed."""
    from markdown_it.token import Token

    from pipeline.text import plain

    run = [Token("inline", "", 0, children=[Token("text", "", 0, content=text)])]
    assert plain(run) == re.sub(r"[^\S\u00a0\u2007\u202f]+", " ", text).strip()


def test_str_split_and_the_regex_agree_on_white_space():
    import sys

    space = re.compile(r"\s")
    assert all(bool(space.match(c)) == c.isspace() for c in map(chr, range(sys.maxunicode + 1)))


def test_one_issue_edit_after_a_hand_edited_text_js_still_indexes_right(site: Path, project: Path, tmp_path: Path):
    (site / "42" / "text.js").write_text('window.krasseText&&window.krasseText(42,"nur noch das hier");\n')
    moment = project / "issues" / "042-der-moment.md"
    moment.write_text(moment.read_text().replace("kocht euch einen Tee", "kocht euch einen Kräutertee"))
    assert build(project).ok
    assert build(project, out=tmp_path / "fresh").ok
    assert (site / "search-index.js").read_bytes() == (tmp_path / "fresh" / "search-index.js").read_bytes()
    assert _issues_with(_search_index(site), "kraeutertee") == {42}


def test_incremental_builds_end_where_a_fresh_build_does(site: Path, project: Path, tmp_path: Path):
    issues = project / "issues"
    moment = issues / "042-der-moment.md"
    moment.write_text(moment.read_text().replace("kocht euch einen Tee", "kocht euch einen Kräutertee"))
    assert build(project).ok
    (issues / "043-kurz-und-buendig.md").unlink()
    draft = issues / "044-entwurf.md"
    draft.write_text(draft.read_text().replace("draft: true", "draft: false"))
    assert build(project).ok
    assert _issues_with(_search_index(site), "kraeutertee") == {42}
    assert build(project, out=tmp_path / "fresh").ok
    fresh = {
        str(p.relative_to(tmp_path / "fresh")): p.read_bytes() for p in (tmp_path / "fresh").rglob("*") if p.is_file()
    }
    built = {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    # Only the feed knows that 42 was edited (a fresh site has no history): its `updated` moved.
    changed = {name for name in built.keys() | fresh.keys() if built.get(name) != fresh.get(name)}
    assert changed <= {"feed.xml", ".krasse-archive.json"}
    now, then = _feed_updated(built["feed.xml"]), _feed_updated(fresh["feed.xml"])
    assert now.keys() == then.keys() and {k for k in now if now[k] != then[k]} == {f"{BASE}/42/"}
    assert _feed_updated(fresh["feed.xml"])[f"{BASE}/42/"] == "2026-10-19T00:00:00+00:00"
    assert _feed_updated(built["feed.xml"])[f"{BASE}/42/"] > "2026-10-19T00:00:00+00:00"
    assert _feed_updated(built["feed.xml"])[f"{BASE}/44/"] == _feed_updated(fresh["feed.xml"])[f"{BASE}/44/"]


def _feed_updated(feed: bytes) -> dict[str, str]:
    root = ET.fromstring(feed)
    return {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}updated") for e in root.iter(f"{ATOM}entry")}


def test_feed_updated_follows_the_last_content_change(site: Path, project: Path):
    moment = project / "issues" / "042-der-moment.md"
    assert _feed_updated((site / "feed.xml").read_bytes())[f"{BASE}/42/"] == "2026-10-19T00:00:00+00:00"
    moment.write_text(moment.read_text().replace("kocht euch einen Tee", "kocht euch einen Kräutertee"))
    edited = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC).timestamp()
    os.utime(moment, (edited, edited))
    assert build(project).ok
    feed = (site / "feed.xml").read_bytes()
    assert _feed_updated(feed)[f"{BASE}/42/"] == "2026-11-20T09:30:00+00:00"
    assert ET.fromstring(feed).findtext(f"{ATOM}updated") == "2026-11-20T09:30:00+00:00"  # the newest change
    assert _feed_updated(feed)[f"{BASE}/41/"] == "2026-10-05T00:00:00+00:00"  # untouched
    # Touching the file without changing it, or rebuilding, keeps the time: identical input, identical feed.
    os.utime(moment, (edited + 3600, edited + 3600))
    assert build(project).ok
    assert (site / "feed.xml").read_bytes() == feed


def test_identical_input_gives_identical_output(project: Path, tmp_path: Path):
    assert build(project).ok
    assert build(project, out=tmp_path / "again").ok
    first, second = site_of(project), tmp_path / "again"
    files = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_noop_rebuild_writes_nothing(site: Path, project: Path):
    before = snapshot(site)
    result = build(project)
    assert result.ok and result.written == [] and result.removed == [] and result.rendered == 0
    assert result.search_bytes == (site / "search-index.js").stat().st_size
    assert changed(before, snapshot(site)) == set()


@pytest.mark.parametrize(
    ("old", "new", "lists"),
    [
        ("kocht euch einen Tee", "kocht euch einen Kräutertee", {"index.html"}),  # teaser
        ("Willkommen bei Krasse Links No. 42.", "Willkommen zur Herbstausgabe No. 42.", set()),  # greeting: no teaser
        ("das „Mitmachnetz“", "das „Mitmachweb“", set()),  # past the teaser: index unchanged
    ],
)
def test_editing_one_issue_rewrites_that_page_and_the_lists_only(
    site: Path, project: Path, old: str, new: str, lists: set[str]
):
    before = snapshot(site)
    path = project / "issues" / "042-der-moment.md"
    path.write_text(path.read_text().replace(old, new))
    result = build(project)
    assert result.ok and result.rendered == 1
    expected = {"42/index.html", "42/text.js", "feed.xml", "search-index.js", ".krasse-archive.json"} | lists
    assert changed(before, snapshot(site)) == expected
    assert new in (site / "42" / "index.html").read_text()


def test_retitling_rewrites_the_neighbours_too(site: Path, project: Path):
    before = snapshot(site)
    path = project / "issues" / "042-der-moment.md"
    path.write_text(path.read_text().replace('title: "Der Moment"', 'title: "Der lange Moment"'))
    assert build(project).ok
    assert {"41/index.html", "43/index.html"} <= changed(before, snapshot(site))
    assert not {"41/text.js", "43/text.js", "sitemap.xml"} & changed(before, snapshot(site))
    assert "No. 42: Der lange Moment" in (site / "43" / "index.html").read_text()


def test_deleted_and_drafted_issues_disappear(site: Path, project: Path):
    (project / "issues" / "043-kurz-und-buendig.md").unlink()
    path = project / "issues" / "041-plattform-daemmerung.md"
    path.write_text(path.read_text().replace("draft: false", "draft: true"))
    result = build(project)
    assert result.ok
    assert not (site / "43").exists() and not (site / "41").exists()
    assert not (site / "images" / "diagramm.png").exists() and not (site / "images" / "kurve.png").exists()
    assert [p.name for p in site.iterdir() if p.is_dir()] == ["42"]
    page = (site / "42" / "index.html").read_text()
    assert 'rel="next"' not in page and 'rel="prev"' not in page
    assert "43/index.html" not in (site / "index.html").read_text()
    assert f"{BASE}/43/" not in (site / "sitemap.xml").read_text()


def test_a_new_issue_links_up_with_its_neighbour(site: Path, project: Path):
    text = (project / "issues" / "043-kurz-und-buendig.md").read_text()
    new = text.replace("number: 43", "number: 45").replace("Kurz und bündig", "Noch kürzer")
    (project / "issues" / "045-noch-kuerzer.md").write_text(new)
    assert build(project).ok
    assert "No. 45: Noch kürzer" in (site / "43" / "index.html").read_text()
    assert (site / "45" / "index.html").is_file()


def test_a_broken_issue_leaves_the_site_intact(site: Path, project: Path):
    before = snapshot(site)
    path = project / "issues" / "042-der-moment.md"
    path.write_text(path.read_text().replace("date: 2026-10-19", "date: [kaputt"))
    (project / "issues" / "043-kurz-und-buendig.md").unlink()  # would remove a folder, if anything were written
    result = krasse(project, "archive")
    assert result.exit_code == 1
    assert re.search(r"042-der-moment\.md:\d+: error \[fm-yaml\]", result.output)
    assert "previous site is unchanged" in result.output
    assert changed(before, snapshot(site)) == set()


def test_a_layout_error_names_the_layout_and_leaves_the_site_intact(site: Path, project: Path):
    before = snapshot(site)
    layout = project / "layouts" / "archive-issue.html.j2"
    layout.write_text(layout.read_text().replace("{{ issue.title }}</h1>", "{{ issue.title </h1>"))
    result = krasse(project, "archive")
    assert result.exit_code == 1
    assert "archive-issue.html.j2:" in result.output and "layout-syntax" in result.output
    assert "Traceback" not in result.output
    assert changed(before, snapshot(site)) == set()


def test_unreadable_and_non_utf8_issues_are_named_and_nothing_is_written(project: Path):
    (project / "issues" / "045-latin.md").write_bytes("---\nnumber: 45\ntitle: Gr\xfc\xdfe\n---\n".encode("latin-1"))
    (project / "issues" / "046-verlinkt.md").symlink_to(project / "gibt-es-nicht.md")
    result = build(project)
    rules = {(Path(f.file).name, f.rule) for f in result.findings if f.is_error}
    assert rules == {("045-latin.md", "file-encoding"), ("046-verlinkt.md", "file-read")}
    assert not site_of(project).exists()


def test_duplicate_numbers_are_reported_with_file_and_line(project: Path):
    text = (project / "issues" / "043-kurz-und-buendig.md").read_text()
    (project / "issues" / "099-doppelt.md").write_text(text)
    result = krasse(project, "archive")
    assert result.exit_code == 1
    assert "099-doppelt.md:2: error [dup-number]" in result.output
    assert not site_of(project).exists()


def test_refuses_to_build_into_the_project(project: Path):
    result = krasse(project, "archive", "--out", str(project))
    assert result.exit_code == 1 and "archive-out" in result.output
    assert (project / "issues" / "041-plattform-daemmerung.md").is_file()


def test_postings_survive_the_manifest_packed() -> None:
    """The manifest keeps the words as one JSON text; reading them back (only when the index must
    change) gives the same postings and the same search-index.js."""
    docs = {n: (f"v{n}", " ".join(w for w in ("alpha", "beta", "gamma") if n % len(w) != 1)) for n in range(1, 60)}
    postings = Postings().update(docs)
    data = json.loads(json.dumps(postings.to_json()))
    assert isinstance(data["words"], str)
    again = Postings.from_json(data)
    assert again.to_json() == data  # passed through untouched while nobody needs the words
    assert again.unpack().words == postings.words
    docs_list = [SearchDoc(1, "Eins", "1. Januar 2024")]
    assert search_index_js(docs_list, Postings.from_json(data)) == search_index_js(docs_list, postings)
    assert Postings.from_json(data).update({**docs, 60: ("v60", "delta")}).words["delta"] == [60]


def _archive_import_closure() -> set[Path]:
    """Every pipeline module the archive's code imports, directly or through others (read from
    the source with ast, lazy imports inside functions included)."""
    import ast

    package = Path(__file__).resolve().parent.parent / "pipeline"
    todo = list((package / "archive").glob("*.py"))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                if not name.startswith("pipeline."):
                    continue
                parts = name.split(".")[1:]
                for candidate in (package.joinpath(*parts).with_suffix(".py"), package.joinpath(*parts, "__init__.py")):
                    if candidate.is_file():
                        todo.append(candidate)
    return seen


def test_a_change_to_any_module_the_archive_imports_rebuilds_its_pages(tmp_path, monkeypatch):
    """language.py decides the pages' `lang`: an upgrade that changes it must not leave old pages
    standing as `up to date`. Every module the archive imports counts, not a hand-kept list."""
    import shutil

    from pipeline.archive import manifest

    package = Path(manifest.__file__).resolve().parent.parent
    copy = tmp_path / "pipeline"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(manifest, "PACKAGE", copy)
    config = load_config(Path(__file__).resolve().parent.parent)
    before = manifest.site_hash(config)
    closure = _archive_import_closure()
    assert package / "language.py" in closure  # the case that was missed
    for path in sorted(closure):
        target = copy / path.relative_to(package)
        original = target.read_bytes()
        target.write_bytes(original + b"\n# changed\n")
        assert manifest.site_hash(config) != before, f"{path.relative_to(package)} is not in the site hash"
        target.write_bytes(original)
    assert manifest.site_hash(config) == before


def test_feed_keeps_href_written_as_text(project: Path):
    """The feed makes in-page links absolute (`href="#fn1"`); text that reads like such a link, in
    prose or a code span, is the author's and reaches the feed reader as written."""
    body = (
        'Wer href="#oben" schreibt, meint den Anker, sagt die Anleitung.\n\n'
        'Im Code: `<a href="#fn1">` verweist auf die Anmerkung.[^1]\n\n[^1]: Eine Anmerkung.\n'
    )
    text = f"---\nnumber: 50\ntitle: Anker\ndate: 2026-11-02\n---\n\n{body}"
    (project / "issues" / "050-anker.md").write_text(text, encoding="utf-8")
    assert build(project).ok
    entry = next(
        e for e in ET.parse(site_of(project) / "feed.xml").getroot().iter(f"{ATOM}entry")
        if e.findtext(f"{ATOM}id") == f"{BASE}/50/"
    )  # fmt: skip
    parts = visible_parts(entry.findtext(f"{ATOM}content"))
    shown = " ".join(parts)
    assert 'Wer href="#oben" schreibt' in shown
    assert '<a href="#fn1">' in shown
    # the real links still lead to the page: the marker to its note, the note back
    assert f'href="{BASE}/50/#fn1"' in entry.findtext(f"{ATOM}content")
    assert f'href="{BASE}/50/#fnref1"' in entry.findtext(f"{ATOM}content")


@pytest.mark.parametrize("char", ["\x0b", "\x1b", "\x0c", "\ufffe"])
def test_a_character_xml_cannot_carry_is_named_not_a_traceback(project: Path, char: str):
    """The feed is XML, which cannot carry most control characters (lxml raised a traceback): the
    loader refuses them for every command, naming file, line and column."""
    text = f"---\nnumber: 50\ntitle: Zeichen\ndate: 2026-11-02\n---\n\nEinleitung.\n\nHier steht{char} es.\n"
    (project / "issues" / "050-zeichen.md").write_text(text, encoding="utf-8")
    result = krasse(project, "archive")
    assert result.exit_code == 1
    assert "issues/050-zeichen.md:9" in result.output and "file-control-char" in result.output
    assert "Traceback" not in result.output


def test_words_in_code_and_html_blocks_are_found_by_search(project: Path):
    """The page shows a fenced code block and a raw HTML block; their words are the author's too:
    the search finds them and the snippet text holds them, in reading order."""
    from pipeline.archive.search import read_text_js

    body = (
        "Einleitung vor dem Code.\n\n```\nquelltextwort <Moment> 50 %\n```\n\n"
        "    eingerücktwort\n\n<details><summary>Aufklappwort</summary>Innenwort mit <Moment></details>\n\n"
        "Schluss.\n"
    )
    text = f"---\nnumber: 50\ntitle: Blöcke\ndate: 2026-11-02\n---\n\n{body}"
    (project / "issues" / "050-bloecke.md").write_text(text, encoding="utf-8")
    assert build(project).ok
    index = (site_of(project) / "search-index.js").read_text(encoding="utf-8")
    for word in ("quelltextwort", "eingeruecktwort", "aufklappwort", "innenwort"):
        assert f'"{word}":' in index, word
    shown = read_text_js((site_of(project) / "50" / "text.js").read_text(encoding="utf-8"), 50)
    assert shown == (
        "Einleitung vor dem Code. quelltextwort <Moment> 50 % eingerücktwort"
        " Aufklappwort Innenwort mit <Moment> Schluss."
    )


def test_replacing_an_image_renders_its_page_again_with_the_new_size(empty_project: Path):
    """The page key covered the issue's text only: an image swapped for one of another size kept the
    old width and height on the archive page, and the copied image was drawn squashed."""
    from PIL import Image

    (empty_project / "issues/images").mkdir(exist_ok=True)
    picture = empty_project / "issues/images/bild.png"
    Image.new("RGB", (300, 200), (30, 80, 160)).save(picture)
    (empty_project / "issues/001-bild.md").write_text(
        "---\nnumber: 1\ntitle: Ein Bild\ndate: 2026-01-05\n---\n\nText.\n\n![Ein Bild](images/bild.png)\n",
        encoding="utf-8",
    )
    assert krasse(empty_project, "archive").exit_code == 0
    page = site_of(empty_project) / "1/index.html"
    assert 'width="300" height="200"' in page.read_text("utf-8")
    Image.new("RGB", (120, 240), (160, 80, 30)).save(picture)
    os.utime(picture, ns=(picture.stat().st_atime_ns, picture.stat().st_mtime_ns + 5_000_000_000))
    assert krasse(empty_project, "archive").exit_code == 0
    assert 'width="120" height="240"' in page.read_text("utf-8")
    before = snapshot(site_of(empty_project))
    assert krasse(empty_project, "archive").exit_code == 0
    assert changed(before, snapshot(site_of(empty_project))) == set()  # unchanged stays a no-op


def test_an_unbalanced_right_to_left_override_in_a_title_stays_inside_the_title(empty_project: Path):
    """U+202E left open in a title reversed what followed it: the page title's " · Krasse Links No. 2"
    and the neighbour links. The author's title is isolated (U+2068 … U+2069 in <title>, <bdi> in markup)."""
    issues = empty_project / "issues"
    for number, title in [(1, "Erste Ausgabe"), (2, "Zweite \u202eAusgabe")]:
        (issues / f"00{number}-a.md").write_text(
            f"---\nnumber: {number}\ntitle: {title}\ndate: 2026-01-0{number}\n---\n\nText.\n", encoding="utf-8"
        )
    assert krasse(empty_project, "archive").exit_code == 0
    page = (site_of(empty_project) / "2/index.html").read_text("utf-8")
    assert "<title>\u2068Zweite \u202eAusgabe\u2069 · Krasse Links No. 2</title>" in page
    assert "No. 2: <bdi>Zweite \u202eAusgabe</bdi></a>" in (site_of(empty_project) / "1/index.html").read_text("utf-8")
    assert "</span> <bdi>Zweite \u202eAusgabe</bdi></a>" in (site_of(empty_project) / "index.html").read_text("utf-8")
    first = (site_of(empty_project) / "1/index.html").read_text("utf-8")
    assert "<title>Erste Ausgabe · Krasse Links No. 1</title>" in first  # a title without controls is as it was
