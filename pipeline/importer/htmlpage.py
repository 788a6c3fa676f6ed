"""A saved archive page or a service's campaign HTML → a Markdown issue.

The conversion itself is markdownify (MIT, well kept, built on BeautifulSoup; html2text is GPL).
Its converter is a class with one method per tag, so our conventions are small overrides, not a
hand-rolled converter. Before converting, the page is cleaned in the soup (`htmlclean.py`), and what
is taken out on purpose is listed (`--verbose`):

- head, scripts, styles, comments (Outlook's conditional blocks), hidden text (the preheader
  becomes `preheader:`), tracking pixels;
- layout tables are unwrapped (data tables stay tables; a cell with a left border is a quote);
- dividers (`<hr>` or an empty element with a top border) become `---` item separators;
- footnote references (`href="#…"` to an element with that `id` or an `<a name>`) become `[^n]`;
- the masthead above the `<h1>` gives number and date, the `<h1>` the title; navigation, page
  footers and the blocks around "unsubscribe"/"view in browser" links go;
- merge tags of every known service are taken out of the text.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import ATX, MarkdownConverter

from pipeline.errors import Finding
from pipeline.importer.draft import Draft, find_date, find_number, strip_name, tidy, words
from pipeline.importer.htmlclean import (
    BLOCKS,
    DROP_TAGS,
    dividers,
    drop_boilerplate_links,
    drop_chrome,
    drop_hidden,
    drop_pixels,
    layout_tables,
    strip_merge_tags,
    take_masthead,
    text_of,
)

_NOTES_HEADING = re.compile(r"^\s*(Anmerkungen|Fußnoten|Fussnoten|Endnoten|Notes|Footnotes)\s*$", re.I)
_BACK = re.compile(r"^\s*(?:↩︎?|↑|\^|zurück.*|back.*)\s*$", re.I)
_REF_TEXT = re.compile(r"^\s*\[?(\d{1,4})\]?\s*$")
_MARK = re.compile("\x02(\\d+)\x03")


class _Converter(MarkdownConverter):
    """markdownify with the project's choices: ATX headings, `-` bullets, everything literal escaped."""

    def __init__(self) -> None:
        super().__init__(heading_style=ATX, bullets="-", table_infer_header=True)

    def escape(self, text: str, parent_tags: set[str]) -> str:
        """Text stays text: `<Moment>`, `[1]`, `Nutzer*innen`, a line starting with `1.` or `#`."""
        if not text:
            return ""
        text = re.sub(r"([\\`\[\]<>|~])", r"\\\1", text)
        text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
        text = super().escape(text, parent_tags)  # * and _
        return re.sub(r"(?m)^(\s*)([#+=-]|\d{1,9}(?=[.)]))", r"\1\\\2", text)


def convert_html(text: str, source: str, newsletter: str) -> tuple[list[Draft], list[Finding]]:
    """One page → one Draft, or a finding when nothing in it reads like an issue."""
    soup = BeautifulSoup(text, "html.parser")
    draft = Draft(source=source, body="")
    meta = _metadata(soup)
    draft.tags = tuple(meta.get("tags", ()))
    draft.preheader = meta.get("description")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for el in soup.find_all(DROP_TAGS):
        el.decompose()
    drop_hidden(soup, draft)
    drop_pixels(soup, draft)
    root = soup.find("article") or soup.find("main") or soup.find(attrs={"role": "main"}) or soup.body or soup
    drop_chrome(root, draft)
    drop_boilerplate_links(root, draft, newsletter)
    strip_merge_tags(root, draft)
    masthead = take_masthead(root, draft, newsletter)
    dividers(root, soup)
    layout_tables(root)
    notes = _footnotes(root, soup, draft)
    if not text_of(root) and not root.find("img"):
        return [], [Finding(source, 0, "import-empty", "no readable content found in the page (only layout)")]
    body = tidy(_MARK.sub(r"[^\1]", _Converter().convert_soup(root)))
    if notes:  # after tidy: a divider above the notes must not leave an empty item
        body = body.rstrip() + "\n\n" + "\n\n".join(notes) + "\n"
    draft.body = body
    readable = _MARK.sub(" ", _readable(root))
    draft.source_words = words(readable) + words(" ".join(n for n in notes)) + words(draft.title or "")
    draft.source_words += words(draft.preheader or "") + words(" ".join(draft.tags))
    head = " ".join(filter(None, [meta.get("title", ""), masthead, draft.title or "", readable[:1000]]))
    draft.number = find_number(head, newsletter)
    draft.date = meta.get("date") or find_date(masthead)
    if draft.date is None:
        draft.date = find_date(readable)
        draft.date_in_text = draft.date is not None
    if not draft.title and meta.get("title"):
        draft.title = strip_name(meta["title"], newsletter)
    return [draft], []


