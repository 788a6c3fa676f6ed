"""What is taken out of a page, or unwrapped, before markdownify sees it: the service's scaffolding.

Each function changes the soup in place and lists in `draft.dropped` what it took out on purpose
(`krasse import --verbose`). They know email builders' habits: layout tables, hidden preheaders,
1×1 pixels, footers around the unsubscribe link, dividers drawn as bordered empty cells, merge tags.
"""

from __future__ import annotations

import functools
import re

from bs4 import BeautifulSoup, NavigableString, Tag

from pipeline.importer.draft import Draft, find_date, find_number

BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "table", "pre", "hr"}
BLOCKS |= {"section", "article", "header", "footer", "figure", "dl", "dd", "dt", "tr", "td", "th", "center"}
DROP_TAGS = ["head", "script", "style", "noscript", "template", "iframe", "object", "svg", "title", "meta", "link"]
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
_SOME_TEXT = re.compile(r"\S")


@functools.cache
def merge_tag_pattern() -> re.Pattern[str]:
    """Every tag of every built-in service profile, plus the usual tag syntaxes of services we do not know."""
    from pipeline.export.services import BUILTIN, parse_profiles
    from pipeline.mail.placeholders import NAMES

    profiles = parse_profiles(BUILTIN.read_text(encoding="utf-8"), BUILTIN).values()
    known = {tag for p in profiles for name in NAMES if (tag := getattr(p, name))}
    generic = [
        r"\*\|[A-Z0-9_:]+\|\*",  # Mailchimp
        r"\{\{[^{}\n]{1,80}\}\}",  # Liquid, Jinja, Handlebars, Go templates
        r"\{\$[A-Za-z_]\w*\}",  # MailerLite
        r"\[\[[A-Za-z_][\w:.]*\]\]",  # Mailjet
        r"%%[^%\s]{1,60}%%",  # Salesforce style
    ]
    specific = sorted((re.escape(t) for t in known), key=len, reverse=True)
    return re.compile("|".join(specific + generic))


def style_of(el: Tag) -> str:
    return str(el.get("style") or "")


def text_of(el: Tag | NavigableString) -> str:
    return re.sub(r"\s+", " ", el.get_text(" ")).strip()


def has_text(el: Tag) -> bool:
    """Faster than `text_of(el) != ""`: stops at the first string that is not white space."""
    return el.find(string=_SOME_TEXT) is not None


def border(style: str, side: str) -> bool:
    m = re.search(rf"border-{side}\s*:\s*([^;]+)", style, re.I)
    return bool(m) and not re.search(r"\bnone\b|^\s*0(?:px)?\b", m.group(1), re.I)


def drop_hidden(soup: BeautifulSoup, draft: Draft) -> None:
    """Hidden text: the first is the preheader (kept as `preheader:`), others are listed as dropped."""
    for el in soup.find_all(lambda t: _HIDDEN.search(style_of(t)) or t.has_attr("hidden")):
        if el.decomposed:
            continue
        text = _FILLER.sub(" ", el.get_text(" ")).strip()
        if text and draft.preheader is None:
            draft.preheader = text
        elif text:
            draft.dropped.append(f"hidden text: {text}")
        el.decompose()


def drop_pixels(soup: BeautifulSoup, draft: Draft) -> None:
    for img in soup.find_all("img"):
        size = [str(img.get("width", "")), str(img.get("height", ""))]
        style = style_of(img)
        tiny = any(s.strip().rstrip("px") in ("0", "1") for s in size) or re.search(
            r"(?:width|height)\s*:\s*[01]px", style
        )
        if tiny:
            draft.dropped.append(f"tracking pixel: {img.get('src', '')}")
            img.decompose()


def drop_chrome(root: Tag, draft: Draft) -> None:
    """Navigation, page footer, the article's own header (title and date live in front matter) and tag lists."""
    for el in root.find_all(["nav", "footer"]):
        if not el.decomposed:
            draft.dropped.append(text_of(el))
            el.decompose()
    header = root.find("header")
    if header is not None and header.find("h1"):
        h1 = header.find("h1")
        draft.title = text_of(h1)
        h1.decompose()
        draft.dropped.append(text_of(header))
        header.decompose()
    for el in root.find_all(class_=re.compile(r"^(tags|skip|pager)$")):
        if el.decomposed:
            continue
        if "tags" in (el.get("class") or []) and not draft.tags:
            draft.tags = tuple(text_of(s) for s in el.find_all("span")) or ()
        draft.dropped.append(text_of(el))
        el.decompose()


def _is_boiler_link(a: Tag) -> bool:
    href = str(a.get("href") or "")
    return bool(_BOILER_LINK.match(text_of(a))) or bool(href and merge_tag_pattern().fullmatch(href.strip()))


def drop_boilerplate_links(root: Tag, draft: Draft, newsletter: str) -> None:
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
            whole = text_of(parent)
            if len(whole) - len(text_of(block)) > 400 or find_number(whole, newsletter):
                break
            if parent.find(["h1", "h2", "h3", "h4", "blockquote", "ul", "ol", "hr"]):
                break
            if any(not _is_boiler_link(x) and str(x.get("href", "")).startswith("http") for x in parent.find_all("a")):
                break
            block = parent
        if _CUT.match(text_of(a)):
            draft.notices.append((0, f"the email was cut short ({text_of(a)!r}): import its archive page instead"))
        draft.dropped.append(text_of(block))
        block.decompose()


def strip_merge_tags(root: Tag, draft: Draft) -> None:
    merge = merge_tag_pattern()
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


def take_masthead(root: Tag, draft: Draft, newsletter: str) -> str:
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
        draft.title = text_of(h1)
    h1.decompose()
    return text


def dividers(root: Tag, soup: BeautifulSoup) -> None:
    """MJML and most builders draw item dividers as an empty element with a top border."""
    for el in reversed(root.find_all(["p", "div", "td", "table", "span"])):  # inner first
        style = style_of(el)
        if not (border(style, "top") or border(style, "bottom") or "divider" in " ".join(el.get("class") or [])):
            continue
        if not el.decomposed and not has_text(el) and not el.find("img"):
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


def layout_tables(root: Tag) -> None:
    """Unwrap layout tables from the inside out; a bordered-left cell is a quote (Outlook-safe quotes)."""
    for table in reversed(root.find_all("table")):
        if _is_data_table(table):
            continue
        for cell in table.find_all(["td", "th"]):
            if border(style_of(cell), "left") and text_of(cell) and cell.find_parent("table") is table:
                cell.name = "blockquote"
            elif cell.find_parent("table") is table:
                cell.name = "div"
        for part in table.find_all(["tbody", "thead", "tfoot", "tr", "colgroup", "col"]):
            if part.find_parent("table") is table:
                part.unwrap()
        table.name = "div"
    for div in root.find_all("div"):
        if border(style_of(div), "left") and text_of(div) and not div.find_parent("blockquote"):
            div.name = "blockquote"
