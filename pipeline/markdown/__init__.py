"""Markdown → HTML fragments: intro, one fragment per `---` item, and the notes block.

markdown-it-py does the parsing (CommonMark + footnotes + tables + strikethrough). Raw HTML is
allowed but fenced in twice: anything in angle brackets that is not a real HTML element is text
(`Der <Moment> um` keeps every word), and what remains goes through nh3.

The folder: rawhtml.py (raw HTML), dialect.py (gender stars, merge tags, attribute lines,
tables), definitions.py, footnotes.py, languages.py (`lang`), fast.py (the loops); this module
puts them together, parses a body into items and notes, and renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.footnote import footnote_plugin

from pipeline.markdown.definitions import _definition_in_place, _definitions
from pipeline.markdown.dialect import (
    _gender_star,
    _header_scope,
    _kept_attributes,
    _merge_tag,
    _table_rows_seen,
    gender_star_lines,
    gender_stars,
)
from pipeline.markdown.fast import (
    _BLOCK_STARTS,
    _block_tokenize,
    _fast_link_helpers,
    _fast_normalize_link,
    _gated,
    _guard_nesting,
    _inline_loops,
    _inline_parse,
    _normalize,
)
from pipeline.markdown.footnotes import (
    _footnote_def_seen,
    _footnote_orphans,
    _footnotes_unnested,
    _render_footnote_anchor,
    _render_footnote_open,
    _render_footnote_ref,
    _render_paragraph_open,
)
from pipeline.markdown.languages import _mark_languages
from pipeline.markdown.rawhtml import (
    _COMMENT,
    _TAG,
    ALLOWED_ATTRIBUTES,
    ALLOWED_STYLE,
    ALLOWED_TAGS,
    KNOWN_ELEMENTS,
    VOID_ELEMENTS,
    _entity,
    _html_block_known,
    _html_inline_known,
    dropped_hrefs,
    escape_unknown_tags,
    is_known_tag,
    raw_hrefs,
    sanitize,
)

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_STYLE",
    "ALLOWED_TAGS",
    "KNOWN_ELEMENTS",
    "MAX_NESTING",
    "VOID_ELEMENTS",
    "Document",
    "Fragments",
    "configured",
    "dropped_hrefs",
    "escape_unknown_tags",
    "footnotes_in",
    "gender_star_lines",
    "gender_stars",
    "is_known_tag",
    "parse",
    "parser",
    "raw_hrefs",
    "render_html",
    "sanitize",
]


MAX_NESTING = 100  # quotes and lists inside each other; deeper is reported, never silently cut


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
