"""Machine-readable outputs: the Atom feed (feedgen) and the sitemap (ElementTree).

Both are pure functions of the issues' data, so identical input gives identical bytes: every
date comes from the issues, never from the clock (feedgen defaults `updated` to now, so each
value is set explicitly, and the generator element is fixed).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

from pipeline.mail.tags import in_start_tags

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True)
class FeedEntry:
    number: int
    title: str
    date: dt.date
    url: str  # absolute
    summary: str
    html: str  # full content, absolute URLs
    updated: dt.datetime | None = None  # last change of the content; None: the issue date


def _midnight_of(entry: FeedEntry) -> dt.datetime:
    return entry.updated or _midnight(entry.date)


def last_changes(
    current: Sequence[tuple[str, str, dt.date, int]], history: dict[str, list[str]]
) -> dict[str, list[str]]:
    """When each issue's content last changed: `{file: [content hash, ISO time]}`.

    `current` holds (file, content hash, issue date, mtime in ns) per issue. Content seen before
    keeps its recorded time, so identical input gives identical times, whatever the clock or the
    file's mtime says. An issue seen for the first time counts from its issue date; changed content
    counts from the file's modification time when that change is first seen (never before the date).
    """
    out: dict[str, list[str]] = {}
    for name, source, day, mtime_ns in current:
        known = history.get(name)
        if known and known[0] == source:
            out[name] = list(known)
            continue
        when = _midnight(day)
        if known:
            modified = dt.datetime.fromtimestamp(mtime_ns // 1_000_000_000, tz=dt.UTC)
            when = max(when, modified)
        out[name] = [source, when.isoformat()]
    return out


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


_IN_PAGE_HREF = re.compile(r'(\shref=")#')


def absolute_anchors(html: str, page_url: str) -> str:
    """`href="#fn1"` → `href="<page_url>#fn1"`: feed readers show content away from its page.

    Only in tags: `href="#oben"` written as text is the author's and stays as written.
    """
    return in_start_tags(html, lambda tag: _IN_PAGE_HREF.sub(lambda m: f"{m[1]}{page_url}#", tag))


def atom_feed(
    *, name: str, description: str, language: str, base_url: str, author: str, entries: Sequence[FeedEntry]
) -> str:
    """A valid Atom 1.0 feed with full content; `entries` newest first."""
    fg = FeedGenerator()
    fg.id(f"{base_url}/")
    fg.title(name)
    if description:
        fg.subtitle(description)
    fg.language(language)
    fg.author(name=author)
    fg.link(href=f"{base_url}/feed.xml", rel="self", type="application/atom+xml")
    fg.link(href=f"{base_url}/", rel="alternate", type="text/html")
    fg.generator("krasse")
    fg.updated(max((_midnight_of(e) for e in entries), default=_midnight(dt.date(2000, 1, 1))))
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.url)
        fe.title(entry.title)
        fe.link(href=entry.url, rel="alternate", type="text/html")
        fe.published(_midnight(entry.date))
        fe.updated(_midnight_of(entry))
        if entry.summary:
            fe.summary(entry.summary)
        fe.content(entry.html, type="html")
    return fg.atom_str(pretty=True).decode("utf-8")


def sitemap_xml(urls: Sequence[tuple[str, dt.date | None]]) -> str:
    """`<urlset>` with one `<url>` per page; `lastmod` is the issue date."""
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for loc, lastmod in urls:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
        if lastmod:
            ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod.isoformat()
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
