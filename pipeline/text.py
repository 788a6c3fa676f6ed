"""The plain-text alternative, rendered from markdown-it's tokens.

We render from the token tree rather than converting the HTML (html2text escapes Markdown
characters and is GPL): quotes get `> `, links become numbered references listed after each
item, footnotes become `[Anm. n]` (never to be confused with a link's `[n]`) with their text at
the end. Every word of the source survives.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from markdown_it.token import Token

from pipeline.markdown import Document, escape_unknown_tags

WIDTH = 72
MIN_WIDTH = 20
LI = "\x01"  # marks list-item blocks until they are joined
NOTE_MARGIN = "    "  # a footnote's lines after its first paragraph: its link list, further paragraphs


_BR = re.compile(r"<br\b[^>]*>", re.I)
_PRE = re.compile(r"<pre(?=[\s>])", re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
# Where a browser starts a new line: the words on either side must not run together.
_BLOCK_EDGE = re.compile(
    r"(?=</?(?:address|article|aside|blockquote|caption|dd|details|dialog|div|dl|dt|fieldset|figcaption|figure|"
    r"footer|h[1-6]|header|hr|li|main|nav|ol|option|p|pre|section|summary|table|td|th|tr|ul)\b)",
    re.I,
)


def _alt_text(m: re.Match) -> str:
    alt = _ALT.search(m.group(0))
    text = next((g for g in alt.groups() if g is not None), "") if alt else ""
    return f"[Bild: {text}]" if text.strip() else "[Bild]"


# No-break spaces (`10 km`, `z. B.`, `S. 4`; typed or as `&nbsp;`): the text's glue, never collapsed.
_NO_BREAK = "\u00a0\u2007\u202f"
_BREAKING = re.compile(rf"[^\S{_NO_BREAK}]+")  # white space a line may break at
_HAS_NO_BREAK = re.compile(f"[{_NO_BREAK}]")


def _one_line(text: str) -> str:
    """Runs of white space a line may break at become one space; no-break spaces stay as typed."""
    if _HAS_NO_BREAK.search(text):
        return " ".join(_BREAKING.split(text.strip()))
    return " ".join(text.split())  # the same without no-break spaces, 10× faster than the regex


def _strip_tags(raw: str, block_edges: bool = True) -> str:
    """Raw HTML in the source: keep its words, drop its tags (scripts and styles go entirely).

    Line breaks and block edges become white space and images their alt text, so no two words
    run together and no alt text is lost. (Not block edges in `<pre>`: its spaces are as written.)
    """
    raw = _IMG.sub(_alt_text, _BR.sub("\n", escape_unknown_tags(raw)))
    if block_edges:
        raw = _BLOCK_EDGE.sub(" ", raw)
    return html.unescape(nh3.clean(raw, tags=set()))


@dataclass
class _Links:
    urls: list[str] = field(default_factory=list)

    def ref(self, url: str) -> int:
        if url not in self.urls:
            self.urls.append(url)
        return self.urls.index(url) + 1


def inline_text(children: Sequence[Token], links: _Links | None = None, notes: bool = True) -> str:
    """Text of one inline run; links get `[n]` when a reference list is kept."""
    out: list[str] = []
    href_stack: list[str] = []
    hidden = False  # inside an inline <script> or <style>: code, not words
    for tok in children:
        kind = tok.type
        if hidden and not (kind == "html_inline" and re.match(r"</(script|style)", tok.content, re.I)):
            continue
        if kind == "text":
            out.append(tok.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "code_inline":
            out.append(tok.content)
        elif kind == "image":
            alt = inline_text(tok.children or [], None) or tok.content
            out.append(f"[Bild: {alt}]" if alt else "[Bild]")
        elif kind == "link_open":
            href_stack.append(str(tok.attrGet("href") or ""))
            out.append("\x00")  # marks where the link text starts
        elif kind == "link_close":
            href = href_stack.pop() if href_stack else ""
            start = len(out) - 1 - out[::-1].index("\x00")
            label = "".join(out[start + 1 :])
            del out[start:]
            if links is None or not href or href.startswith("#"):
                out.append(label)
            elif label.strip() in (href, href.removeprefix("mailto:")):
                out.append(label)
            else:
                out.append(f"{label} [{links.ref(href)}]")
        elif kind == "footnote_ref" and notes:
            out.append(f"[Anm. {tok.meta['id'] + 1}]")
        elif kind == "html_inline":
            hidden = bool(re.match(r"<(script|style)\b", tok.content, re.I))
            out.append(_strip_tags(tok.content))
    return "".join(out).replace("\x00", "")


_TO_SPACE = str.maketrans(dict.fromkeys("\t\n\x0b\x0c\r", " "))  # textwrap's replace_whitespace
_NOT_SPACE = re.compile(r"[^\S ]")  # white space other than a plain space
_OTHER_SPACE = re.compile(r"[^\S\t\n\x0b\x0c\r ]")  # white space textwrap does not split at (NBSP …)


def wrap_lines(text: str, width: int) -> list[str]:
    """`textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)`, line for line.

    textwrap moves one word at a time through Python lists, a fifth of a whole build. Here one
    regex finds every line: the longest run from a word's start to a word's end that fits, or one
    long word alone. Text with white space that textwrap treats specially (NBSP and other Unicode
    spaces alone between spaces) goes to textwrap itself.
    """
    # Every white space but the plain space is unprintable: the quick test passes nearly every paragraph.
    if not text.isprintable() and _NOT_SPACE.search(text):  # rare: look closer
        if width < 2 or _OTHER_SPACE.search(text):
            return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
        text = text.expandtabs().translate(_TO_SPACE)
    elif width < 2:
        return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    first, later = _line_patterns(width)
    lines: list[str] = []
    start = 0
    if text[:1] == " " and (m := first.match(text)):  # the first line keeps its leading spaces
        lines.append(m.group(0))
        start = m.end()
    lines.extend(later.findall(text, start))  # the search steps over spaces to the next word
    return lines


@lru_cache(maxsize=16)
def _line_patterns(width: int) -> tuple[re.Pattern, re.Pattern]:
    """(first line after leading spaces, any line from a word on); white space after a line goes."""
    middle = rf".{{0,{width - 2}}}"  # a line is at most `width` long: first and last character around it
    return re.compile(rf" {middle}\S(?= |\Z)"), re.compile(rf"(\S(?:{middle}\S)?(?= |\Z)|\S+) *")


def _wrap(text: str, prefix: str = "", first: str | None = None) -> str:
    width = max(MIN_WIDTH, WIDTH - len(prefix))  # 36 nested quotes leave no room: wrap wider instead
    if "\n" in text:
        lines = [line for part in text.split("\n") for line in wrap_lines(part, width) or [""]]
    else:
        lines = wrap_lines(text, width) or [""]
    first = prefix if first is None else first
    return (first + ("\n" + prefix).join(lines)).rstrip() + "\n"


_PASS = frozenset({"paragraph_open", "paragraph_close", "list_item_close", "heading_open"})  # nothing to do


def render_blocks(tokens: Sequence[Token], links: _Links | None, margin: str = "") -> str:
    """Block tokens → text paragraphs separated by blank lines, each line behind `margin`."""
    blocks: list[str] = []
    gaps: list[int] = []  # per block: the quote depth of the blank line before it
    quote = low = 0  # low: the shallowest quote depth since the last block
    lists: list[list] = []  # [ordered, counter]
    item_first = False
    row: list[str] = []
    in_cell = False
    prefix, indent = margin, ""  # "> " per open quote; three spaces per list level below the first
    for tok in tokens:
        if len(gaps) < len(blocks):  # the token before made a block
            gaps.append(low)
            low = quote
        kind = tok.type
        if kind in _PASS:
            continue
        if kind == "blockquote_open":
            quote += 1
            prefix = margin + "> " * quote
        elif kind == "blockquote_close":
            quote -= 1
            low = min(low, quote)
            prefix = margin + "> " * quote
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrGet("start") or 1)
            lists.append([kind == "ordered_list_open", start])
            indent = "   " * max(len(lists) - 1, 0)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            indent = "   " * max(len(lists) - 1, 0)
        elif kind == "list_item_open":
            item_first = True
        elif kind == "inline" and tok.children is not None:
            text = inline_text(tok.children, links)
            if in_cell:
                row.append(text)
                continue
            if lists and item_first:
                ordered, n = lists[-1]
                bullet = f"{n}. " if ordered else "- "
                lists[-1][1] += 1
                item_first = False
                blocks.append(LI + _wrap(text, prefix + indent + " " * len(bullet), prefix + indent + bullet))
            elif lists:
                blocks.append(LI + _wrap(text, prefix + indent + "   "))
            else:
                blocks.append(_wrap(text, prefix))
        elif kind == "heading_close":
            if blocks:
                title = blocks[-1].rstrip("\n")
                blocks[-1] = f"{title}\n{prefix}{'-' * max(len(title) - len(prefix), 3)}\n"
        elif kind in ("fence", "code_block"):
            blocks.append("".join(prefix + "    " + line + "\n" for line in tok.content.rstrip("\n").split("\n")))
        elif kind == "html_block":
            text = _strip_tags(tok.content).strip()
            if text and _PRE.match(tok.content):  # preformatted: its lines as written, like code
                lines = _strip_tags(tok.content, block_edges=False).split("\n")
                while not lines[-1].strip():
                    lines.pop()
                while not lines[0].strip():
                    lines.pop(0)
                blocks.append("".join(prefix + "    " + line.rstrip() + "\n" for line in lines))
            elif text:
                blocks.append(_wrap(_one_line(text), prefix))
        elif kind in ("th_open", "td_open", "th_close", "td_close"):
            in_cell = kind.endswith("_open")
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            blocks.append(prefix + " | ".join(row) + "\n")
            row = []
        elif kind == "hr":
            blocks.append(prefix + "* * *\n")
    if len(gaps) < len(blocks):
        gaps.append(low)
    return _tighten(blocks, [(margin + "> " * depth).rstrip() + "\n" for depth in gaps])


def _tighten(blocks: list[str], gaps: list[str]) -> str:
    """Blocks apart by a blank line (`>` inside a quote, so it stays one quote in a reader); table rows
    and list items belong together: consecutive ones join without one."""
    out: list[str] = []
    for block, gap in zip(blocks, gaps, strict=True):
        if out and block.startswith(LI) and out[-1].startswith(LI):
            out[-1] += block
        elif out and " | " in block and " | " in out[-1] and block.count("\n") == 1:
            out[-1] += block
        else:
            out += [gap, block] if out else [block]
    return "".join(out).replace(LI, "")


@dataclass
class TextParts:
    items: list[str]
    notes: list[str]

    def notes_text(self, count: int | None = None) -> str:
        chosen = self.notes if count is None else self.notes[:count]
        return "\n".join(chosen)


def render_text(doc: Document) -> TextParts:
    """One text block per item (with its link list), and one per footnote."""
    items = []
    for run in doc.items:
        links = _Links()
        body = render_blocks(run, links)
        if links.urls:
            body += "\n" + "".join(f"[{n}] {url}\n" for n, url in enumerate(links.urls, 1))
        items.append(body)
    notes = []
    runs: list[list[Token]] = []
    for tok in doc.notes:
        if tok.type == "footnote_open":
            runs.append([])
        elif runs and tok.type not in ("footnote_close", "footnote_block_close", "footnote_anchor"):
            runs[-1].append(tok)
    for n, run in enumerate(runs, 1):
        links = _Links()
        label, first = f"[Anm. {n}] ", _first_block(run)
        if (text := _prose(run[:first], links)) is not None:
            body = _labelled(label, text)
        else:  # a quote, list or code first: its own layout behind the label
            body = label + render_blocks(run[:first], links).lstrip()
        if rest := render_blocks(run[first:], links, NOTE_MARGIN):  # later blocks: indented, part of this note
            body += "\n" + rest
        if links.urls:
            body += "".join(f"{NOTE_MARGIN}[{k}] {url}\n" for k, url in enumerate(links.urls, 1))
        notes.append(body)
    return TextParts(items, notes)


def _first_block(run: Sequence[Token]) -> int:
    """How many tokens the run's first block takes (a paragraph: open, inline and close)."""
    depth = 0
    for i, tok in enumerate(run):
        depth += tok.nesting
        if depth <= 0:
            return i + 1
    return len(run)


