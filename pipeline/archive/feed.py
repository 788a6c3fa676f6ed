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

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True)
class FeedEntry:
    number: int
    title: str
    date: dt.date
    url: str  # absolute
    summary: str
    html: str  # full content, absolute URLs


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def absolute_anchors(html: str, page_url: str) -> str:
    """`href="#fn1"` → `href="<page_url>#fn1"`: feed readers show content away from its page."""
    return re.sub(r'href="#', f'href="{page_url}#', html)


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
    newest = max((e.date for e in entries), default=dt.date(2000, 1, 1))
    fg.updated(_midnight(newest))
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.url)
        fe.title(entry.title)
        fe.link(href=entry.url, rel="alternate", type="text/html")
        fe.published(_midnight(entry.date))
        fe.updated(_midnight(entry.date))
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
