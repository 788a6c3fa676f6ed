"""The final gate: the finished HTML, parsed as HTML, before anything is written or sent.

An email cannot be recalled, so the bytes that would leave are judged, not the templates that made
them. They are parsed as a mail app's browser engine parses them: lexbor (through selectolax) follows
the HTML standard's tokenizer and tree builder, as WebKit and Blink do (character references, any
quoting, the first of two equal attributes, `<textarea>`/`<title>` contents as text), which a regex
cannot: that is how a layout edit once turned the footer into one mangled `href` while a string search
still found the unsubscribe placeholder. It reads a 45 KB email in about a sixth of the time the
stdlib's `html.parser` took, and where the two differ the standard's reading is the one readers get.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

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


@dataclass
class Reading:
    """What the gate needs from the parsed email: every link, every image source, every anchor name."""

    hrefs: list[str]
    images: list[str]
    anchors: set[str]
    alts: list[str] = field(default_factory=list)  # each image's alt text, beside `images`


def read(html: str) -> Reading:
    """The email's links, images and anchors as a browser's parser sees them."""
    tree = LexborHTMLParser(html)
    hrefs, images, anchors, alts = [], [], set(), []
    seen = set()  # an element matching two of the selectors comes back twice
    for node in tree.css("a, img, [id]"):
        if node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        attrs = node.attributes
        if "id" in attrs:
            anchors.add(attrs["id"] or "")
        if node.tag == "a":
            if "name" in attrs:
                anchors.add(attrs["name"] or "")
            if "href" in attrs:
                hrefs.append((attrs["href"] or "").strip())
        elif node.tag == "img":
            images.append((attrs.get("src") or "").strip())
            alts.append((attrs.get("alt") or "").strip())
    return Reading(hrefs, images, anchors, alts)


# `http(s)://`, an ASCII host name, then anything without white space: what urlsplit splits into an
# http(s) scheme and a host, without its per-call work (most links of an email look like this).
_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#]\S*)?")


def _absolute(url: str) -> bool:
    if _PLAIN_ABSOLUTE.fullmatch(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:  # `https://[…` with an unclosed bracket, or a host NFKC turns into a delimiter
        return False
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


def _where_alt(text: str, issue: Issue | None, layout: Path | None) -> tuple[str, int]:
    """The issue line of an image whose source is gone, by its alt text: `[alt](` first, then the text."""
    for wanted in (f"[{text}](", f'alt="{text}"', text):
        where = _where(wanted, issue, None, ())
        if where[0] != LAYOUT:
            return where
    return _layout_line(layout, text, ())


def check_html(html: str, target: Target, issue: Issue | None = None, layout: Path | None = None) -> list[Finding]:
    """Every problem that must stop this HTML from being written or sent, as findings."""
    parser = read(html)
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
    for src, alt in zip(parser.images, parser.alts, strict=True):
        if not src and alt:  # the sanitiser took it away (ftp:, a bad port, data:): find the image by its alt text
            file, line = _where_alt(alt, issue, layout)
            message = f"image {alt!r} has no source left: the sanitiser removed one that is not an absolute URL"
            found.append(Finding(file, line, "gate-image", f"{message} ({target.name})"))
        elif not _absolute(src):
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
