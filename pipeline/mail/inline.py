"""CSS inlining with premailer, switched to offline and to our own stylesheet only.

MJML's own <style> blocks (resets, media queries, dark mode) stay in <head> untouched; only the
issue's text styles are inlined, which keeps every layout table free of repeated declarations.

premailer is imported on first use: with cssutils and `requests` it was half of the CLI's start-up
(`python -X importtime`), and `archive`, `new` and `watch`'s first page do not need it.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
import sys
import threading
import types
from collections.abc import Callable
from functools import cache, lru_cache
from html import escape, unescape
from urllib.parse import unquote

from pipeline.mail.tags import in_tag
from pipeline.usercache import installed, keep, recall

_STYLE_OPEN = re.compile(r"<style(?![^>]*data-premailer)", re.I)
# The mark comes off the <style> tags only: an author may write `data-premailer="ignore"` in prose.
_STYLE_MARK = re.compile(r'(<style\b[^>]*?) data-premailer="ignore"', re.I)
# premailer's options for every inlining; the kept results below are worked out with the same ones.
_OPTIONS = {
    "allow_network": False,
    "allow_loading_external_files": False,
    "disable_validation": True,
    "disable_leftover_css": True,
    "keep_style_tags": True,
    "remove_classes": False,
    "strip_important": False,
    "preserve_handlebar_syntax": False,  # done here, in tags only: see _handlebars_in/_out
    "disable_basic_attributes": ("height", "width"),  # no height="auto" on images
    "cssutils_logging_level": logging.CRITICAL,
}

# premailer's preserve_handlebar_syntax, as its two passes, but only where the match is an attribute
# of a tag: premailer ran them over the whole email, so a code span `<a title="{{ a & b }}">` read
# `&amp;` and prose `="%7B%7Bx%7D%7D"` read `="{{x}}"`.
_HANDLEBARS_IN = re.compile(r'="{{(.*?)}}"')
_HANDLEBARS_OUT = re.compile(r'="%7B%7B(.+?)%7D%7D"')


def _in_tags(pattern: re.Pattern[str], html: str, value: Callable[[str], str]) -> str:
    return pattern.sub(lambda m: '="{{' + value(m.group(1)) + '}}"' if in_tag(html, m.start()) else m.group(0), html)


def _handlebars_in(html: str) -> str:
    """A handlebar value's quotes and brackets escaped, so lxml reads it as one attribute value."""
    if '="{{' not in html:
        return html
    return _in_tags(_HANDLEBARS_IN, html, escape)


def _handlebars_out(html: str) -> str:
    """The handlebar value lxml percent-encoded (in a URL attribute) written as it came in."""
    if '="%7B%7B' not in html:
        return html
    return _in_tags(_HANDLEBARS_OUT, html, lambda value: unescape(unquote(value)))


_SCOPED = re.compile(r"(\.-?[_a-zA-Z][_a-zA-Z0-9-]*)\s+(?![\s>+~])([^|]+)")  # `.c p`, `.c blockquote p:last-child`
_CLASS = re.compile(r"\.-?[_a-zA-Z][_a-zA-Z0-9-]*")
_SCOPES = threading.local()  # the document being inlined in this thread and its scope elements


class _Scoped:
    """`.c p` as the XPath `$scope/descendant::p`, where $scope holds the `.c` elements.

    cssselect makes every rule look for `.c` in the whole document again (a string test on each of
    its elements), and that was 40 % of the inlining. Here the `.c` elements are found once per
    document, and each rule's remainder (translated by cssselect) is evaluated from them: the same
    elements, as XPath's union of their descendants. The scopes of all classes (`.c`,
    `.notes-block`) come from one XPath query for the elements with a class attribute: each
    cssselect class test was a string test with `normalize-space` on every element of the email."""

    def __init__(self, scope: str, rest: str) -> None:
        from lxml import etree

        self.name = scope[1:]
        self.rest = etree.XPath("$scope/" + rest)

    def __call__(self, page):  # type: ignore[no-untyped-def]
        found = _scope(page, self.name)
        return self.rest(page, scope=found) if found else []


class _ScopedClass(_Scoped):
    """`.c .backref`: the elements of class `backref` (from the same list of elements with a class)
    that have a `.c` element above them, in document order as XPath gives them. The XPath form
    tested the class with `normalize-space` on every element below each `.c` element."""

    def __init__(self, scope: str, name: str) -> None:
        self.name, self.inner = scope[1:], name[1:]

    def __call__(self, page):  # type: ignore[no-untyped-def]
        found = _scope(page, self.name)
        if not found:
            return []
        above = {id(el) for el in found}  # the same element objects: _classes keeps them alive
        return [
            el
            for el, names in _classes(page)
            if self.inner in names and any(id(up) in above for up in el.iterancestors())
        ]


