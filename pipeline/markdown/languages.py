"""`lang` on quotes and paragraphs in another language (screen readers, hyphenation), decided by
pipeline.language on each block's text.
"""

from __future__ import annotations

from markdown_it.token import Token

from pipeline.language import foreign_language


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
