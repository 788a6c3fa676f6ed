"""The final gate: the finished HTML, parsed as HTML, before anything is written or sent.

An email cannot be recalled, so the bytes that would leave are judged, not the templates that made
them. The stdlib `html.parser` reads tags and attributes the way a browser's tokenizer does (character
references decoded, any quoting), which a regex cannot: that is how a layout edit once turned the
footer into one mangled `href` while a string search still found the unsubscribe placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.errors import ERROR, Finding, display_path
from pipeline.mail.placeholders import NEUTRAL, VARIABLES, count, unresolved
from pipeline.model import Issue

LAYOUT = "layouts/email.mjml.j2"


@dataclass(frozen=True)
class Target:
    """Where the HTML goes: the exact unsubscribe href it must carry and the merge tags allowed as links."""

    name: str  # for messages: "outbox", "the Mailchimp export", "email.eml"
    unsubscribe: str
    tags: frozenset[str] = frozenset()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.anchors: set[str] = set()

    def updatepos(self, i: int, j: int) -> int:
        return j  # no position is ever asked for: skip counting lines (about 7 % of the parse)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.anchors.add(values["id"])
        if tag == "a" and "name" in values:
            self.anchors.add(values["name"])
        if tag == "a" and "href" in values:
            self.hrefs.append(values["href"].strip())
        if tag == "img":
            self.images.append(values.get("src", "").strip())


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and not re.search(r"\s", url)


def _link_ok(href: str, target: Target, anchors: set[str]) -> bool:
    if href in target.tags or href == target.unsubscribe:
        return True
    if href.startswith("#"):
        return href[1:] in anchors
    if href.lower().startswith("mailto:"):
        return "@" in href
    return _absolute(href)


_VARIABLE = "|".join(VARIABLES.values())
# An href in the layout that wraps a placeholder variable in more text: `{{ web_url }}?utm_source=x`.
_OPEN = r"\{\{-?\s*(?:" + _VARIABLE + r")\b[^}]*\}\}"
_WRAPPED = re.compile(r"""href\s*=\s*["']?(?:[^"'>\s{]+""" + _OPEN + "|" + _OPEN + r"""[^"'>\s]+)""")


def _layout_line(layout: Path | None, bad: str, tags: Iterable[str]) -> tuple[str, int]:
    name = f"layouts/{layout.name}" if layout is not None else LAYOUT
    try:
        text = layout.read_text(encoding="utf-8") if layout is not None else ""
    except OSError:
        text = ""
    if bad and (at := text.find(bad)) >= 0:  # written into the layout as it is
        return name, text[:at].count("\n") + 1
    if not any(tag and tag in bad for tag in tags):
        return name, 0
    m = _WRAPPED.search(text) or re.search(_OPEN, text)
    return name, (text[: m.start()].count("\n") + 1) if m else 0


def _where(bad: str, issue: Issue | None, layout: Path | None, tags: Iterable[str]) -> tuple[str, int]:
    """The issue line that wrote this link, else the layout line of the placeholder inside it."""
    if issue is not None and bad:
        for n, line in enumerate(issue.body.split("\n")):
            if bad in line:
                return display_path(issue.path), issue.body_line + n
    return _layout_line(layout, bad, tags)


def check_html(html: str, target: Target, issue: Issue | None = None, layout: Path | None = None) -> list[Finding]:
    """Every problem that must stop this HTML from being written or sent, as findings."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    found: list[Finding] = []
    tags = [*target.tags, target.unsubscribe]
    for href in parser.hrefs:
        if not _link_ok(href, target, parser.anchors):
            file, line = _where(href, issue, layout, tags)
            if href.startswith("#"):
                why = "points at an anchor that is not in the email"
            else:
                why = "is not an absolute https:// or http:// URL, a mailto:, an anchor in the email or a merge tag"
            found.append(Finding(file, line, "gate-link", f"link {href!r} {why} ({target.name})", ERROR))
    for src in parser.images:
        if not _absolute(src):
            file, line = _where(src, issue, layout, tags)
            found.append(
                Finding(file, line, "gate-image", f"image source {src!r} is not an absolute URL ({target.name})")
            )
    if target.unsubscribe not in parser.hrefs:
        name = f"layouts/{layout.name}" if layout is not None else LAYOUT
        found.append(
            Finding(
                name,
                0,
                "unsubscribe-missing",
                f'the email has no working unsubscribe link <a href="{target.unsubscribe}"> ({target.name}): '
                'every newsletter needs one; keep href="{{ unsubscribe_url }}" in the footer',
            )
        )
    left = unresolved(html, tags)
    if left:
        name = f"layouts/{layout.name}" if layout is not None else LAYOUT
        found.append(
            Finding(
                name,
                0,
                "placeholder-unresolved",
                f"{', '.join(left)} left unresolved in the finished email ({target.name}); in a layout write "
                "the variable ({{ unsubscribe_url }}, {{ web_url }}, {{ first_name }}), not the literal text",
            )
        )
    return sorted(set(found))


def check_text(text: str, target: Target, layout: Path | None = None) -> list[Finding]:
    """The plain-text part needs its unsubscribe link too, and nothing unresolved."""
    name = f"layouts/{layout.name}" if layout is not None else "layouts/email.txt.j2"
    found = []
    if target.unsubscribe not in text:
        found.append(
            Finding(
                name,
                0,
                "unsubscribe-missing",
                f"the text part has no unsubscribe link {target.unsubscribe} ({target.name}): "
                "keep {{ unsubscribe_url }} in the text layout",
            )
        )
    if left := count(text):  # typed neutral spellings are the author's text here: only tokens count
        names = ", ".join(NEUTRAL[n] for n in sorted(left))
        found.append(Finding(name, 0, "placeholder-unresolved", f"{names} left unfilled in the text part"))
    return found
