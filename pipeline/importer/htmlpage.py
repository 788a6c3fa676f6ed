"""A saved archive page or a service's campaign HTML → a Markdown issue.

The conversion itself is markdownify (MIT, well kept, built on BeautifulSoup; html2text is GPL).
Its converter is a class with one method per tag, so our conventions are small overrides, not a
hand-rolled converter. Before converting, the page is cleaned in the soup, and what is taken out on
purpose is listed (`--verbose`):

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
import tomllib

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import ATX, MarkdownConverter

from pipeline.errors import Finding
from pipeline.importer.draft import Draft, find_date, find_number, strip_name, tidy, words

BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "table", "pre", "hr"}
BLOCKS |= {"section", "article", "header", "footer", "figure", "dl", "dd", "dt", "tr", "td", "th", "center"}
_DROP_TAGS = ["head", "script", "style", "noscript", "template", "iframe", "object", "svg", "title", "meta", "link"]
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|max-height\s*:\s*0", re.I)
_FILLER = re.compile("[\u200b\u200c\u200d\u034f\u00ad\u2007\ufeff\u00a0\\s]+")
_BOILER_LINK = re.compile(
    r"^\s*(?:im browser (?:lesen|ansehen|öffnen|anzeigen)|web-?version|online (?:lesen|ansehen)|abmelden|abbestellen|"
    r"newsletter abbestellen|view (?:this email )?(?:in|on) (?:your|the )?\s*(?:browser|web)|view online|"
    r"unsubscribe(?: here)?|update (?:your )?(?:profile|preferences)|profil (?:bearbeiten|aktualisieren)|"
    r"e-?mail-?einstellungen|preferences|weiterlesen im (?:web|browser)|continue reading online)\s*[→»›.]?\s*$",
    re.I,
)
_CUT = re.compile(r"^\s*(?:weiterlesen im (?:web|browser)|continue reading online)", re.I)
_NOTES_HEADING = re.compile(r"^\s*(Anmerkungen|Fußnoten|Fussnoten|Endnoten|Notes|Footnotes)\s*$", re.I)
_BACK = re.compile(r"^\s*(?:↩︎?|↑|\^|zurück.*|back.*)\s*$", re.I)
_REF_TEXT = re.compile(r"^\s*\[?(\d{1,4})\]?\s*$")
_NOT_TAGS = {"name", "import", "source", "hosted_copy"}
_SOME_TEXT = re.compile(r"\S")
_MARK = re.compile("\x02(\\d+)\x03")


def merge_tag_pattern() -> re.Pattern[str]:
    """Every tag of every built-in service profile, plus the usual tag syntaxes of services we do not know.

    Read straight from services.toml: every string that is not a description is a tag.
    """
    from pipeline.export.services import BUILTIN

    known: set[str] = set()
    for profile in tomllib.loads(BUILTIN.read_text(encoding="utf-8")).values():
        if isinstance(profile, dict):
            known |= {v for k, v in profile.items() if isinstance(v, str) and v and k not in _NOT_TAGS}
    generic = [
        r"\*\|[A-Z0-9_:]+\|\*",  # Mailchimp
        r"\{\{[^{}\n]{1,80}\}\}",  # Liquid, Jinja, Handlebars, Go templates
        r"\{\$[A-Za-z_]\w*\}",  # MailerLite
        r"\[\[[A-Za-z_][\w:.]*\]\]",  # Mailjet
        r"%%[^%\s]{1,60}%%",  # Salesforce style
    ]
    specific = sorted((re.escape(t) for t in known), key=len, reverse=True)
    return re.compile("|".join(specific + generic))


_MERGE: re.Pattern[str] | None = None


def _merge() -> re.Pattern[str]:
    global _MERGE
    if _MERGE is None:
        _MERGE = merge_tag_pattern()
    return _MERGE


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


def _style(el: Tag) -> str:
    return str(el.get("style") or "")


def _text(el: Tag | NavigableString) -> str:
    return re.sub(r"\s+", " ", el.get_text(" ")).strip()


def _has_text(el: Tag) -> bool:
    """Faster than `_text(el) != ""`: stops at the first string that is not white space."""
    return el.find(string=_SOME_TEXT) is not None


def _border(style: str, side: str) -> bool:
    m = re.search(rf"border-{side}\s*:\s*([^;]+)", style, re.I)
    return bool(m) and not re.search(r"\bnone\b|^\s*0(?:px)?\b", m.group(1), re.I)


def convert_html(text: str, source: str, newsletter: str) -> tuple[list[Draft], list[Finding]]:
    """One page → one Draft, or a finding when nothing in it reads like an issue."""
    soup = BeautifulSoup(text, "html.parser")
    draft = Draft(source=source, body="")
    meta = _metadata(soup)
    draft.tags = tuple(meta.get("tags", ()))
    draft.preheader = meta.get("description")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for el in soup.find_all(_DROP_TAGS):
        el.decompose()
    _drop_hidden(soup, draft)
    _drop_pixels(soup, draft)
    root = soup.find("article") or soup.find("main") or soup.find(attrs={"role": "main"}) or soup.body or soup
    _drop_chrome(root, draft)
    _drop_boilerplate_links(root, draft, newsletter)
    _strip_merge_tags(root, draft)
    masthead = _masthead(root, draft, newsletter)
    _dividers(root, soup)
    _layout_tables(root)
    notes = _footnotes(root, soup, draft)
    if not _text(root) and not root.find("img"):
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


def _drop_hidden(soup: BeautifulSoup, draft: Draft) -> None:
    """Hidden text: the first is the preheader (kept as `preheader:`), others are listed as dropped."""
    for el in soup.find_all(lambda t: _HIDDEN.search(_style(t)) or t.has_attr("hidden")):
        if el.decomposed:
            continue
        text = _FILLER.sub(" ", el.get_text(" ")).strip()
        if text and draft.preheader is None:
            draft.preheader = text
        elif text:
            draft.dropped.append(f"hidden text: {text}")
        el.decompose()


def _drop_pixels(soup: BeautifulSoup, draft: Draft) -> None:
    for img in soup.find_all("img"):
        size = [str(img.get("width", "")), str(img.get("height", ""))]
        style = _style(img)
        tiny = any(s.strip().rstrip("px") in ("0", "1") for s in size) or re.search(
            r"(?:width|height)\s*:\s*[01]px", style
        )
        if tiny:
            draft.dropped.append(f"tracking pixel: {img.get('src', '')}")
            img.decompose()


def _drop_chrome(root: Tag, draft: Draft) -> None:
    """Navigation, page footer, the article's own header (title and date live in front matter) and tag lists."""
    for el in root.find_all(["nav", "footer"]):
        if not el.decomposed:
            draft.dropped.append(_text(el))
            el.decompose()
    header = root.find("header")
    if header is not None and header.find("h1"):
        h1 = header.find("h1")
        draft.title = _text(h1)
        h1.decompose()
        draft.dropped.append(_text(header))
        header.decompose()
    for el in root.find_all(class_=re.compile(r"^(tags|skip|pager)$")):
        if el.decomposed:
            continue
        if "tags" in (el.get("class") or []) and not draft.tags:
            draft.tags = tuple(_text(s) for s in el.find_all("span")) or ()
        draft.dropped.append(_text(el))
        el.decompose()