def _readable(root: Tag) -> str:
    """The text a reader sees: strings joined as is inside a block, with a space between blocks."""
    out: list[str] = []
    for node in root.descendants:
        if isinstance(node, NavigableString):
            out.append(str(node))
        elif isinstance(node, Tag) and (node.name in BLOCKS or node.name == "br"):
            out.append(" ")
        elif isinstance(node, Tag) and node.name == "img":
            out.append(f" {node.get('alt') or ''} ")
    return "".join(out)


def _metadata(soup: BeautifulSoup) -> dict:
    found: dict = {}

    def meta(*names: str) -> str | None:
        for name in names:
            el = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if el and el.get("content"):
                return str(el["content"]).strip()
        return None

    # <title> first: it keeps the name and number that og:title leaves out.
    title = (soup.title.get_text().strip() if soup.title else "") or meta("og:title")
    if title:
        found["title"] = title
    if description := meta("description", "og:description"):
        found["description"] = description
    day = meta("article:published_time", "date", "dcterms.date", "DC.date")
    time = soup.find("time", attrs={"datetime": True})
    for candidate in (day, time.get("datetime") if time else None):
        if candidate and (parsed := find_date(str(candidate))):
            found["date"] = parsed
            break
    tags = [str(el["content"]).strip() for el in soup.find_all("meta", attrs={"property": "article:tag"})]
    if tags:
        found["tags"] = [t for t in tags if t]
    return found


def _target(anchors: dict[str, Tag], name: str) -> Tag | None:
    """The note a `#name` link points to: the list item around it, or its paragraph."""
    el = anchors.get(name)
    if el is None or el.decomposed:
        return None
    if el.name == "li":
        return el
    if (li := el.find_parent("li")) is not None:
        return li
    if el.name in ("p", "dd", "div", "td"):
        return el
    return el.find_parent(["p", "dd", "div", "td"])


def _footnotes(root: Tag, soup: BeautifulSoup, draft: Draft) -> list[str]:
    """`<a href="#fn3">3</a>` (in or around a `<sup>`) → `[^n]`, its target's text → `[^n]: …`."""
    order: dict[int, int] = {}  # id(definition) → label
    definitions: dict[int, Tag] = {}
    ref_ids: set[str] = set()
    anchors = {str(a["name"]): a for a in soup.find_all("a", attrs={"name": True})}
    anchors.update({str(el["id"]): el for el in soup.find_all(id=True)})  # an id wins over a name
    for a in root.find_all("a", href=re.compile(r"^#.")):
        if a.decomposed or not _REF_TEXT.match(text_of(a)):
            continue
        target = _target(anchors, str(a["href"])[1:])
        if target is None or a in target.descendants:
            continue
        label = order.setdefault(id(target), len(order) + 1)
        definitions[label] = target
        sup = a.find_parent("sup")
        marker = sup if sup is not None and text_of(sup) == text_of(a) else a
        for node in (a, sup, a.parent):
            for key in ("id", "name"):
                if node is not None and node.get(key):
                    ref_ids.add(str(node[key]))
        marker.replace_with(NavigableString(f"\x02{label}\x03"))
    notes = []
    containers = []
    for label, target in sorted(definitions.items()):
        for a in target.find_all("a"):
            href = str(a.get("href") or "")
            if (href.startswith("#") and href[1:] in ref_ids) or _BACK.match(text_of(a)):
                a.decompose()  # the way back to the text
            elif not href and _REF_TEXT.match(text_of(a)):
                a.decompose()  # the note's own label (`<a name="fn1">[1]</a>`): `[^1]:` says it
        containers.append(target.parent)
        numbered = target.name != "li"  # a paragraph note starts with its own number
        target.name = "div"
        text = _Converter().convert_soup(target).strip()
        text = re.sub(r"^\\?\[?\d{1,4}\\?[.)\]]?\s+", "", text) if numbered else text
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", _MARK.sub(r"[^\1]", text)) if p.strip()]
        notes.append(f"[^{label}]: " + "\n\n    ".join(p.replace("\n", "\n    ") for p in paragraphs))
        target.decompose()
    for container in containers:
        _drop_empty_notes(container, draft)
    return notes


def _drop_empty_notes(container: Tag | None, draft: Draft) -> None:
    """The list that held the notes, and its 'Anmerkungen' heading, go when nothing else is left."""
    while container is not None and not container.decomposed and not text_of(container):
        heading = container.find_previous_sibling(["h2", "h3", "h4", "p"])
        parent = container.parent
        container.decompose()
        if heading is not None and _NOTES_HEADING.match(text_of(heading)):
            draft.dropped.append(text_of(heading))
            heading.decompose()
        container = parent
    if container is not None and not container.decomposed:
        for heading in container.find_all(["h2", "h3", "h4"]):
            nxt = heading.find_next_sibling()
            if _NOTES_HEADING.match(text_of(heading)) and (nxt is None or not text_of(nxt)):
                draft.dropped.append(text_of(heading))
                heading.decompose()