def _scope(page, name: str) -> list:  # type: ignore[no-untyped-def]
    """The elements of class `name` in the document being inlined, found once per document."""
    if getattr(_SCOPES, "page", None) is not page:
        _SCOPES.page, _SCOPES.found, _SCOPES.classes = page, {}, None
    found = _SCOPES.found.get(name)
    if found is None:
        found = _SCOPES.found[name] = [el for el, names in _classes(page) if name in names]
    return found


# cssselect's `.name` is `contains(concat(' ', normalize-space(@class), ' '), ' name ')`: one of the
# class attribute's words, split at XPath's white space (space, tab, CR, LF; not form feed).
_CLASS_WORDS = re.compile("[ \t\r\n]+")


def _classes(page):  # type: ignore[no-untyped-def]
    """The elements with a class attribute (document order, `page` itself too) and their class words."""
    if _SCOPES.classes is None:
        _SCOPES.classes = [(el, set(_CLASS_WORDS.split(el.get("class")))) for el in _with_class()(page)]
    return _SCOPES.classes


@cache
def _with_class():  # type: ignore[no-untyped-def]
    from lxml import etree

    return etree.XPath("descendant-or-self::*[@class]")


@lru_cache(maxsize=512)
def _selector(selector: str):  # type: ignore[no-untyped-def]
    """premailer's `_create_cssselector`: a `.class descendant…` selector goes through _Scoped,
    anything else is cssselect's CSSSelector as before."""
    from cssselect import GenericTranslator, SelectorError
    from lxml.cssselect import CSSSelector

    if m := _SCOPED.fullmatch(selector.strip()):
        if _CLASS.fullmatch(m.group(2)):
            return _ScopedClass(m.group(1), m.group(2))
        try:
            rest = GenericTranslator().css_to_xpath(m.group(2), prefix="descendant::")
        except SelectorError:
            rest = "|"
        if "'" not in rest and '"' not in rest:  # no string literal the rewrite could reach into
            # `:last-child`, `:first-child`: no need to count all the siblings to know there is none
            for counted in ("following-sibling::*", "preceding-sibling::*"):
                rest = rest.replace(f"[count({counted}) = 0]", f"[not({counted})]")
        if "|" not in rest:
            return _Scoped(m.group(1), rest)
    return CSSSelector(selector)


class _Probe:
    """Stands in for an element: records the attributes premailer would set."""

    def __init__(self) -> None:
        self.attrib: dict[str, str] = {}


def _merged(inline_style, new_styles, classes, remove_unset_properties=False):  # type: ignore[no-untyped-def]
    """premailer's `merge_styles`, worked out once per distinct argument list: an issue has hundreds
    of elements but a dozen or so combinations of rules, and the function depends on nothing else
    (it only reads the lists, so their tuples give the same)."""
    return _merge(inline_style, tuple(map(tuple, new_styles)), tuple(classes), remove_unset_properties)


@lru_cache(maxsize=4096)
def _merge(inline_style: str, new_styles: tuple, classes: tuple, remove_unset_properties: bool) -> str:
    return _plain().merge_styles(inline_style, new_styles, classes, remove_unset_properties)


class _OnFirstUse(types.ModuleType):
    """Stands in for a module until one of its attributes is used, then imports the real one.

    premailer imports `requests` only to fetch remote stylesheets, which a build never does
    (allow_network=False); importing it anyway was a fifth of a cold `krasse build`. importlib's
    LazyLoader does not help on Python 3.11: the import statement itself reads `__spec__` and so
    triggers the load.
    """

    def __getattr__(self, attr: str):  # type: ignore[no-untyped-def]
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]  # used while still standing in: make way for the real one
        return getattr(importlib.import_module(self.__name__), attr)


def _import_without(names: tuple[str, ...], target: str):  # type: ignore[no-untyped-def]
    """Import `target` while `names` are only stand-ins; afterwards `import name` is the real thing.

    A stand-in for a submodule is also its package's attribute (`urllib.request`), so a module that
    keeps the package and uses the submodule later gets the real one then."""
    standing = [name for name in names if name not in sys.modules]
    for name in standing:
        sys.modules[name] = stand_in = _OnFirstUse(name)
        package, _, child = name.rpartition(".")
        if package and not hasattr(parent := importlib.import_module(package), child):
            setattr(parent, child, stand_in)
    try:
        return importlib.import_module(target)
    finally:
        for name in standing:
            if isinstance(sys.modules.get(name), _OnFirstUse):
                del sys.modules[name]


def _without_validation() -> None:
    """cssutils checks each property against its CSS profiles only to log what is invalid, and we keep
    its log at CRITICAL. premailer asks for that check on every element's own style attribute even
    with `disable_validation=True` (merge_styles does not pass the flag on), and the check compiles a
    large regular expression per property name: 50 ms of a cold build's first inlining. Without
    profiles (cssutils' documented switch) nothing is compiled; the inlined bytes are the same."""
    import cssutils

    cssutils.profile.removeProfile(all=True)


