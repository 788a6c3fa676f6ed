"""Raw HTML the author typed: real elements pass (and go through nh3 later), anything else in
angle brackets is text (`Der <Moment> um` keeps every word), and a raw-text element or comment
never closed is a word about HTML, not the end of the issue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from html.parser import HTMLParser

import nh3
from markdown_it.common.normalize_url import validateLink
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block.html_block import HTML_SEQUENCES, html_block
from markdown_it.rules_inline.entity import entity
from markdown_it.rules_inline.html_inline import html_inline
from markdown_it.rules_inline.state_inline import StateInline

from pipeline.load import CONTROL

# Every element name of HTML (living standard, plus a few obsolete ones authors still type).
KNOWN_ELEMENTS = frozenset(
    """a abbr acronym address area article aside audio b base basefont bdi bdo big blink blockquote
    body br button canvas caption center cite code col colgroup data datalist dd del details dfn
    dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2
    h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li link main map
    mark marquee math menu meta meter nav noframes noscript object ol optgroup option output p param
    picture plaintext pre progress q rp rt ruby s samp script search section select slot small
    source span strike strong style sub summary sup svg table tbody td template textarea tfoot th
    thead time title tr track tt u ul var video wbr xmp
    """.split()  # noqa: SIM905 - a word list reads best as words
)


# What may reach a reader: harmless text-level and block elements.
ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "cite", "code", "data", "dd", "del", "details",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "u", "ul", "var", "wbr",
}  # fmt: skip


ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir", "id", "class"},
    "a": {"href", "aria-label", "name"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height", "style"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "time": {"datetime"},
    "data": {"value"},
}


ALLOWED_STYLE = {"text-align", "width", "max-width"}


# The whole name, up to what ends a tag name for a browser: `<Bärbel>` is `bärbel`, not `<b>`.
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")


_TEMPLATE = re.compile(r"</?template(?=[\s/>])[^>]*>", re.I)


# Elements without a closing tag: they never nest.
VOID_ELEMENTS = frozenset(
    "area base basefont br col embed frame hr img input keygen link meta param source track wbr".split()  # noqa: SIM905
)


_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)


def is_known_tag(text: str) -> bool:
    """True when `text` starts with a tag whose name is a real HTML element."""
    m = _TAG.match(text)
    return bool(m) and m.group(2).lower() in KNOWN_ELEMENTS


def escape_unknown_tags(html: str) -> str:
    """`<Moment>` in raw HTML becomes `&lt;Moment>` so no sanitiser can swallow the text after it.

    `<template>` tags are dropped and their content kept: browsers and nh3 never show what is
    inside one, while the text part would, so the words are shown as ordinary text instead.
    """
    html = _TEMPLATE.sub("", html)
    if "&#" in html:
        html = _NUMERIC_REFERENCE.sub(_readable_reference, html)
    return _TAG.sub(lambda m: m.group(0) if m.group(2).lower() in KNOWN_ELEMENTS else "&lt;" + m.group(0)[1:], html)


# A numeric character reference as HTML reads it (the semicolon is optional there).
_NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


def _readable_reference(m: re.Match) -> str:
    """`&#x0B;` in raw HTML: nh3 would write U+000B, which MJML cannot parse and the feed's XML cannot
    hold. Such a reference becomes U+FFFD, as markdown-it makes it in prose (and HTML for `&#0;`)."""
    digits = (m.group(1) or m.group(2)).lstrip("0")
    if len(digits) > 7:
        return m.group(0)  # past U+10FFFF: HTML reads U+FFFD itself
    code = int(digits or "0", 16 if m.group(1) else 10)
    return "&#xFFFD;" if code <= 0x10FFFF and CONTROL.fullmatch(chr(code)) else m.group(0)


def _entity(state: StateInline, silent: bool) -> bool:
    """markdown-it's entity rule, but `&#12;` in prose gives U+FFFD like `&#11;` already does: the form
    feed is a valid code point to CommonMark, but no reader sees it and MJML cannot parse it."""
    if not entity(state, silent):
        return False
    if not silent and CONTROL.fullmatch(state.tokens[-1].content):
        state.tokens[-1].content = "\ufffd"
    return True


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    # Built once: `nh3.clean` converts the allow-lists on every call, half its time on a fragment.
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
        filter_style_properties=ALLOWED_STYLE,
    )


def sanitize(html: str) -> str:
    """Drop scripts, event handlers and unsafe URLs; keep every word of text."""
    return _cleaner().clean(html)


# What every link of an ordinary issue looks like, and nh3 keeps: no need to ask it.
_PLAIN_HREF = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#]\S*)?|#\S*")


_KEPT_PROBE = re.compile(r'<a href="[^"]*">(\d+)</a>')


def dropped_hrefs(hrefs: Iterable[str]) -> set[str]:
    """The link addresses `sanitize` would remove (`tel:`, `ftp:`, a URL its parser refuses, such as a
    bad port or no host), leaving the link text without a link. nh3 itself answers, in one call for the
    unusual ones."""
    odd = sorted({href for href in hrefs if not _PLAIN_HREF.fullmatch(href)})
    if not odd:
        return set()
    probe = "".join(f'<a href="{escapeHtml(href)}">{n}</a>' for n, href in enumerate(odd))
    kept = {int(n) for n in _KEPT_PROBE.findall(sanitize(probe))}
    return {href for n, href in enumerate(odd) if n not in kept}


_HREF = re.compile("href", re.I)


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href is not None:
            self.found.append((self.getpos()[0] - 1, href))


def raw_hrefs(html: str) -> list[tuple[int, str]]:
    """(0-based line within `html`, address) of each `<a href>` the author typed as HTML, entities
    decoded as a browser reads them. `javascript:` and the like are left out: like in Markdown, a link
    markdown-it refuses is meant to lose its address, not an error."""
    if not _HREF.search(html):  # `<br>`, `<sup>`, `</b>`: most raw HTML has no link to read
        return []
    parser = _Hrefs()
    parser.feed(html)
    parser.close()
    return [(line, href) for line, href in parser.found if validateLink(href)]


# Elements whose content a browser does not read as HTML (and `pre`, whose raw block CommonMark runs
# to its closing tag): opened and never closed, they take every word after them.
_RAW_TEXT = re.compile(r"<(iframe|noframes|noscript|plaintext|pre|script|style|textarea|title|xmp)(?=[\s/>])", re.I)


# The raw blocks CommonMark runs to a closer (`-->`, `?>`, `>`, `]]>` …) or, with none, to the end.
_RUN_TO_CLOSER = HTML_SEQUENCES[:5]


def _unclosed(text: str, pos: int, end: int, block: bool) -> bool:
    """True when `text[pos:]` opens a raw-text element with no closing tag before `end`: then it is
    a word about HTML (`Der Browser liest <script> zuerst`), not HTML."""
    m = _RAW_TEXT.match(text, pos)
    if not m or (m.group(1).lower() == "pre" and not block):  # inline, `pre` content is ordinary HTML
        return False
    if m.group(1).lower() == "plaintext":
        return True  # nothing ever closes it
    return re.compile(rf"</{m.group(1)}(?=[\s/>])", re.I).search(text, m.end(), end) is None


# What a browser reads on to its closer, whatever lies between: a comment, a raw-text element.
_SWALLOWS = re.compile(r"<(?:!--|(iframe|noframes|noscript|plaintext|script|style|textarea|title|xmp)(?=[\s/>]))", re.I)


def _unclosed_as_text(html: str) -> str:
    """A comment or raw-text element that a raw HTML block opens and does not close (`<div>Ein
    <textarea> Feld</div>`, or one cut by a blank line) would take every later word of the item:
    its `<` becomes `&lt;`, so it is a word about HTML, as at a line start or in prose."""
    pos, cuts = 0, []
    while m := _SWALLOWS.search(html, pos):
        name = (m.group(1) or "").lower()
        if not name:
            end = html.find("-->", m.start() + 2)  # from `<!`: `<!-->` is a whole (empty) comment
            end = end + 3 if end >= 0 else -1
        elif name == "plaintext":
            end = -1  # nothing ever closes it
        else:
            closer = re.compile(rf"</{name}(?=[\s/>])", re.I).search(html, m.end())
            end = closer.end() if closer else -1
        if end < 0:
            cuts.append(m.start())
        pos = end if end >= 0 else m.end()
    for cut in reversed(cuts):
        html = html[:cut] + "&lt;" + html[cut + 1 :]
    return html


def _html_block_known(state, start_line: int, end_line: int, silent: bool) -> bool:
    pos = state.bMarks[start_line] + state.tShift[start_line]
    if state.src[pos : pos + 1] != "<":
        return False  # what html_block answers too, without copying the line first
    line = state.src[pos : state.eMarks[start_line]]
    if _TAG.match(line) and not is_known_tag(line):
        return False  # `<Hardware-Wende> ist …` at a line start is a paragraph, not raw HTML
    if _unclosed(state.src, pos, len(state.src), block=True):
        return False  # a paragraph, not a raw block running to the end of the document
    for opening, closing, _ in _RUN_TO_CLOSER:
        if opening.search(line):
            if not closing.search(state.src, pos):
                return False  # `<!-- Notiz` never closed: text, not the rest of the issue dropped
            break
    if not html_block(state, start_line, end_line, silent):
        return False
    if not silent:
        state.tokens[-1].content = _unclosed_as_text(state.tokens[-1].content)
    return True


_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)")


def _opens_nothing(text: str, pos: int) -> bool:
    """`Das Tag </script> beendet …`: an end tag with no start tag of its element before it in the same
    paragraph is a word about HTML, not markup."""
    m = _END_TAG.match(text, pos)
    return m is not None and re.search(rf"<{re.escape(m.group(1))}(?=[\s/>])", text[:pos], re.I) is None


def _html_inline_known(state, silent: bool) -> bool:
    if state.src[state.pos] != "<":
        return False  # what html_inline answers too, without copying what follows first
    ahead = state.src[state.pos : state.pos + 64]
    if not (is_known_tag(ahead) or ahead.startswith("<!--")):
        return False  # left to the text rule, rendered as `&lt;Moment&gt;`
    if _unclosed(state.src, state.pos, state.posMax, block=False):
        return False  # text too: as HTML it would swallow the rest of the item
    if ahead.startswith("</") and _opens_nothing(state.src, state.pos):
        return False  # text as well: nh3 drops an end tag that closes nothing, words and all
    return html_inline(state, silent)  # a comment is the author's note to self: nh3 drops it like a block one
