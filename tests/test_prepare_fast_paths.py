"""prepare()'s own speed-ups (naming files, the gate's URL test, the client lint's scan, the text
part) give exactly what the code they replace gave: each is compared with that code."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.build import prepare
from pipeline.clients import features
from pipeline.config import load_config
from pipeline.errors import display_path
from pipeline.load import parse_issue
from pipeline.mail.gate import _absolute

ROOT = Path(__file__).resolve().parent.parent


def display_path_resolving_each_time(path: Path | str) -> str:
    p = Path(path)
    try:
        return str(Path(os.path.abspath(p)).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def test_display_path_follows_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real" / "project"
    (real / "issues").mkdir(parents=True)
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    other = tmp_path / "other"
    other.mkdir()
    paths = [
        real / "issues" / "001-a.md",
        tmp_path / "linked" / "project" / "issues" / "001-a.md",
        Path("issues/001-a.md"),
        Path("../x.md"),
        other / "y.md",
        "/",
    ]
    seen = set()
    for cwd in (real, tmp_path / "linked" / "project", other, real / "issues", real):
        monkeypatch.chdir(cwd)
        for path in paths:
            got = display_path(path)
            assert got == display_path_resolving_each_time(path)
            seen.add(got)
    assert "issues/001-a.md" in seen and "001-a.md" in seen and "y.md" in seen  # the cwd really changed


def absolute_by_urlsplit(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("https", "http") and bool(parts.netloc) and not re.search(r"\s", url)


URL_PIECES = [
    "http", "https", "HTTPS", "ftp", ":", "//", "/", "?", "#", "[", "]", "@", ".", "-", "_", "%20", " ", "\t", "\n",
    "\x00", "\x1f", "a", "Z", "0", "ä", "ｆ", "\u2100", "\uff03", "example.org", "@evil", ":8080", "{{web_url}}",
]  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(URL_PIECES), max_size=12).map("".join))
def test_the_gates_url_test_matches_urlsplit(url: str) -> None:
    assert _absolute(url) == absolute_by_urlsplit(url)
    assert _absolute("https://" + url) == absolute_by_urlsplit("https://" + url)


def test_the_gates_url_test_on_the_examples_links() -> None:
    urls = {u for p in (ROOT / "issues").glob("*.md") for u in re.findall(r"\]\(([^)\s]+)", p.read_text("utf-8"))}
    urls |= {"https://example.org", "http://x.de/a b", "https://[::1]/", "https://[x/", "HTTPS://A.DE", " https://a.de"}
    assert len(urls) > 20
    for url in urls:
        assert _absolute(url) == absolute_by_urlsplit(url), url


def tag_uses_first_version(text: str) -> tuple:
    """The client lint's reading of one tag before findall: one generator per attribute."""
    m = features._TAG.match(text)
    if not m:
        return ()
    attrs = {
        a.group(1).lower(): next((g for g in a.groups()[1:] if g is not None), "")
        for a in features._ATTR.finditer(m.group(2))
    }
    uses = features._element_uses(m.group(1), attrs)
    if "style" in attrs:
        uses.extend(features._inline_uses(attrs["style"]))
    return tuple(((u.slug, u.within), u) for u in uses)


ATTR_PIECES = [
    ' href="#x"', " HREF='mailto:a@b.de'", " href=x", ' href=""', " href", ' href = "https://a.de/x.png"',
    ' style="color:red;display:flex"', " style='width:50%'", " style=", ' STYLE="margin-top:1em"', ' type="Checkbox"',
    ' name="color-scheme"', ' src="a.PNG?x"', " src=data:image/gif;base64,xx", " lang=de", ' aria-label="x"',
    " hidden", " = ", '"', "'", " ", "/", "\t", " data-x='a\"b'", ' alt="a>b"', " role=article",
]  # fmt: skip
TAG_NAMES = ["a", "A", "img", "IMG", "input", "button", "meta", "h2", "section", "td", "x-y", "ul", "p"]


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(TAG_NAMES), st.lists(st.sampled_from(ATTR_PIECES), max_size=8).map("".join))
def test_the_lints_tag_reading_matches_the_first_version(name: str, attrs: str) -> None:
    text = f"<{name}{attrs}>"
    assert features._tag_uses.__wrapped__(text) == tag_uses_first_version(text)


def test_the_lints_tag_reading_matches_the_first_version_on_the_examples(project: Path) -> None:
    config = load_config(project)
    tags = set()
    for path in sorted((project / "issues").glob("*.md")):
        issue, _ = parse_issue(path.read_text("utf-8"), path)
        assert issue is not None
        built = prepare(issue, config)
        assert built.email is not None
        tags |= set(features._TAG_TEXT.findall(built.email.html))
    assert len(tags) > 100
    for text in tags:
        assert features._tag_uses.__wrapped__(text) == tag_uses_first_version(text), text


def styles_and_comments_first_version(html: str) -> tuple[str, list[str]]:
    sheets: list[str] = []
    html = re.sub(
        r"<style\b[^>]*>(.*?)</style>", lambda m: sheets.append(m.group(1)) or "<style>", html, flags=re.S | re.I
    )
    return re.sub(r"<!--.*?-->", "", html, flags=re.S), sheets


MARKUP_PIECES = [
    "<!--", "-->", "--", "->", "<style>", "</style>", "<STYLE media=x>", "</Style>", "<\u017ftyle>", "<style-->",
    "<styles>", "<!--[if mso]>", "<![endif]-->", '<a href="#x">', "<p style='a:b'>", ">", "'", '"', "x", "\n", " ",
    "a{color:red}",
]  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(MARKUP_PIECES), max_size=14).map("".join))
def test_styles_and_comments_come_out_as_in_two_passes(html: str) -> None:
    assert features._without_styles_and_comments(html) == styles_and_comments_first_version(html)


def test_styles_and_comments_come_out_as_in_two_passes_on_emails(project: Path) -> None:
    config = load_config(project)
    for path in sorted((project / "issues").glob("*.md")):
        issue, _ = parse_issue(path.read_text("utf-8"), path)
        assert issue is not None
        built = prepare(issue, config)
        assert built.email is not None
        html = features._MSO_ONLY.sub("", built.email.html)
        got = features._without_styles_and_comments(html)
        assert got == styles_and_comments_first_version(html)
        assert got[1] and "<!--" not in got[0]  # the emails have both: the one-pass way was taken
    # a style block inside a comment: the one pass steps over it, so the two passes are taken
    tricky = "<p>a</p><!-- <style>b{c:d}</style> --><style>e{f:g}</style><p>h</p>"
    assert features._without_styles_and_comments(tricky) == styles_and_comments_first_version(tricky)
    assert features._without_styles_and_comments(tricky)[1] == ["b{c:d}", "e{f:g}"]
