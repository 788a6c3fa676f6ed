"""What may go into one line of an email header (`From`, `Subject`).

The config's sender name and an issue's subject both end up there; one test for both, so the two
never disagree about what breaks a header.
"""

from __future__ import annotations

import unicodedata

# Control characters (CR, LF, NUL, …) and the Unicode line and paragraph separators: a mail
# program may end the header line at any of them and read the rest as a new header.
_BREAKING = ("Cc", "Zl", "Zp")


def header_break(text: str) -> str | None:
    """The first character of `text` that would break an email header line, or None."""
    return next((c for c in text if unicodedata.category(c) in _BREAKING), None)
