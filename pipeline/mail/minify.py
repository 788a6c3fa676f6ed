"""A conservative HTML minifier for email.

General minifiers (minify-html) drop `<head>`, closing tags and attribute quotes, which breaks
merge tags with spaces (`{{ unsubscribe_url }}`) and worries older clients. This one only folds
white space where HTML ignores it and removes comments that are not Outlook conditionals.
"""

from __future__ import annotations

import re

_KEEP = re.compile(r"(<(pre|textarea|script)\b.*?</\2>)", re.S | re.I)
# Plain comments go; Outlook's conditionals (`<!--[if mso]>`, `<!--[if !mso]><!-->`,
# `<!--<![endif]-->`, `<![endif]-->`) stay.
_COMMENT = re.compile(r"<!--(?!\[if|>|<!\[endif|\s*\[endif).*?-->", re.S)
_STYLE_ATTR = re.compile(r'(\sstyle=")([^"]*)(")')
_BLOCK = (
    "html|head|body|meta|title|style|link|table|thead|tbody|tfoot|tr|td|th|div|p|h[1-6]|ul|ol|li|"
    "blockquote|hr|br|section|center|xml|noscript|o:[a-z]+"
)
_AROUND_BLOCK = re.compile(rf"\s*(</?(?:{_BLOCK})\b[^>]*>)\s*", re.I)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.S | re.I)


def _css(m: re.Match) -> str:
    css = re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.S)
    css = re.sub(r"\s+", " ", css)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", css)
    return m.group(1) + css.strip() + m.group(3)


def minify(html: str) -> str:
    parts = _KEEP.split(html)
    out = []
    # re.split with two groups yields: text, whole kept block, tag name, text, …
    for i in range(0, len(parts), 3):
        text = parts[i]
        text = _COMMENT.sub("", text)
        text = re.sub(r"[ \t\r\n]+", " ", text)
        text = _AROUND_BLOCK.sub(r"\1", text)
        out.append(text)
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    html = _STYLE.sub(_css, "".join(out))
    html = _STYLE_ATTR.sub(lambda m: m.group(1) + re.sub(r"\s*;\s*", ";", m.group(2)).strip() + m.group(3), html)
    return html.strip() + "\n"
