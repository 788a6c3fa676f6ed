"""Where a serialised tag's attributes are: whole-email string passes that mean to change an
attribute (`style="a ; b"`, a handlebar value) must not change text that only reads like one, in
prose, a code span or another attribute's value (an image's alt text)."""

from __future__ import annotations

import re
from collections.abc import Callable

# A tag's start and its attributes so far: any character but a quote or `>`, and values quoted
# after `=` (a quote opens a value only there).
_OPEN_TAG = re.compile(r"""<[A-Za-z](?:=\s*"[^"]*"|=\s*'[^']*'|[^"'>])*""")


def in_tag(html: str, at: int) -> bool:
    """Is `at` inside a tag and not inside one of its quoted attribute values? In the serialised
    email every `<` of text and of attribute values is `&lt;`, so the tag it could be in starts at
    the last `<` before it, and only when no `>` comes after that."""
    tag = html.rfind("<", 0, at)
    if tag < 0 or tag < html.rfind(">", 0, at):
        return False
    return _OPEN_TAG.fullmatch(html, tag, at) is not None


# A whole start tag, its quoted attribute values read whole (they may hold `>`).
_START_TAG = re.compile(r"""<[A-Za-z](?:"[^"]*"|'[^']*'|[^'">])*>""")


def in_start_tags(html: str, change: Callable[[str], str]) -> str:
    """`change` applied to each start tag and nowhere else: text holds no raw `<` (it is escaped),
    so an attribute or URL the author wrote as text is never inside one."""
    return _START_TAG.sub(lambda tag: change(tag[0]), html)
