"""CSS inlining with premailer, switched to offline and to our own stylesheet only.

MJML's own <style> blocks (resets, media queries, dark mode) stay in <head> untouched; only the
issue's text styles are inlined, which keeps every layout table free of repeated declarations.
"""

from __future__ import annotations

import logging
import re

from premailer import Premailer

_STYLE_OPEN = re.compile(r"<style(?![^>]*data-premailer)", re.I)


def inline_css(html: str, css: str) -> str:
    marked = _STYLE_OPEN.sub('<style data-premailer="ignore"', html)
    doctype = "<!doctype html>" if marked.lstrip().lower().startswith("<!doctype html") else ""
    out = Premailer(
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
    ).transform()
    out = out.replace(' data-premailer="ignore"', "")
    return doctype + out if not out.lower().startswith("<!doctype") else out
