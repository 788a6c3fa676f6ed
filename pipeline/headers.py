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


def address_problem(address: str) -> str | None:
    """Why `address` cannot go into a header of our 7-bit messages, or None.

    Without SMTPUTF8 the stdlib writes a non-ASCII address as an encoded word inside the address
    (`=?utf-8?q?j=C3=B6rg?=@example.org`), which no server delivers, and smtplib cannot send it.
    A domain has an ASCII form (IDNA) to suggest; a local part has none.
    """
    if address.isascii():
        return None
    local, _, domain = address.rpartition("@")
    try:
        ascii_form = f"{local}@{domain.encode('idna').decode('ascii')}" if local.isascii() else ""
    except UnicodeError:  # not a valid international domain name either
        ascii_form = ""
    hint = f"; write it as {ascii_form}" if ascii_form else "; use an address in ASCII letters"
    return f"{address} has non-ASCII characters, which an email address in a header cannot carry{hint}"