def _prose(block: Sequence[Token], links: _Links) -> str | None:
    """The text of a paragraph or a raw HTML block (not `<pre>`), which wrap like one; None for others."""
    kinds = [t.type for t in block]
    if kinds == ["paragraph_open", "inline", "paragraph_close"]:
        return inline_text(block[1].children or [], links)
    if kinds == ["html_block"] and not _PRE.match(block[0].content):
        return _one_line(_strip_tags(block[0].content)) or None
    return None


def _labelled(label: str, text: str) -> str:
    """The note's label in front of its first paragraph, wrapped together so no line runs long; its
    hard line breaks stay, as in any paragraph."""
    first, *later = text.split("\n")
    words = [w for w in first.translate(_TO_SPACE).split(" ") if w]  # not `.split()`: no-break spaces stay
    fill = textwrap.fill(" ".join(words), WIDTH, initial_indent=label, break_long_words=False, break_on_hyphens=False)
    lines = [fill or label.rstrip()]
    lines += [line for part in later for line in wrap_lines(part, WIDTH) or [""]]
    return "\n".join(lines).rstrip() + "\n"


def plain(doc_run: Sequence[Token]) -> str:
    """Text without links or wrapping: for preheaders, teasers and search. No-break spaces stay: the
    preview line and the teaser must not break `10 km` apart, and the search splits words at them anyway."""
    return _one_line(" ".join(inline_text(t.children or [], notes=False) for t in doc_run if t.type == "inline"))


