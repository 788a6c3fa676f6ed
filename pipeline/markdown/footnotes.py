"""Footnotes: where each label was defined, notes inside notes, notes nobody references, and the
labels and back links readers see in every inbox.
"""

from __future__ import annotations

from markdown_it.token import Token
from mdit_py_plugins.footnote.index import footnote_def


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