def _is_boiler_link(a: Tag) -> bool:
    href = str(a.get("href") or "")
    return bool(_BOILER_LINK.match(_text(a))) or bool(href and _merge().fullmatch(href.strip()))


def _drop_boilerplate_links(root: Tag, draft: Draft, newsletter: str) -> None:
    """Unsubscribe and view-in-browser links take their small surrounding block (the footer) with them.

    The block grows while what it adds is short footer text (address, copyright): not over 400
    characters, no headings, quotes or lists, no ordinary link, and not the issue's intro.
    """
    for a in root.find_all("a"):
        if a.decomposed or not _is_boiler_link(a):
            continue
        block: Tag = a
        while block.parent is not None and block.parent is not root:
            parent = block.parent
            whole = _text(parent)
            if len(whole) - len(_text(block)) > 400 or find_number(whole, newsletter):
                break
            if parent.find(["h1", "h2", "h3", "h4", "blockquote", "ul", "ol", "hr"]):
                break
            if any(not _is_boiler_link(x) and str(x.get("href", "")).startswith("http") for x in parent.find_all("a")):
                break
            block = parent
        if _CUT.match(_text(a)):
            draft.notices.append((0, f"the email was cut short ({_text(a)!r}): import its archive page instead"))
        draft.dropped.append(_text(block))
        block.decompose()


