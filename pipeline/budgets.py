"""Work budgets: an issue far too big for an email is refused in milliseconds, before the costly stages.

Parsing, inlining and minifying grow with the input (100,000 footnotes once took 97 s and 1.5 GB;
a 5000×200 table 58 s and 3.1 GB). These checks only count characters, so they cost next to
nothing on a normal issue and answer at once on a hostile one. README's "Limits" table lists them.
"""

from __future__ import annotations

import re

MAX_FOOTNOTES = 1_000  # references, and separately definitions; example 042 has 45
MAX_TABLE_CELLS = 2_000  # counted as `|` characters: every cell needs one; 20×10 is 220
MAX_EMAIL_BYTES = 4 * 1024 * 1024  # the HTML, before and after the layout; Gmail clips at ~102 KB anyway

_FOOTNOTE_MARK = re.compile(r"\[\^[^\]\n]*\](:?)")


def _nth_line(body: str, pos: int) -> int:
    return body.count("\n", 0, pos)


def body_budget(body: str) -> tuple[int, str, str] | None:
    """(0-based body line, rule, message) for the first budget the Markdown body exceeds, or None."""
    if body.count("|") > MAX_TABLE_CELLS:
        pos = -1
        for _ in range(MAX_TABLE_CELLS + 1):
            pos = body.index("|", pos + 1)
        return (
            _nth_line(body, pos),
            "table-budget",
            f"tables have more than {MAX_TABLE_CELLS:,} cells ('|' characters) from this line on; "
            "link a spreadsheet instead",
        )
    if body.count("[^") > MAX_FOOTNOTES:
        counts = {"": 0, ":": 0}
        for m in _FOOTNOTE_MARK.finditer(body):
            counts[m.group(1)] += 1
            if counts[m.group(1)] > MAX_FOOTNOTES:
                kind = "definitions" if m.group(1) else "references"
                return (
                    _nth_line(body, m.start()),
                    "footnote-budget",
                    f"more than {MAX_FOOTNOTES:,} footnote {kind} from this line on; split the issue",
                )
    return None


def html_budget(size: int) -> str | None:
    """The message when `size` bytes of rendered HTML are too much for any email, else None."""
    if size <= MAX_EMAIL_BYTES:
        return None
    return (
        f"the email's HTML would be {size:,} bytes, over the limit of {MAX_EMAIL_BYTES:,} "
        "(Gmail clips at about 102 KB); shorten the issue"
    )
