"""markdown-it's block and inline loops and link helpers, asking only the rules that can match:
the same tokens (tests/test_markdown_fast.py compares them with markdown-it's own loops), in a
fraction of the time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace

import mdurl
from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.rules_inline.state_inline import StateInline
from markdown_it.token import Token

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
