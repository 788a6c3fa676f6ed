"""What an email uses, named by caniemail feature slugs: elements, attributes, CSS properties and
values, at-rules and selector types, read from the final HTML (inline styles and <style> blocks).

Each use keeps a short snippet and a pattern that finds it again in a layout file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import tinycss2

from pipeline.clients.support import support


@dataclass(frozen=True)
class Use:
    slug: str
    snippet: str  # what triggered it, as a reader would search for it
    pattern: str  # a regex that finds the snippet in a layout source
    # The features it sits inside (`html-style`, `css-at-media`, …): a client that ignores those
    # never sees this one, so it is not reported for that client.
    within: tuple[str, ...] = ()


_MSO_ONLY = re.compile(r"<!--\[if (?:mso|lte mso|gte mso|mso \| IE)[^\]]*\]>.*?<!\[endif\]-->", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S | re.I)
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")

_SEMANTIC = {
    "article", "aside", "details", "figcaption", "figure", "footer", "header", "main", "mark", "nav", "section",
    "summary", "time",
}  # fmt: skip
_LISTS = {"ul", "ol", "dl"}
_ARIA = {"aria-label", "aria-hidden", "aria-describedby", "aria-labelledby", "aria-live"}
_ATTRIBUTES = {
    "align", "background", "cellpadding", "cellspacing", "dir", "height", "width", "lang", "role", "valign",
    "target", "hidden", "loading", "srcset", "required", "popover",
}  # fmt: skip
_SIDES = re.compile(r"^(margin|padding|border)-(top|right|bottom|left)(-(?:width|style|color))?$")
_UNITS = {"px": "px", "em": "em", "rem": "rem", "%": "percent", "vw": "vw", "vh": "vh", "pt": "pt", "ch": "ch"}
_FUNCTIONS = {
    "rgb": "css-rgb", "rgba": "css-rgba", "calc": "css-unit-calc", "var": "css-variables", "min": "css-function-min",
    "max": "css-function-max", "clamp": "css-function-clamp", "linear-gradient": "css-linear-gradient",
    "radial-gradient": "css-radial-gradient", "conic-gradient": "css-conic-gradient",
    "light-dark": "css-function-light-dark",
}  # fmt: skip
_POSITIONS = {"left", "right", "top", "bottom"}
_MEDIA_FEATURES = {
    "prefers-color-scheme": "css-at-media-prefers-color-scheme",
    "prefers-reduced-motion": "css-at-media-prefers-reduced-motion",
    "orientation": "css-at-media-orientation",
    "hover": "css-at-media-hover",
    "device-pixel-ratio": "css-at-media-device-pixel-ratio",
}


def _known(slug: str) -> bool:
    return slug in support().features


def _element_uses(tag: str, attrs: dict[str, str]) -> list[Use]:
    tag = tag.lower()
    found = []
    if tag in _SEMANTIC:
        slug = "html-semantics"
    elif tag in _LISTS:
        slug = "html-lists"
    elif re.fullmatch(r"h[1-6]", tag):
        slug = "html-h1-h6"
    elif tag == "input":
        slug = f"html-input-{attrs.get('type', 'text').lower()}"
    elif tag == "button":
        slug = f"html-button-{attrs.get('type', 'submit').lower()}"
    else:
        slug = f"html-{tag}"
    if _known(slug):
        found.append(Use(slug, f"<{tag}>", rf"<{tag}\b"))
    if tag == "meta" and attrs.get("name", "").lower() == "color-scheme":
        found.append(Use("html-meta-color-scheme", '<meta name="color-scheme">', r'name="color-scheme"'))
    for name, value in attrs.items():
        if name in _ATTRIBUTES or name in _ARIA:
            found.append(Use(f"html-{name}", f"{name}=", rf"\b{re.escape(name)}="))
        elif name == "href" and value.startswith("#"):
            found.append(Use("html-anchor-links", 'href="#…"', r'href="#'))
        elif name == "href" and value.lower().startswith("mailto:"):
            found.append(Use("html-mailto-links", 'href="mailto:…"', r"mailto:"))
        elif name == "src" and tag == "img":
            if value.startswith("data:"):
                found.append(Use("image-base64", "data: image", r"data:image"))
            ext = re.search(r"\.([a-z0-9]+)(?:[?#]|$)", value.lower())
            kind = {"jpeg": "jpg"}.get(ext.group(1), ext.group(1)) if ext else ""
            if kind and _known(f"image-{kind}"):
                found.append(Use(f"image-{kind}", f".{kind} image", rf"\.{kind}\b"))
    return found


def _value_uses(name: str, tokens: list, important: bool) -> list[Use]:
    found = []
    text = tinycss2.serialize(tokens).strip()
    where = rf"{re.escape(name)}\s*:"
    if important:
        found.append(Use("css-important", "!important", r"!important"))
    stack = list(tokens)
    while stack:
        token = stack.pop()
        if token.type == "function":
            slug = _FUNCTIONS.get(token.lower_name)
            if slug:
                found.append(Use(slug, f"{token.lower_name}()", rf"{re.escape(token.lower_name)}\("))
            if token.lower_name == "url" and name.startswith("background"):
                found.append(Use("css-background-image", f"{name}: url()", where + r"[^;]*url\("))
            stack.extend(token.arguments)
        elif token.type == "url" and name.startswith("background"):
            found.append(Use("css-background-image", f"{name}: url()", where + r"[^;]*url\("))
        elif token.type in ("dimension", "percentage"):
            unit = "%" if token.type == "percentage" else token.lower_unit
            if unit in _UNITS and _known(f"css-unit-{_UNITS[unit]}"):
                found.append(Use(f"css-unit-{_UNITS[unit]}", unit, re.escape(unit)))
    if name == "display":
        value = text.lower()
        slug = {"flex": "css-display-flex", "inline-flex": "css-display-flex", "grid": "css-display-grid"}.get(
            value, "css-display-none" if value == "none" else "css-display"
        )
        found.append(Use(slug, f"display:{value}", rf"display\s*:\s*{re.escape(value)}"))
    return found


def _declaration_uses(content: list | str) -> list[Use]:
    found = []
    for decl in tinycss2.parse_declaration_list(content, skip_comments=True, skip_whitespace=True):
        if decl.type != "declaration":
            continue
        name = decl.lower_name
        if name.startswith(("-webkit-", "-ms-", "-moz-", "mso-")):
            continue
        sides = _SIDES.match(name)
        base = sides.group(1) if sides else name
        slug = "css-left-right-top-bottom" if base in _POSITIONS else f"css-{base}"
        if base.startswith("background-") and not _known(slug):
            slug = "css-background"
        if _known(slug) and name != "display":
            found.append(Use(slug, name, rf"(?<![\w-]){re.escape(name)}\s*:"))
        found.extend(_value_uses(name, decl.value, decl.important))
    return found


_SELECTOR_PARTS = [
    ("css-selector-grouping", r","),
    ("css-selector-child", r">"),
    ("css-selector-adjacent-sibling", r"\+"),
    ("css-selector-general-sibling", r"~"),
    ("css-selector-attribute", r"\["),
    ("css-selector-universal", r"\*"),
    ("css-selector-id", r"#[A-Za-z_-]"),
    ("css-selector-class", r"\.[A-Za-z_-]"),
    ("css-selector-type", r"(?:^|[\s,>+~(])[a-zA-Z][a-zA-Z0-9]*(?=[\s.#:\[,>+~)]|$)"),
    ("css-selector-descendant", r"[\w\])*]\s+(?=[\w.#\[*:])"),
    ("css-selector-chaining", r"[\w\])](?=[.#\[][A-Za-z_-])"),
]


def _selector_uses(selector: str) -> list[Use]:
    found = []
    for slug, pattern in _SELECTOR_PARTS:
        if re.search(pattern, selector):
            found.append(Use(slug, selector, re.escape(selector.split(",")[0].strip())))
    for pseudo in re.findall(r"::?([a-z-]+)", selector):
        for slug in (f"css-pseudo-class-{pseudo}", f"css-pseudo-element-{pseudo}"):
            if _known(slug):
                found.append(Use(slug, f":{pseudo}", rf":{re.escape(pseudo)}\b"))
    return found


def _inside(uses: list[Use], within: tuple[str, ...]) -> list[Use]:
    return [Use(u.slug, u.snippet, u.pattern, within) for u in uses]


def _rule_uses(rules: list, within: tuple[str, ...]) -> list[Use]:
    found = []
    for rule in rules:
        if rule.type == "qualified-rule":
            found.extend(_inside(_selector_uses(tinycss2.serialize(rule.prelude).strip()), within))
            found.extend(_inside(_declaration_uses(rule.content), within))
        elif rule.type == "at-rule":
            name = rule.lower_at_keyword
            prelude = tinycss2.serialize(rule.prelude).strip()
            inner = within
            if _known(f"css-at-{name}"):
                found.append(Use(f"css-at-{name}", f"@{name} {prelude}".strip(), rf"@{re.escape(name)}\b", within))
                inner = (*inner, f"css-at-{name}")
            if name == "media":
                for feature, slug in _MEDIA_FEATURES.items():
                    if feature in prelude:
                        found.append(Use(slug, f"@media ({feature})", re.escape(feature), within))
                        inner = (*inner, slug)
            if rule.content is not None and name in ("media", "supports"):
                rules_inside = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
                found.extend(_rule_uses(rules_inside, inner))
            elif rule.content is not None and name == "font-face":
                found.extend(_inside(_declaration_uses(rule.content), inner))
    return found


@lru_cache(maxsize=4096)
def _inline_uses(style: str) -> tuple[Use, ...]:
    return tuple(_declaration_uses(style))


@lru_cache(maxsize=64)
def _sheet_uses(css: str) -> tuple[Use, ...]:
    return tuple(_rule_uses(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True), ("html-style",)))


def features_of(html: str) -> dict[str, list[Use]]:
    """Every caniemail feature the HTML uses, with its first use in each context. Outlook-only
    conditional blocks are left out: only Outlook for Windows reads them."""
    found: dict[tuple[str, tuple[str, ...]], Use] = {}  # (slug, context) → first use, in order found
    first = found.setdefault

    html = _MSO_ONLY.sub("", html)
    if re.match(r"\s*<!doctype", html, re.I):
        first(("html-doctype", ()), Use("html-doctype", "<!doctype html>", r"<!doctype"))
    if _COMMENT.search(html):
        first(("html-comments", ()), Use("html-comments", "<!-- -->", r"<!--"))
    html, sheets = _without_styles_and_comments(html)
    for css in sheets:
        for use in _sheet_uses(css):
            first((use.slug, use.within), use)
    # The same tags repeat by the hundred: each distinct one once, in document order.
    for tag in dict.fromkeys(_TAG_TEXT.findall(html)):
        for key, use in _tag_uses(tag):
            first(key, use)
    by_slug: dict[str, list[Use]] = {}
    for (slug, _), use in found.items():
        by_slug.setdefault(slug, []).append(use)
    return by_slug


_STYLE_OR_COMMENT = re.compile(f"{_STYLE_BLOCK.pattern}|{_COMMENT.pattern}", re.S | re.I)
_STYLE_START = re.compile(r"<style\b", re.I)


def _without_styles_and_comments(html: str) -> tuple[str, list[str]]:
    """The HTML with each `<style>` block cut to `<style>` and the comments out, and the blocks' CSS.

    What cutting the style blocks and then the comments gives (`_STYLE_BLOCK.sub`, `_COMMENT.sub`),
    in one pass over the 45 KB instead of two: the same unless a style block starts inside a comment,
    which the first way finds and this one steps over; then it goes the first way."""
    sheets: list[str] = []
    parts: list[str] = []
    done = 0
    for m in _STYLE_OR_COMMENT.finditer(html):
        css = m.group(1)
        if css is None:  # a comment
            if _STYLE_START.search(m.group(0)):
                return _in_two_passes(html)
            parts.append(html[done : m.start()])
        else:
            sheets.append(css)
            parts.append(html[done : m.start()] + "<style>")
        done = m.end()
    return "".join(parts) + html[done:], sheets


def _in_two_passes(html: str) -> tuple[str, list[str]]:
    sheets: list[str] = []
    html = _STYLE_BLOCK.sub(lambda m: sheets.append(m.group(1)) or "<style>", html)
    return _COMMENT.sub("", html), sheets


_TAG_TEXT = re.compile(r"<[a-zA-Z][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>")


@lru_cache(maxsize=8192)
def _tag_uses(text: str) -> tuple[tuple[tuple[str, tuple[str, ...]], Use], ...]:
    """((slug, context), use) for each use in one tag, its attributes and its inline style."""
    m = _TAG.match(text)
    if not m:
        return ()
    # The value's three spellings ("…", '…', bare) are alternatives: one holds it, findall gives "" for
    # the others, so their sum is the value (and "" for a name without one). The last of two equal names wins.
    attrs = {name.lower(): double + single + bare for name, double, single, bare in _ATTR.findall(m.group(2))}
    uses = _element_uses(m.group(1), attrs)
    if "style" in attrs:
        uses.extend(_inline_uses(attrs["style"]))
    return tuple([((u.slug, u.within), u) for u in uses])
