"""MJML → HTML with mjml-python (the Rust MRML port): no Node, no network."""

from __future__ import annotations

from mjml import mjml2html


class MjmlError(ValueError):
    """The layout produced MJML that MRML could not read."""


def mjml_to_html(mjml: str) -> str:
    # fonts={} keeps MJML from adding a Google Fonts <link>: builds stay offline and private.
    try:
        return mjml2html(mjml.strip(), disable_comments=True, fonts={})  # MRML rejects text after </mjml>
    except ValueError as exc:  # MRML reports parse problems as ValueError
        raise MjmlError(f"MJML could not be rendered: {exc}") from None