def _strip_merge_tags(root: Tag, draft: Draft) -> None:
    merge = _merge()
    for s in list(root.find_all(string=True)):
        if merge.search(s):
            for tag in merge.findall(s):
                draft.dropped.append(f"merge tag {tag}")
            # `Hallo *|FNAME|*,` → `Hallo,`: the space before the tag goes with it.
            text = re.sub(rf"[ \t\u00a0]*(?:{merge.pattern})(?=[,.!?;:])", "", str(s))
            s.replace_with(merge.sub("", text))
    for a in root.find_all("a", href=True):
        if merge.search(str(a["href"])):
            draft.dropped.append(f"merge-tag link {a['href']}")
            a.unwrap()


def _masthead(root: Tag, draft: Draft, newsletter: str) -> str:
    """Short text above the only `<h1>` naming the newsletter, its number or a date goes; the `<h1>` is the title."""
    h1s = root.find_all("h1")
    if len(h1s) != 1:
        return ""
    h1 = h1s[0]
    before = []
    for node in h1.find_all_previous(string=True):
        if node.find_parent(lambda t: t is root) is None:
            break
        before.append(node)
    text = re.sub(r"\s+", " ", " ".join(str(s) for s in reversed(before))).strip()
    if len(text) > 200:
        return ""
    if text and (find_number(text, newsletter) or find_date(text) or newsletter.casefold() in text.casefold()):
        for node in before:
            node.extract()
        draft.dropped.append(text)
    if not draft.title:
        draft.title = _text(h1)
    h1.decompose()
    return text


def _dividers(root: Tag, soup: BeautifulSoup) -> None:
    """MJML and most builders draw item dividers as an empty element with a top border."""
    for el in reversed(root.find_all(["p", "div", "td", "table", "span"])):  # inner first
        style = _style(el)
        if not (_border(style, "top") or _border(style, "bottom") or "divider" in " ".join(el.get("class") or [])):
            continue
        if not el.decomposed and not _has_text(el) and not el.find("img"):
            el.replace_with(soup.new_tag("hr"))


def _is_data_table(table: Tag) -> bool:
    if str(table.get("role", "")).lower() == "presentation":
        return False
    if table.find("th") or table.find("thead"):
        return True
    rows = table.find_all("tr")
    cells = [row.find_all(["td", "th"], recursive=False) for row in rows]
    if len(rows) < 2 or max((len(c) for c in cells), default=0) < 2 or table.find("table"):
        return False
    return not any(cell.find(list(BLOCKS)) for row in cells for cell in row)


def _layout_tables(root: Tag) -> None:
    """Unwrap layout tables from the inside out; a bordered-left cell is a quote (Outlook-safe quotes)."""
    for table in reversed(root.find_all("table")):
        if _is_data_table(table):
            continue
        for cell in table.find_all(["td", "th"]):
            if _border(_style(cell), "left") and _text(cell) and cell.find_parent("table") is table:
                cell.name = "blockquote"
            elif cell.find_parent("table") is table:
                cell.name = "div"
        for part in table.find_all(["tbody", "thead", "tfoot", "tr", "colgroup", "col"]):
            if part.find_parent("table") is table:
                part.unwrap()
        table.name = "div"
    for div in root.find_all("div"):
        if _border(_style(div), "left") and _text(div) and not div.find_parent("blockquote"):
            div.name = "blockquote"


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
        if a.decomposed or not _REF_TEXT.match(_text(a)):
            continue
        target = _target(anchors, str(a["href"])[1:])
        if target is None or a in target.descendants:
            continue
        label = order.setdefault(id(target), len(order) + 1)
        definitions[label] = target
        sup = a.find_parent("sup")
        marker = sup if sup is not None and _text(sup) == _text(a) else a
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
            if (href.startswith("#") and href[1:] in ref_ids) or _BACK.match(_text(a)):
                a.decompose()  # the way back to the text
            elif not href and _REF_TEXT.match(_text(a)):
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
    while container is not None and not container.decomposed and not _text(container):
        heading = container.find_previous_sibling(["h2", "h3", "h4", "p"])
        parent = container.parent
        container.decompose()
        if heading is not None and _NOTES_HEADING.match(_text(heading)):
            draft.dropped.append(_text(heading))
            heading.decompose()
        container = parent
    if container is not None and not container.decomposed:
        for heading in container.find_all(["h2", "h3", "h4"]):
            nxt = heading.find_next_sibling()
            if _NOTES_HEADING.match(_text(heading)) and (nxt is None or not _text(nxt)):
                draft.dropped.append(_text(heading))
                heading.decompose()
