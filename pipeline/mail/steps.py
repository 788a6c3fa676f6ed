"""The email's HTML transforms, in order. Each is a pure `str -> str` step in its own module.

Like Maizzle's transformer list: one place says what happens to the HTML and in which order.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from pipeline.mail.inline import inline_css
from pipeline.mail.minify import minify
from pipeline.mail.mjml import mjml_to_html

Step = Callable[[str], str]


def email_steps(css: str) -> list[tuple[str, Step]]:
    """MJML → HTML → CSS inlined → minified. Names are what the benchmark reports."""
    return [
        ("mjml", mjml_to_html),
        ("inline", partial(inline_css, css=css)),
        ("minify", minify),
    ]


def run_steps(text: str, steps: list[tuple[str, Step]], timings: dict[str, float] | None = None) -> str:
    import time

    for name, step in steps:
        start = time.perf_counter()
        text = step(text)
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
    return text
