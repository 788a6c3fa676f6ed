"""A conservative HTML minifier for email.

It only folds white space where HTML ignores it and removes comments that are not Outlook
conditionals. minify-html (0.18) was measured again as its replacement: about 5× faster, and with
keep_comments, preserve_brace_template_syntax, keep_closing_tags and keep_html_and_head_opening_tags
it keeps the conditionals and `{{ merge tags }}`. But it deletes the space between two inline
elements inside a block (`<div>Text <b>fett</b> <i>kursiv</i></div>` reads "fettkursiv"), so words
run together; with minify_css it rewrites `(min-width:480px)` as `(width>=480px)`, which many mail
clients do not understand; and it unquotes attributes (`href=*|UNSUB|*`). So we keep this one.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.mail.tags import in_tag

_KEEP = re.compile(r"(<(pre|textarea|script)\b.*?</\2>)", re.S | re.I)
# Plain comments go; Outlook's conditionals (`<!--[if mso]>`, `<!--[if !mso]><!-->`,
# `<!--<![endif]-->`, `<![endif]-->`) stay.
_COMMENT = re.compile(r"<!--(?!\[if|>|<!\[endif|\s*\[endif).*?-->", re.S)
_STYLE_SEMICOLON = re.compile(r"\s*;\s*")
_BLOCK = (
    "html|head|body|meta|title|style|link|table|thead|tbody|tfoot|tr|td|th|div|p|h[1-6]|ul|ol|li|"
    "blockquote|hr|br|section|center|xml|noscript|o:[a-z]+"
)
# White space around block tags goes. Patterns that start with a fixed character are several times
# faster in `re` than ones starting with `\s` (tried at every position): the white space before a
# block tag is found from the tag (every `<` that starts one, even inside another's attributes).
_BLOCK_START = re.compile(rf"<(?<=\s<)(?=/?(?:{_BLOCK})\b[^>]*>)", re.I)  # and white space before it
# ... and the white space after one from each `>` followed by white space: a block tag ends there
# when the stretch since the previous `>` holds a block tag's start.
_GT_WHITE = re.compile(r">\s+")
_BLOCK_OPEN = re.compile(rf"</?(?:{_BLOCK})\b", re.I)
# `(<style\b[^>]*>)(.*?)(</style>)`, with the body as runs up to each `<` that does not close it:
# the lazy `.*?` tried `</style>` after every character of the stylesheets.
_STYLE = re.compile(r"(<style\b[^>]*>)([^<]*(?:<(?!/style>)[^<]*)*)(</style>)", re.I)


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_SPACE = re.compile(r"\s+")
_CSS_AROUND_PUNCT = re.compile(r"\s+(?=[{};,>])|(?<=[{};,>])\s+")  # white space next to `{};,>`


def _css(m: re.Match) -> str:
    return _style_block(*m.groups())


@lru_cache(maxsize=64)
def _style_block(opening: str, css: str, closing: str) -> str:
    """A `<style>` block with its CSS folded. The blocks come from the layout and MJML, the same in
    every issue: folding them again was a fifth of the minifier."""
    css = _CSS_COMMENT.sub("", css)
    css = _CSS_SPACE.sub(" ", css)
    css = _CSS_AROUND_PUNCT.sub("", css)
    return opening + css.strip() + closing


@lru_cache(maxsize=1024)
def _style_value(value: str) -> str:
    """`a: b ; c: d` → `style="a: b;c: d"`; the same few values recur on every element."""
    return 'style="' + _STYLE_SEMICOLON.sub(";", value).strip() + '"'


def minify(html: str) -> str:
    parts = _KEEP.split(html)
    out = []
    # re.split with two groups yields: text, whole kept block, tag name, text, …
    for i in range(0, len(parts), 3):
        text = parts[i]
        text = _COMMENT.sub("", text)
        text = _white_runs(text)
        text = _after_blocks(_before_blocks(text))
        out.append(text)
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    html = _STYLE.sub(_css, "".join(out))
    html = _style_attrs(html)
    return html.strip() + "\n"


# `style="…"` after white space (`\s`, as `str.isspace` knows it). The lookbehind comes after the
# literal so that `re` searches for `style="` instead of trying every position.
_STYLE_ATTR = re.compile(r'style="(?<=\sstyle=")([^"]*)"')


def _style_attrs(html: str) -> str:
    """Each `\\sstyle="…"` inside a tag through _style_value, left to right. In the serialised email
    the match must be in a tag and outside its quoted values (tags.py): text that reads
    `style="a ; b"` (prose, a code span, an image's alt text) is the author's and stays."""

    def fold(m: re.Match) -> str:
        at = m.start()
        return _style_value(m.group(1)) if in_tag(html, at) else m.group(0)

    return _STYLE_ATTR.sub(fold, html)


def _white_runs(text: str) -> str:
    """Each run of spaces, tabs, CR and LF becomes one space (a lone space stays). Plain string
    replacement and `find`: a regex tried at every position was a quarter of the minifier, and
    replacing double spaces until none is left scanned the whole email three times or more."""
    text = text.replace("\n", " ").replace("\t", " ").replace("\r", " ")
    out, last, at = [], 0, text.find("  ")
    while at >= 0:
        end = at + 2
        while text.startswith(" ", end):
            end += 1
        out.append(text[last : at + 1])
        last = end
        at = text.find("  ", end)
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _before_blocks(text: str) -> str:
    """The white space (`\\s`, as `str.rstrip` knows it) right before each block tag goes. Only a
    `<` with white space before it is looked at further."""
    out, last = [], 0
    for m in _BLOCK_START.finditer(text):
        out.append(text[last : m.start()].rstrip())
        last = m.start()
    out.append(text[last:])
    return "".join(out)


# HTML's white space: what a browser folds at a line's start. A no-break space or an em space (`\s`
# to `re`) before text is a character the reader sees: an author's indentation after a line break.
_HTML_SPACE = " \t\n\r\f"


def _after_blocks(text: str) -> str:
    """The white space right after each block tag goes (what `(<block tag>)\\s+` → `\\1` did), but
    before text only HTML's own: `<br>\\n&nbsp;&nbsp;Vers` keeps its indentation."""
    out, last = [], 0
    for m in _GT_WHITE.finditer(text):
        gt = m.start()
        if _BLOCK_OPEN.search(text, text.rfind(">", 0, gt) + 1, gt):
            out.append(text[last : gt + 1])
            last = m.end()
            if not m.group(0).isascii() and last < len(text) and text[last] != "<":
                last -= len(m.group(0)[1:].lstrip(_HTML_SPACE))  # the seen spaces stay
    out.append(text[last:])
    return "".join(out)
