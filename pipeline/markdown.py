"""Markdown → HTML fragments: intro, one fragment per `---` item, and the notes block.

markdown-it-py does the parsing (CommonMark + footnotes + tables + strikethrough). Raw HTML is
allowed but fenced in twice: anything in angle brackets that is not a real HTML element is text
(`Der <Moment> um` keeps every word), and what remains goes through nh3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

import mdurl
import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.rules_block.html_block import HTML_SEQUENCES, html_block
from markdown_it.rules_block.reference import reference
from markdown_it.rules_block.table import escapedSplit, getLine, table
from markdown_it.rules_inline.entity import entity
from markdown_it.rules_inline.html_inline import html_inline
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_def

from pipeline.language import foreign_language
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
MAX_NESTING = 100  # quotes and lists inside each other; deeper is reported, never silently cut
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


# A `*` between a letter and a German gender suffix (`Nutzer*innen`, `jede*r`, `ein*e`,
# `Nutzer*innenkonto`) is part of the word. CommonMark would read it as emphasis and set whole
# passages in italics, so this inline rule, tried before `emphasis`, takes it as a literal star.
# `Leser*Innen` and `Kolleg*In` (star and Binnen-I) too.
_GENDER_SUFFIX = re.compile(r"(?:[iI]nnen[a-zäöüß]*|[iI]n|e|er|r|en|n|em|m|es|s)(?![a-zäöüßA-ZÄÖÜ])")


def _gender_star(state, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "*" or pos == 0 or not state.src[pos - 1].isalpha():
        return False
    if not _GENDER_SUFFIX.match(state.src, pos + 1):
        return False
    if not silent:
        state.pending += "*"
    state.pos = pos + 1
    return True


def gender_stars(text: str) -> int:
    """How many gender stars the rule above keeps literal in one inline run."""
    return sum(1 for m in re.finditer(r"(?<=[^\W\d_])\*", text) if _GENDER_SUFFIX.match(text, m.end()))


# A Mailchimp merge tag typed in prose (`*|FNAME|*`, `*|IF:FNAME|*`) is text about a merge tag:
# CommonMark would set `|FNAME|` in italics and drop both stars.
_MERGE_TAG = re.compile(r"\*\|[A-Za-z0-9_][^|*\n]{0,80}\|\*")


def _merge_tag(state, silent: bool) -> bool:
    if not state.src.startswith("*|", state.pos):
        return False
    m = _MERGE_TAG.match(state.src, state.pos, state.posMax)
    if not m:
        return False
    if not silent:
        state.pending += m.group(0)
    state.pos = m.end()
    return True


_EMPHASIS = ("em_open", "em_close", "strong_open", "strong_close")


def gender_star_lines(doc: Document) -> list[int]:
    """0-based body lines of paragraphs that mix gender stars with a star left over: the author
    may have meant emphasis there, and `check` says so."""
    lines = []
    for run in [*doc.items, doc.notes]:
        for tok in run:
            if tok.type != "inline" or not tok.children or "*" not in tok.content:
                continue
            kept = gender_stars(tok.content)
            if not kept:
                continue
            code = sum(c.content.count("*") for c in tok.children if c.type == "code_inline")
            marks = sum(len(c.markup) for c in tok.children if c.type in _EMPHASIS and "*" in c.markup)
            escaped = tok.content.count("\\*")
            tags = sum(2 * len(_MERGE_TAG.findall(c.content)) for c in tok.children if c.type == "text")
            if tok.content.count("*") - code - marks - escaped - kept - tags > 0 and tok.map:
                lines.append(tok.map[0])
    return sorted(set(lines))


# The character each block rule needs first on its line (after indentation): a rule asked about
# a line starting with anything else answers False without touching the state.
_BLOCK_STARTS = {
    "attr": "{",
    "fence": "`~",
    "blockquote": ">",
    "hr": "*-_",
    "list": "*+-0123456789",
    "footnote_def": "[",
    "reference": "[",
    "html_block": "<",  # _html_block_known
    "heading": "#",
}
_TABLE_ROW2 = "|-:"  # what a table's delimiter row (the line after the head) starts with


class _Chains(dict):
    """Rule chains by what a line or position starts with, each built on first use (so a one-off
    run does not pay for the whole table)."""

    def __init__(self, build: Callable):
        super().__init__()
        self.build = build

    def __missing__(self, key):
        chain = self[key] = self.build(key)
        return chain


def _gated(rule: Callable, starts: str) -> Callable:
    """`rule` for markdown-it's terminator checks (does the next line end this paragraph, list item,
    quote?): a line that does not start with one of `starts`, or is empty, is answered False at once."""

    def gated(state, line: int, end_line: int, silent: bool) -> bool:
        pos = state.bMarks[line] + state.tShift[line]
        if pos >= state.eMarks[line] or state.src[pos] not in starts:
            return False
        return rule(state, line, end_line, silent)

    return gated


def _lheading_alone(state, start_line: int, end_line: int, silent: bool) -> bool:
    """`lheading` for a line with no next line in its block: there is no underline to find. Like
    `lheading` it leaves `parentType` at "paragraph" (every rule that reads it sets it first, but
    the state stays exactly what markdown-it's own loop leaves)."""
    if not state.is_code_block(start_line):
        state.parentType = "paragraph"
    return False


def _block_tokenize(md: MarkdownIt) -> Callable:
    """markdown-it's block loop, asking only the rules that can match the line's first character.

    markdown-it tries every block rule on every line in turn (13 here, most of them rejecting the
    line at its first character); this loop picks the candidates from a table built once from the
    ruler, in the ruler's order, so the result is the same token stream. It also remembers where
    markdown-it drops everything past `maxNesting` without a word.
    """
    active = [(rule.name, rule.fn) for rule in md.block.ruler.__rules__ if rule.enabled]
    starts = frozenset("".join(_BLOCK_STARTS.values()))

    def candidates(first: str | None, code: bool, table: bool, alone: bool) -> list:  # None: any other character
        return [
            _lheading_alone if alone and name == "lheading" else fn
            for name, fn in active
            if (name != "code" or code)
            and (name != "table" or table)
            and (name not in _BLOCK_STARTS or (first is not None and first in _BLOCK_STARTS[name]))
        ]

    chains = _Chains(lambda key: candidates(*key))
    code_enabled = "code" in dict(active)

    def tokenize(state, start_line: int, end_line: int) -> None:
        src, b_marks, e_marks, t_shift, s_count = state.src, state.bMarks, state.eMarks, state.tShift, state.sCount
        max_nesting = state.md.options.maxNesting
        if state.level >= max_nesting and state.skipEmptyLines(start_line) < end_line:
            state.env.setdefault("too_deep", []).append(state.skipEmptyLines(start_line))  # 0-based body line
        line = start_line
        has_empty_lines = False
        while line < end_line:
            state.line = line = state.skipEmptyLines(line)
            if line >= end_line:
                break
            if s_count[line] < state.blkIndent:
                break  # the end of a nested call (quotes, lists)
            if state.level >= max_nesting:
                state.line = end_line
                break
            first = src[b_marks[line] + t_shift[line]]
            following = line + 1
            alone = following >= end_line or b_marks[following] + t_shift[following] >= e_marks[following]
            table = not alone and src[b_marks[following] + t_shift[following]] in _TABLE_ROW2
            code = code_enabled and s_count[line] - state.blkIndent >= 4
            for rule in chains[(first if first in starts else None, code, table, alone)]:
                if rule(state, line, end_line, False):
                    if state.line <= line:
                        raise RuntimeError("block rule didn't increment state.line")
                    break
            else:
                raise RuntimeError("none of the block rules matched")
            state.tight = not has_empty_lines  # an empty line before this block makes it loose
            line = state.line
            if (line - 1) < end_line and state.isEmpty(line - 1):
                has_empty_lines = True  # a paragraph may "eat" one newline after it in nested lists
            if line < end_line and state.isEmpty(line):
                has_empty_lines = True
                line += 1
                state.line = line

    return tokenize


# The character each inline rule needs at the current position; `text` takes every other one.
_INLINE_STARTS = {
    "newline": "\n",
    "escape": "\\",
    "backticks": "`",
    "strikethrough": "~",
    "gender_star": "*",
    "merge_tag": "*",
    "emphasis": "*_",
    "link": "[",
    "image": "!",
    "footnote_ref": "[",
    "autolink": "<",
    "html_inline": "<",  # _html_inline_known
    "entity": "&",
}


def _inline_loops(md: MarkdownIt) -> tuple[Callable, Callable] | None:
    """markdown-it's inline loops (tokenize, and skipToken for link labels), asking only the rules
    that can match the character at hand.

    markdown-it tries every inline rule (13 here) at each character that stops plain text (`-`,
    `:`, `[`, line breaks …); most reject it at once. The candidates come from a table built once
    from the ruler, in its order, so the tokens are the same. None when this markdown-it has no
    `terminator_re` to tell text characters from the rest (or no `append_pending`): its own loops
    then stay.
    """
    terminator = getattr(md.inline, "terminator_re", None)
    if terminator is None or not hasattr(StateInline, "append_pending"):
        return None
    active = [(rule.name, rule.fn) for rule in md.inline.ruler.__rules__ if rule.enabled]
    text_chain = [fn for name, fn in active if name not in _INLINE_STARTS]  # `text` and any unknown rule

    def candidates(ch: str) -> list:
        if not terminator.match(ch):
            return text_chain  # no other rule starts at a character that does not stop text
        return [
            fn
            for name, fn in active
            if (name in _INLINE_STARTS and ch in _INLINE_STARTS[name])
            or (name not in _INLINE_STARTS and name != "text")
        ]

    chains = _Chains(candidates)

    def tokenize(state) -> None:
        src = state.src
        end = state.posMax
        max_nesting = state.md.options["maxNesting"]
        while state.pos < end:
            pos = state.pos
            ok = False
            if state.level < max_nesting:
                for rule in chains[src[pos]]:
                    ok = rule(state, False)
                    if ok:
                        if state.pos <= pos:
                            raise RuntimeError("inline rule didn't increment state.pos")
                        break
            if ok:
                if state.pos >= end:
                    break
                continue
            state.append_pending(src[state.pos])
            state.pos += 1
        if state.pending:
            state.pushPending()

    def skip_token(state) -> None:
        pos = state.pos
        cache = state.cache
        if pos in cache:
            state.pos = cache[pos]
            return
        ok = False
        if state.level < state.md.options["maxNesting"]:
            for rule in chains[state.src[pos]]:
                state.level += 1  # as markdown-it does: limits recursion, creates no tokens
                ok = rule(state, True)
                state.level -= 1
                if ok:
                    if state.pos <= pos:
                        raise RuntimeError("inline rule didn't increment state.pos")
                    break
        else:
            state.pos = state.posMax  # too deep: skip to the end of the paragraph, as markdown-it does
        if not ok:
            state.pos += 1
        cache[pos] = state.pos

    return tokenize, skip_token


_PAIR_RULES = frozenset({"balance_pairs", "strikethrough", "emphasis"})  # no-ops without delimiters


def _inline_parse(md: MarkdownIt) -> Callable:
    """markdown-it's inline parse, leaving out the emphasis and strikethrough passes over runs that
    have no `*`, `_` or `~` delimiter to pair (each pass walks every delimiter list and finds none)."""
    passes = [(rule.name, rule.fn) for rule in md.inline.ruler2.__rules__ if rule.enabled]
    every = [fn for _, fn in passes]
    without_pairs = [fn for name, fn in passes if name not in _PAIR_RULES]

    def parse(src: str, md: MarkdownIt, env: dict, tokens: list[Token]) -> list[Token]:
        state = StateInline(src, md, env, tokens)
        md.inline.tokenize(state)
        pairs = state.delimiters or any(meta and meta.get("delimiters") for meta in state.tokens_meta)
        for rule in every if pairs else without_pairs:
            rule(state)
        return state.tokens

    return parse


def _normalize(state) -> None:
    """markdown-it's `normalize` without its two regex passes over text that has no CR or NUL."""
    src = state.src
    if "\r" in src:
        src = src.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in src:
        src = src.replace("\0", "\ufffd")
    state.src = src


def _guard_nesting(md: MarkdownIt) -> None:
    """markdown-it drops everything past `maxNesting` without a word; remember where that happens.

    (The plain library loop with the guard; `_block_tokenize` has the same guard built in.)
    """
    tokenize = md.block.tokenize

    def guarded(state, start_line: int, end_line: int) -> None:
        if state.level >= state.md.options.maxNesting and state.skipEmptyLines(start_line) < end_line:
            state.env.setdefault("too_deep", []).append(state.skipEmptyLines(start_line))  # 0-based body line
        tokenize(state, start_line, end_line)

    md.block.tokenize = guarded


class _References(dict):
    """markdown-it's table of link reference definitions, remembering which labels links and images
    looked up. A look-up made while only skipping over a link's label (`[a [b][q] c](…)`) counts
    too, so such a definition may stay hidden with no link using it: rare, and what it did before."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.used: set[str] = set()

    def get(self, key, default=None):
        if key in self:
            self.used.add(key)
        return super().get(key, default)


def _definition_in_place(state, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's `reference` rule, leaving a paragraph of the definition's own lines where it
    stood (in its quote or list item; a tight list hides it like its other paragraphs). Its text
    waits in a `definition` token until the links are read: `_definitions` then drops it (used:
    markup) or parses it as the text the author typed."""
    if silent:
        return reference(state, start_line, end_line, True)
    duplicates = len(state.env.get("duplicate_refs", ()))
    if not reference(state, start_line, end_line, False):
        return False
    if not isinstance(state.env["references"], _References):  # links read it later, in the inline pass
        state.env["references"] = _References(state.env["references"])
    meta = state.tokens.pop().meta  # the `definition` token of `inline_definitions`
    opening = state.push("paragraph_open", "p", 1)
    opening.map = [start_line, state.line]
    opening.meta = {"definition": meta["id"], "typed": meta["label"]}
    opening.meta["duplicate"] = len(state.env.get("duplicate_refs", ())) > duplicates
    text = state.push("definition", "", 0)
    text.map = opening.map
    text.content = "\\" + state.getLines(start_line, state.line, state.blkIndent, False).strip()  # `\[`: no link
    text.children = []
    state.push("paragraph_close", "p", -1)
    state.env["definitions"] = True
    return True


def _definitions(state) -> None:
    """Definitions a link or image uses are markup and leave no trace. Any other (no link uses it,
    or its label was defined before) is shown as typed, and listed for `check`."""
    if not state.env.pop("definitions", False):
        return
    references = state.env["references"]
    tokens, kept = state.tokens, []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type != "paragraph_open" or "definition" not in token.meta:
            kept.append(token)
            i += 1
            continue
        label, text = token.meta["definition"], tokens[i + 1]
        following = tokens[i + 3] if i + 3 < len(tokens) else None
        if label in references.used and not token.meta["duplicate"]:
            if token.attrs and following is not None and following.nesting >= 0:
                _pass_attributes(token.attrs, following)  # a `{lang=…}` line above goes on
            i += 3
            continue
        text.type = "inline"
        state.md.inline.parse(text.content, state.md, state.env, text.children)
        first = references[label]["map"][0] if token.meta["duplicate"] else None
        state.env.setdefault("shown_definitions", []).append((token.map[0], token.meta["typed"], first))
        kept.extend(tokens[i : i + 3])
        i += 3
    tokens[:] = kept
    if any(token.hidden and "definition" in token.meta for token in kept if token.type == "paragraph_open"):
        _join_tight(tokens)


def _join_tight(tokens: list[Token]) -> None:
    """A tight list item's paragraphs are written back to back without `<p>`: a shown definition
    and the paragraph right under it become one paragraph (as they would after `\\[`), so no two
    words run together."""
    i = 2
    while i + 3 < len(tokens):
        opening, text, close, following = tokens[i - 2 : i + 2]
        if not (
            close.type == "paragraph_close"
            and close.hidden
            and following.type == "paragraph_open"
            and following.hidden
            and "definition" in opening.meta
        ):
            i += 1
            continue
        below = tokens[i + 2]
        text.content += "\n" + below.content
        text.children = [*(text.children or []), Token("softbreak", "br", 0), *(below.children or [])]
        opening.map = text.map = [opening.map[0], following.map[1]]
        del tokens[i : i + 3]  # this close, the next opening and its text: the next close ends both


def _pass_attributes(attrs: dict, token: Token) -> None:
    """As mdit-py-plugins' attrs_block passes a `{…}` line's attributes to the next block."""
    for key, value in attrs.items():
        if key == "class" and "class" in token.attrs:
            token.attrs["class"] = f"{value} {token.attrs['class']}"
        elif key not in token.attrs:
            token.attrs[key] = value


# What the sanitiser keeps of the attributes a `{…}` line gives a block (`{lang=en}`, `{.klasse}`).
_KEPT_ON_BLOCKS = frozenset(ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES["ol"])


def _kept_attributes(rule: Callable) -> Callable:
    """attrs_block's line rule, for lines that set only attributes the sanitiser keeps. Any other
    (`{Stand=heute}`) would vanish whole, so it stays a line of text, and `check` says why. (The
    rule is no terminator: markdown-it never asks it in silent mode.)"""

    def attributes(state, start_line: int, end_line: int, silent: bool) -> bool:
        first_token = len(state.tokens)
        if not rule(state, start_line, end_line, silent):
            return False
        if silent:
            return True
        dropped = [key for key in state.tokens[first_token].attrs if key.lower() not in _KEPT_ON_BLOCKS]
        if not dropped:
            return True
        del state.tokens[first_token:]
        state.line = start_line
        state.env.setdefault("attrs_dropped", []).append((start_line, dropped))
        return False

    return attributes


def _table_rows_seen(state, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's table rule, remembering body rows with more cells than the head: the head
    fixes the columns and the extra cells are dropped, words and all (`check` says so)."""
    first_token = len(state.tokens)
    if not table(state, start_line, end_line, silent):
        return False
    if silent:
        return True
    new = state.tokens[first_token:]
    columns = sum(1 for token in new if token.type == "th_open")
    for token in new:
        if token.type == "tr_open" and token.map[0] > start_line:  # a body row
            cells = escapedSplit(getLine(state, token.map[0]).strip())  # as the table rule splits it
            if cells and cells[0] == "":
                cells.pop(0)
            if cells and cells[-1] == "":
                cells.pop()
            extra = [cell.strip() for cell in cells[columns:] if cell.strip()]
            if extra:
                state.env.setdefault("table_extra", []).append((token.map[0], extra))
    return True


def _footnote_def_seen(state, start_line: int, end_line: int, silent: bool) -> bool:
    """The footnote plugin's definition rule, remembering where each label was defined: a second
    definition of a label replaces the first one's text without a word (`check` says so)."""
    first_token = len(state.tokens)
    depth = state.env.get("footnote_depth", 0)  # definitions open around this line
    state.env["footnote_depth"] = depth + 1
    found = footnote_def(state, start_line, end_line, silent)
    state.env["footnote_depth"] = depth
    if not found:
        return False
    if not silent:
        if depth:
            state.env["footnotes_nested"] = True
        label = state.tokens[first_token].meta["label"]
        seen = state.env.setdefault("footnote_lines", {})
        if label in seen:
            state.env.setdefault("footnote_repeats", []).append((start_line, label, seen[label]))
        else:
            seen[label] = start_line
    return True


def _footnotes_unnested(state) -> None:
    """A footnote defined in another one's indented lines: the footnote plugin keeps one definition
    open at a time, so the outer note lost its text and its later lines went into the item. Each
    inner definition moves to just after the outer one's end: every note keeps its own lines."""
    state.env.pop("footnote_depth", None)
    if not state.env.pop("footnotes_nested", False):
        return
    out: list[Token] = []
    open_notes: list[tuple[list[Token], list[Token]]] = []  # per open definition: its tokens, the inner ones
    for token in state.tokens:
        if token.type == "footnote_reference_open":
            open_notes.append(([token], []))
        elif token.type == "footnote_reference_close":
            own, inner = open_notes.pop()
            whole = [*own, token, *inner]
            (open_notes[-1][1] if open_notes else out).extend(whole)
        else:
            (open_notes[-1][0] if open_notes else out).append(token)
    state.tokens = out


def _footnote_orphans(state) -> None:
    """Definitions nobody references would vanish; list them in the notes anyway."""
    data = state.env.get("footnotes")
    if not data:
        return
    for key, ident in list(data["refs"].items()):
        if ident < 0:
            new_id = len(data["list"])
            data["list"][new_id] = {"label": key[1:], "count": 0}
            data["refs"][key] = new_id


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    # `name` beside `id`: Gmail web and Outlook for Windows jump only to <a name> anchors (caniemail
    # html-anchor-links). The brackets are a cue beyond colour, and match the note's own label.
    meta = tokens[idx].meta
    n = meta["id"] + 1
    ref_id = f"fnref{n}" + (f"-{meta['subId']}" if meta["subId"] else "")
    return f'<sup class="fnref"><a href="#fn{n}" id="{ref_id}" name="{ref_id}">[{n}]</a></sup>'


def _note_label(token: Token) -> str:
    """Each note opens with the `[n]` its marker shows, so marker and note match by eye in apps
    that do not jump (Gmail and Yahoo apps), and with `<a name>` for those that only jump to that."""
    n = token.meta["id"] + 1
    return f'<a name="fn{n}"><b>[{n}]</b></a>'


def _render_footnote_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if idx + 1 < len(tokens) and tokens[idx + 1].type == "paragraph_open":
        return f'<li id="fn{token.meta["id"] + 1}">'  # the paragraph opens with the label itself
    return f'<li id="fn{token.meta["id"] + 1}"><p>{_note_label(token)}</p>\n'


def _render_paragraph_open(self, tokens, idx, options, env) -> str:
    """A note's first paragraph starts with its label, inside its own `<p>` (and its `lang`):
    rendering reads the tokens and never changes them, so a document renders the same every time."""
    if idx and tokens[idx - 1].type == "footnote_open":
        return f"<p{self.renderAttrs(tokens[idx])}>{_note_label(tokens[idx - 1])} "
    return self.renderToken(tokens, idx, options, env)


def _render_footnote_anchor(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    if env["footnotes"]["list"][meta["id"]].get("count", 0) == 0 or meta["subId"]:
        # Unreferenced: nothing to jump back to. Referenced again: one way back (to the first
        # reference) keeps notes short and never points into items a split email left out.
        return ""
    return f' <a href="#fnref{meta["id"] + 1}" class="backref" aria-label="zurück zum Text">↩\ufe0e</a>'


def _header_scope(state) -> None:
    """Markdown tables have one header row: `scope="col"` tells screen readers what each cell is."""
    for token in state.tokens:
        if token.type == "th_open":
            token.attrSet("scope", "col")


def _inline_text(token: Token) -> str:
    return " ".join([c.content for c in token.children or () if c.type == "text"])


_LANGUAGE_TOKENS = frozenset({"blockquote_open", "paragraph_open", "list_item_open", "list_item_close"})


def _mark_languages(state) -> None:
    """Quotes and paragraphs in another language get `lang` (the author's `{lang=…}` line above
    a block wins, and `{lang=de}` keeps detection away).

    One pass over the tokens that matter: the end of a quote is found with `list.index`, and the
    list item a tight paragraph belongs to is the innermost one still open."""
    base = state.env.get("language", "de")
    tokens = state.tokens
    types = [token.type for token in tokens]
    skip_until = -1  # inside a quote already decided as a whole
    items: list[Token] = []  # the list items open at this point, innermost last
    for i in [i for i, kind in enumerate(types) if kind in _LANGUAGE_TOKENS]:
        token = tokens[i]
        if token.type == "list_item_open":
            items.append(token)
        elif token.type == "list_item_close":
            items.pop()
        elif i <= skip_until:
            continue
        elif token.type == "blockquote_open":
            end = types.index("blockquote_close", i + 1)
            while tokens[end].level != token.level:
                end = types.index("blockquote_close", end + 1)
            if token.attrs.get("lang") is None:
                text = " ".join([_inline_text(tokens[j]) for j in range(i + 1, end) if types[j] == "inline"])
                lang = foreign_language(text, base)
                if lang:
                    token.attrSet("lang", lang)
            skip_until = end
        elif i + 1 < len(tokens) and token.attrs.get("lang") is None:  # a paragraph
            lang = foreign_language(_inline_text(tokens[i + 1]), base)
            if lang and not token.hidden:
                token.attrSet("lang", lang)
            elif lang and items and items[-1].attrs.get("lang") is None:
                items[-1].attrSet("lang", lang)  # a tight list's paragraph is not rendered: its item carries it


_URL_KEPT = re.compile(r"[A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]*")  # mdurl.encode's unchanged characters


def _fast_normalize_link(md: MarkdownIt) -> Callable[[str], str]:
    """Most links are plain ASCII `https://…`: percent-encoding is all they need, and skipping the
    URL parse and punycode step saves a tenth of the parse time. Anything else takes the full path."""
    full = md.normalizeLink

    def normalize(url: str) -> str:
        if url.isascii() and "://" in url[:12] and "[" not in url:
            # Nothing to percent-encode (no `%`, only characters mdurl keeps): the URL as it is.
            return url if _URL_KEPT.fullmatch(url) else mdurl.encode(url)
        return full(url)

    return normalize


# What markdown-it's link destination scan walks over without a second look: no space or control
# character, no parenthesis (nesting is counted), no backslash (escapes).
_DESTINATION = re.compile(r"[^\x00-\x20\x7f()\\]*")


class _Destination:
    """The answer markdown-it's link rule reads from `parseLinkDestination`."""

    __slots__ = ("ok", "pos", "str")

    def __init__(self, ok: bool, pos: int, text: str):
        self.ok, self.pos, self.str = ok, pos, text


def _fast_link_helpers(md: MarkdownIt) -> SimpleNamespace:
    """markdown-it's link helpers, with one regex for the common destination (`https://…` up to
    `)` or a space) instead of a loop over each character; anything else takes the full scan."""
    helpers = md.helpers
    full = helpers.parseLinkDestination

    def destination(string: str, pos: int, maximum: int):
        if pos < maximum and string[pos] != "<":
            end = _DESTINATION.match(string, pos, maximum).end()  # type: ignore[union-attr]
            if end > pos and (end == maximum or string[end] not in "(\\"):
                return _Destination(True, end, unescapeAll(string[pos:end]))
        return full(string, pos, maximum)

    return SimpleNamespace(
        parseLinkLabel=helpers.parseLinkLabel, parseLinkTitle=helpers.parseLinkTitle, parseLinkDestination=destination
    )


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    return configured()


def configured(fast: bool = True) -> MarkdownIt:
    """The project's markdown-it; `fast=False` keeps markdown-it's own loops (the reference the
    fast ones are tested against)."""
    options = {"html": True, "typographer": False, "xhtmlOut": False, "maxNesting": MAX_NESTING}
    md = MarkdownIt("commonmark", {**options, "inline_definitions": True})  # for `_definition_in_place`
    md.enable(["table", "strikethrough"])
    md.block.ruler.at("table", _table_rows_seen, {"alt": ["paragraph", "reference"]})
    md.use(footnote_plugin, inline=False)
    md.block.ruler.at("footnote_def", _footnote_def_seen, {"alt": ["paragraph", "reference"]})
    md.use(attrs_block_plugin)  # `{lang=en}` on the line above a block
    md.block.ruler.at("attr", _kept_attributes(next(r.fn for r in md.block.ruler.__rules__ if r.name == "attr")))
    md.block.ruler.at("reference", _definition_in_place)
    md.core.ruler.after("inline", "definitions", _definitions)
    md.block.ruler.at("html_block", _html_block_known, {"alt": ["paragraph", "reference", "blockquote"]})
    md.inline.ruler.at("html_inline", _html_inline_known)
    md.inline.ruler.at("entity", _entity)
    md.inline.ruler.before("emphasis", "gender_star", _gender_star)
    md.inline.ruler.before("emphasis", "merge_tag", _merge_tag)
    md.core.ruler.before("footnote_tail", "footnotes_unnested", _footnotes_unnested)
    md.core.ruler.before("footnote_tail", "footnote_orphans", _footnote_orphans)
    md.core.ruler.push("header_scope", _header_scope)
    md.core.ruler.push("languages", _mark_languages)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("footnote_open", _render_footnote_open)
    md.add_render_rule("paragraph_open", _render_paragraph_open)
    md.add_render_rule("footnote_close", lambda *a: "</li>\n")
    md.add_render_rule("footnote_anchor", _render_footnote_anchor)
    md.add_render_rule("footnote_block_open", lambda *a: "")
    md.add_render_rule("footnote_block_close", lambda *a: "")
    md.normalizeLink = _fast_normalize_link(md)  # type: ignore[method-assign]
    if not fast:
        _guard_nesting(md)
        return md
    md.core.ruler.at("normalize", _normalize)
    md.helpers = _fast_link_helpers(md)  # type: ignore[assignment]
    # Last: the dispatch tables are built from the final rule chains.
    md.block.tokenize = _block_tokenize(md)  # type: ignore[method-assign]
    for rule in list(md.block.ruler.__rules__):  # after: the block loop keeps the plain rules
        if rule.enabled and rule.alt and rule.name in _BLOCK_STARTS:
            md.block.ruler.at(rule.name, _gated(rule.fn, _BLOCK_STARTS[rule.name]), {"alt": rule.alt})
    loops = _inline_loops(md)
    if loops is not None:
        md.inline.tokenize, md.inline.skipToken = loops  # type: ignore[method-assign]
    md.inline.parse = _inline_parse(md)  # type: ignore[method-assign]
    return md


@dataclass
class Document:
    """The parsed body: token runs per item (item 0 is the intro) and the footnote run."""

    items: list[list[Token]]
    notes: list[Token]
    env: dict = field(default_factory=dict)
    # 1-based body line where each item starts, for messages.
    item_lines: list[int] = field(default_factory=list)

    @property
    def footnote_count(self) -> int:
        return len(self.env.get("footnotes", {}).get("list", {}))

    @property
    def too_deep(self) -> list[int]:
        """0-based body lines whose text markdown-it left out: nested deeper than MAX_NESTING."""
        return sorted(set(self.env.get("too_deep", ())))

    @property
    def footnote_lines(self) -> dict[str, int]:
        """0-based body line of each footnote label's first definition (in a quote or list too)."""
        return self.env.get("footnote_lines", {})

    @property
    def footnote_repeats(self) -> list[tuple[int, str, int]]:
        """Footnotes defined again: (0-based body line, label, body line of its first definition).
        The last definition is the note; the text of the earlier ones is not printed."""
        return self.env.get("footnote_repeats", [])

    @property
    def table_extra(self) -> list[tuple[int, list[str]]]:
        """Table rows with cells beyond the head's columns: (0-based body line, their texts)."""
        return self.env.get("table_extra", [])

    @property
    def attrs_dropped(self) -> list[tuple[int, list[str]]]:
        """`{…}` lines kept as text: (0-based body line, the attribute names no email keeps)."""
        return self.env.get("attrs_dropped", [])

    @property
    def shown_definitions(self) -> list[tuple[int, str, int | None]]:
        """Link reference definitions shown as text: (0-based body line, label as typed, body line
        of the label's first definition when this one repeats it, else None)."""
        return self.env.get("shown_definitions", [])

    @property
    def html_too_deep(self) -> int | None:
        """0-based body line where raw HTML first nests deeper than MAX_NESTING, or None.

        MJML's parser recurses per element: about 10,000 levels overflow its stack and kill the
        process (signal 11), so such a document never reaches it.
        """
        return self.env.get("html_too_deep")


class _RawDepth:
    """Element depth across every raw HTML token of the document, in reading order."""

    def __init__(self, env: dict):
        self.env, self.depth = env, 0

    def add(self, html: str, line: int) -> None:
        if "html_too_deep" in self.env or "<" not in html:
            return
        if "<!--" in html:
            html = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), html)
        for m in _TAG.finditer(html):
            name = m.group(2).lower()
            if name in VOID_ELEMENTS or name not in KNOWN_ELEMENTS:
                continue
            self.depth = max(0, self.depth - 1) if m.group(1) else self.depth + 1
            if self.depth > MAX_NESTING:
                self.env["html_too_deep"] = line + html.count("\n", 0, m.start())
                return


def _escape_raw(tokens: Sequence[Token], depth: _RawDepth, line: int = 0) -> None:
    for token in tokens:
        if token.map:
            line = token.map[0]
        if token.type in ("html_block", "html_inline"):
            depth.add(token.content, line)
            token.content = escape_unknown_tags(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            line += 1
        if token.children and (token.type != "inline" or "<" in token.content):  # no `<`, no raw HTML
            _escape_raw(token.children, depth, line)


def parse(body: str, language: str = "de") -> Document:
    env: dict = {"language": language}
    tokens = parser().parse(body, env)
    _escape_raw(tokens, _RawDepth(env))  # once, here: every rendering of this document sees safe raw HTML
    notes_start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    notes, main = tokens[notes_start:], tokens[:notes_start]
    items: list[list[Token]] = [[]]
    lines = [1]
    for token in main:
        if token.type == "hr" and token.level == 0:
            items.append([])
            lines.append(token.map[1] + 1 if token.map else lines[-1])
        else:
            items[-1].append(token)
    # An empty run (leading or doubled `---`) carries no words: leave it out.
    kept = [(run, line) for run, line in zip(items, lines, strict=True) if run]
    if not kept:
        kept = [([], 1)]
    return Document([run for run, _ in kept], notes, env, [line for _, line in kept])


ImageUrl = Callable[[str], str]
ImageSize = Callable[[str], "tuple[int, int] | None"]


def _with_image_urls(tokens: Sequence[Token], image_url: ImageUrl, image_size: ImageSize) -> None:
    for token in tokens:
        if token.type == "image":
            # Keep the source as written: one parse is rendered for email and for web.
            original = token.meta.setdefault("src", str(token.attrGet("src") or ""))
            token.attrSet("src", image_url(original))
            size = image_size(original)
            if size:  # Outlook for Windows sizes images by these attributes only; the style is
                # the fluid-image pattern (Cerberus) that shrinks them on phones without overflow
                token.attrSet("width", str(size[0]))
                token.attrSet("height", str(size[1]))
                token.attrSet("style", f"width:100%;max-width:{size[0]}px")
        if token.children and (token.type != "inline" or "![" in token.content):  # no `![`, no image
            _with_image_urls(token.children, image_url, image_size)


@dataclass
class Fragments:
    """Sanitised HTML: what layouts receive."""

    items: list[str]
    notes: list[str]  # one `<li>` per footnote, in number order

    @property
    def intro(self) -> str:
        return self.items[0]

    def notes_html(self, count: int | None = None) -> str:
        chosen = self.notes if count is None else self.notes[:count]
        # inline: every note starts with its own "[n]", so the list needs no numbers and no indent
        return (
            f'<ol class="notes" style="list-style:none;margin:0;padding:0">\n{"".join(chosen)}</ol>\n' if chosen else ""
        )


def _split_notes(tokens: list[Token]) -> list[list[Token]]:
    runs: list[list[Token]] = []
    for token in tokens:
        if token.type == "footnote_open":
            runs.append([])
        if runs and token.type not in ("footnote_block_open", "footnote_block_close"):
            runs[-1].append(token)
    return runs


def render_html(
    doc: Document, image_url: ImageUrl = lambda src: src, image_size: ImageSize = lambda src: None
) -> Fragments:
    md = parser()
    out_items = []
    for run in doc.items:
        _with_image_urls(run, image_url, image_size)
        out_items.append(sanitize(md.renderer.render(run, md.options, doc.env)))
    notes = []
    for run in _split_notes(doc.notes):
        _with_image_urls(run, image_url, image_size)
        notes.append(sanitize(md.renderer.render(run, md.options, doc.env)))
    return Fragments(out_items, notes)


def footnotes_in(run: Sequence[Token]) -> set[int]:
    """Footnote ids referenced inside one item (for cutting notes with the items)."""
    found: set[int] = set()
    for token in run:
        if token.type == "footnote_ref":
            found.add(token.meta["id"])
        if token.children:
            found |= footnotes_in(token.children)
    return found
