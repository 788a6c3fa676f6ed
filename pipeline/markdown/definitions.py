"""Link reference definitions: the ones a link uses are markup; any other is shown as the author
typed it, and `check` says so (CommonMark would drop the line without a word).
"""

from __future__ import annotations

from markdown_it.rules_block.reference import reference
from markdown_it.token import Token

from pipeline.markdown.dialect import _pass_attributes


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