def searchable(doc_run: Sequence[Token]) -> str:
    """`plain` plus the words of code blocks and raw HTML blocks, in reading order: for the archive's
    search and snippets, which must find every word the page shows (previews want prose only)."""
    parts = []
    for t in doc_run:
        if t.type == "inline":
            parts.append(inline_text(t.children or [], notes=False))
        elif t.type in ("fence", "code_block"):
            parts.append(t.content)
        elif t.type == "html_block":
            parts.append(_strip_tags(t.content))
    return _one_line(" ".join(parts))


def first_sentences(text: str, limit: int = 100) -> str:
    """For `intro_lead`: whole sentences (as `sentences` splits them, so `5. Januar` or `z. B.` ends
    none) up to `limit` characters, else a cut at a word."""
    out = ""
    for sentence in sentences(text.strip()):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    if not out:
        cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:–-")
        out = cut + "…"
    return out


# Sentences that only greet: every issue starts with one, so an inbox preview of it says nothing.
_GREETING = re.compile(
    r"(?:herzlich\s+)?willkommen\b|(?:hallo|hi|hey|moin|servus|grüß\s+gott|guten\s+(?:morgen|tag|abend))\b"
    r"|(?:liebe|lieber)\s",
    re.I,
)
# A full stop after these (or before a number, as in `No. 41`) does not end a sentence.
_ABBREVIATIONS = {"no", "nr", "ausg", "bzw", "vgl", "ca", "z", "b", "d", "h", "u", "a", "s", "etc", "dr", "st"}
_COUNTED = {"no", "nr", "ausgabe", "folge", "#"}
_GREETING_WORDS = 12


