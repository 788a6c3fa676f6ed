"""CSS inlining with premailer, switched to offline and to our own stylesheet only.

MJML's own <style> blocks (resets, media queries, dark mode) stay in <head> untouched; only the
issue's text styles are inlined, which keeps every layout table free of repeated declarations.

premailer is imported on first use: with cssutils and `requests` it was half of the CLI's start-up
(`python -X importtime`), and `archive`, `new` and `watch`'s first page do not need it.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
import types
from functools import cache

_STYLE_OPEN = re.compile(r"<style(?![^>]*data-premailer)", re.I)
_RULES: dict[tuple[str, int], tuple[list, list]] = {}  # stylesheet text → premailer's rule list


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


def _import_without(name: str, target: str):  # type: ignore[no-untyped-def]
    """Import `target` while `name` is only a stand-in; afterwards `import name` is the real thing."""
    if name in sys.modules:
        return importlib.import_module(target)
    sys.modules[name] = _OnFirstUse(name)
    try:
        return importlib.import_module(target)
    finally:
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
def _inliner() -> type:
    premailer = _import_without("requests", "premailer")
    _without_validation()

    class CachedRules(premailer.Premailer):
        """premailer turns the same stylesheet into its rule list again on every call: cssutils
        serialising each declaration was over half of the inlining time. The stylesheet is the same
        for every issue, so its rules are worked out once per process (premailer's result, unchanged)."""

        def _parse_style_rules(self, css_body, ruleset_index):  # type: ignore[no-untyped-def]
            key = (css_body or "", ruleset_index)
            if key not in _RULES:
                if len(_RULES) > 32:  # a layout edited many times during `watch`: forget old sheets
                    _RULES.clear()
                _RULES[key] = super()._parse_style_rules(css_body, ruleset_index)
            rules, leftover = _RULES[key]
            return list(rules), list(leftover)

    return CachedRules


def inline_css(html: str, css: str) -> str:
    marked = _STYLE_OPEN.sub('<style data-premailer="ignore"', html)
    doctype = "<!doctype html>" if marked.lstrip().lower().startswith("<!doctype html") else ""
    out = _inliner()(
        marked,
        css_text=css,
        allow_network=False,
        allow_loading_external_files=False,
        disable_validation=True,
        disable_leftover_css=True,
        keep_style_tags=True,
        remove_classes=False,
        strip_important=False,
        preserve_handlebar_syntax=True,
        disable_basic_attributes=["height", "width"],  # no height="auto" on images
        cssutils_logging_level=logging.CRITICAL,
    ).transform(pretty_print=False)  # the minifier would fold the indentation away again
    out = out.replace(' data-premailer="ignore"', "")
    return doctype + out if not out.lower().startswith("<!doctype") else out