@cache
def _plain() -> types.SimpleNamespace:
    """premailer's own `merge_styles` and a plain Premailer with our options: the kept results are
    theirs. (Imported here once: an import statement in `_merged` cost a failed attribute lookup,
    with its error message formatted, on every call.)"""
    premailer = _inliner().__mro__[1]
    from premailer.merge_style import csstext_to_pairs, merge_styles

    return types.SimpleNamespace(
        merge_styles=merge_styles, csstext_to_pairs=csstext_to_pairs, premailer=premailer(**_OPTIONS)
    )


@lru_cache(maxsize=4096)
def _pairs(csstext: str, validate: bool = True) -> tuple[tuple[str, str], ...]:
    """premailer's `csstext_to_pairs` (a rule's declarations as (name, value) pairs) for the rules'
    declarations in `transform`, as a tuple: merge_styles only iterates it, and `_merged`'s key is
    then made without copying. functools' cache instead of premailer's cachetools one with a lock."""
    return tuple(_plain().csstext_to_pairs(csstext, validate=validate))


@lru_cache(maxsize=32)  # a layout edited many times during `watch`: old sheets are forgotten
def _rules(css: str, index: int) -> tuple[list, list]:
    """premailer's rule list for one stylesheet, from the user cache or parsed by premailer."""
    return _stored_rules(css, index) or _store_rules(css, index, _plain().premailer._parse_style_rules(css, index))


@lru_cache(maxsize=4096)
def _basic(style: str) -> tuple[tuple[str, str], ...]:
    """The HTML attributes premailer gives an element with this inlined style, found on a stand-in."""
    probe = _Probe()
    _plain().premailer._style_to_basic_html_attributes(probe, style, force=True)
    return tuple(probe.attrib.items())


@cache
def _inliner() -> type:
    # cssutils imports urllib.request (with http.client, ssl and email), importlib.metadata, encutils and,
    # trying Google App Engine first, email.message only to fetch remote stylesheets: 60 ms of a cold
    # build, for what allow_network=False never does
    fetching = ("requests", "urllib.request", "importlib.metadata", "encutils", "email.message")
    premailer = _import_without(fetching, "premailer")
    _without_validation()

    premailer.premailer.merge_styles = _merged  # premailer's own function, its results kept
    premailer.premailer.csstext_to_pairs = _pairs  # the same, as tuples
    premailer.premailer._create_cssselector = _selector  # the same elements, the scope found once

    class CachedRules(premailer.Premailer):
        """premailer turns the same stylesheet into its rule list again on every call: cssutils
        serialising each declaration was over half of the inlining time. The stylesheet is the same
        for every issue, so its rules are worked out once per process (premailer's result, unchanged)."""

        def _parse_style_rules(self, css_body, ruleset_index):  # type: ignore[no-untyped-def]
            rules, leftover = _rules(css_body or "", ruleset_index)
            return list(rules), list(leftover)

        def _style_to_basic_html_attributes(self, element, style_content, force=False):  # type: ignore[no-untyped-def]
            # The same few inlined styles recur on every element: their HTML attributes are worked
            # out once per style by premailer's own method, on a stand-in element.
            if not force:
                return super()._style_to_basic_html_attributes(element, style_content, force)
            for name, value in _basic(style_content):
                element.attrib[name] = value

    return CachedRules


def _rules_key(css: str, index: int) -> tuple[str, str]:
    digest = hashlib.blake2b(css.encode(), digest_size=16).hexdigest()
    return f"premailer-rules-{index}", f"{installed('premailer', 'cssutils')}|{digest}"


def _stored_rules(css: str, index: int) -> tuple[list, list] | None:
    """The rules of a first build come from the user cache: cssutils parsing the stylesheet was a
    tenth of a cold `krasse build`. Kept per stylesheet text and premailer and cssutils version."""
    stored = recall(*_rules_key(css, index))
    if stored is None:
        return None
    rules, leftover = stored
    return [(tuple(specificity), selector, bulk) for specificity, selector, bulk in rules], [
        tuple(pair) for pair in leftover
    ]


def _store_rules(css: str, index: int, parsed: tuple[list, list]) -> tuple[list, list]:
    """Only plain rules are kept (selector and declarations as text): a sheet whose leftovers hold
    cssutils objects (@media) is parsed on every first use."""
    if all(isinstance(item, tuple) and all(isinstance(x, str) for x in item) for item in parsed[1]):
        keep(*_rules_key(css, index), list(parsed))
    return parsed


def inline_css(html: str, css: str) -> str:
    _SCOPES.page = None  # scope elements are found anew for each document
    marked = _STYLE_OPEN.sub('<style data-premailer="ignore"', html)
    # Only the start is compared: lowercasing the whole email twice was a tenth of the inlining.
    doctype = "<!doctype html>" if marked.lstrip()[:14].lower().startswith("<!doctype html") else ""
    out = _inliner()(_handlebars_in(marked), css_text=css, **_OPTIONS).transform(
        pretty_print=False  # the minifier would fold the indentation away again
    )
    out = _handlebars_out(out)
    out = _STYLE_MARK.sub(r"\1", out)
    return doctype + out if not out[:9].lower().startswith("<!doctype") else out