def _ends_sentence(before: str, after: str) -> bool:
    """Whether the full stop at the end of `before` ends a sentence, given the text `after` it."""
    m = re.search(r"(?:(\S+)\s+)?(\w+)\.$", before)
    if not m or after[:1].isdigit():
        return not after[:1].isdigit()
    previous, word = (m.group(1) or "").lower().rstrip("."), m.group(2)
    if before[m.start(2) - 1 : m.start(2)] == "#":
        previous = "#"
    if word.lower() in _ABBREVIATIONS:
        return False
    # `5. Januar`, `2. Teil`: a German ordinal; but `No. 41.` is a count that ends the sentence
    return not (word.isdigit() and len(word) <= 2 and previous not in _COUNTED)


_SENTENCE_END = re.compile(rf"[.!?…]+{_BREAKING.pattern}")  # never at a no-break space: it binds


def sentences(text: str) -> list[str]:
    """Split at . ! ? … and a space; not after `No.`, `z. B.` or an ordinal (`2. Teil`), nor before a digit."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start() + len(m.group(0).rstrip())]
        if m.group(0).rstrip() == "." and not _ends_sentence(before, text[m.end() :]):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def skip_greeting(text: str) -> str:
    """The text without the short greeting sentences it starts with (`Willkommen bei … No. 41.`).

    Only leading sentences that start like a greeting and are short are dropped; if nothing
    else is left, the text stays as it was.
    """
    parts = sentences(text)
    while parts and _GREETING.match(parts[0]) and len(parts[0].split()) <= _GREETING_WORDS:
        parts.pop(0)
    return " ".join(parts) if parts else text


def intro_lead(intro: str, limit: int) -> str:
    """The intro's first sentences that say something: the preheader when the issue gives none (an
    inbox's preview line) and the archive teaser, each at its own length."""
    return first_sentences(skip_greeting(intro), limit)
