"""The email as the preview frames show it: string in, string out, only ever on the way to the browser.

Dark mode has two families of mail apps, so there are two dark views:
- `dark`: apps that honour `prefers-color-scheme` (Apple Mail, Outlook for Mac). A frame cannot
  ask for a different colour scheme than its page, so the media feature is rewritten to one that
  always matches: the email's own dark styles apply, exactly as written.
- `invert`: apps that repaint light emails themselves (Gmail and Outlook apps). We imitate them
  the way they look: invert the whole page, turn hues back, and re-invert images and video.

And `gmx`: GMX and WEB.DE webmail remove every `<style>` block (caniemail html-style), so the
email is served without them: what remains is what their readers see.
"""

from __future__ import annotations

import re

VIEWS = ("light", "dark", "invert", "gmx")

_DARK = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)
_LIGHT = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.I)
_HEAD_END = re.compile(r"</head\s*>", re.I)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.I | re.S)

# Links in the email open a new tab instead of replacing the frame.
BASE = '<base target="_blank">'
INVERT = (
    "<style>html{filter:invert(1) hue-rotate(180deg);background:#fff}"
    "img,picture,video,[style*='background-image']{filter:invert(1) hue-rotate(180deg)}</style>"
)


def force_dark(html: str) -> str:
    """`@media (prefers-color-scheme: dark)` always applies, `…: light` never does."""
    return _LIGHT.sub("(max-width:0px)", _DARK.sub("(min-width:0px)", html))


def strip_styles(html: str) -> str:
    """The email as GMX and WEB.DE show it: no `<style>` blocks, only inline styles."""
    return _STYLE_BLOCK.sub("", html)


def inject_head(html: str, snippet: str) -> str:
    """Insert before `</head>`; documents without a head get the snippet in front."""
    match = _HEAD_END.search(html)
    if match is None:
        return snippet + html
    return html[: match.start()] + snippet + html[match.start() :]


def force_dark_styles(html: str) -> str:
    """`force_dark` on the `<style>` blocks only: the words an author wrote about it stay as written."""
    return _STYLE_BLOCK.sub(lambda block: force_dark(block[0]), html)


def email_view(html: str, view: str) -> str:
    """The served document for one frame; the file on disk is never touched."""
    if view == "dark":
        html = force_dark_styles(html)
    elif view == "gmx":
        html = strip_styles(html)
    extra = BASE + (INVERT if view == "invert" else "")
    return inject_head(html, extra)
