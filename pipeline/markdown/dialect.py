"""The project's Markdown dialect on top of CommonMark: gender stars and typed merge tags stay text,
`{…}` attribute lines only where the email keeps them, tables say which cells they drop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from markdown_it.rules_block.table import escapedSplit, getLine, table
from markdown_it.token import Token

from pipeline.markdown.rawhtml import ALLOWED_ATTRIBUTES

if TYPE_CHECKING:
    from pipeline.markdown import Document


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


def _header_scope(state) -> None:
    """Markdown tables have one header row: `scope="col"` tells screen readers what each cell is."""
    for token in state.tokens:
        if token.type == "th_open":
            token.attrSet("scope", "col")
