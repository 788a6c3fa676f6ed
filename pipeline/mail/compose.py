"""The email: rendered fragments → layout (Jinja2 → MJML) → HTML transforms → budget check.

Gmail clips HTML past ~102 KB. We measure every build; with `clip: split` the issue is cut at
the last item that fits and ends with a "Weiterlesen im Web →" link to its archive page.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from pipeline.config import Config
from pipeline.errors import WARNING, Finding, PipelineError, display_path
from pipeline.mail import placeholders
from pipeline.mail.gate import Target
from pipeline.mail.mjml import MjmlError
from pipeline.mail.placeholders import NEUTRAL, PlaceholderLost
from pipeline.mail.steps import email_steps, run_steps
from pipeline.model import Issue, german_date
from pipeline.render import Rendered
from pipeline.usercache import layout_bytecode

UNSUBSCRIBE = NEUTRAL["unsubscribe"]  # outbox/ keeps it; export maps it to each service's tag
# outbox/ and the preview: the web-version link is the archive page, the other placeholders stay neutral.
OUTBOX = Target("outbox", unsubscribe=UNSUBSCRIBE, tags=frozenset({NEUTRAL["first_name"]}))


@lru_cache(maxsize=8)
def _environment(layouts: Path, mtimes: tuple) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(layouts)),
        autoescape=jinja2.select_autoescape(["html", "mjml", "mjml.j2", "html.j2"], default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        bytecode_cache=layout_bytecode(),
    )
    env.filters |= {"isolate": isolate, "bdi": bdi}
    return env


# Bidi embeddings, overrides and isolates: one left open in an author's title turns the text after it
# (" · Krasse Links No. 2", the next link) right to left.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def isolate(text: str) -> str:
    """The author's text between U+2068 and U+2069 where it holds bidi controls (plain text: <title>)."""
    return f"\u2068{text}\u2069" if BIDI_CONTROLS.search(text) else text


def bdi(text: str) -> str | Markup:
    """The author's text in <bdi> where it holds bidi controls (markup); other text stays as it was."""
    return Markup("<bdi>%s</bdi>") % text if BIDI_CONTROLS.search(text) else text


def environment(layouts: Path) -> jinja2.Environment:
    """Cached per layout folder state, so a layout edit during `watch` is seen at once."""
    with os.scandir(layouts) as entries:  # one stat per file: this runs on every build
        mtimes = tuple(sorted((e.name, e.stat().st_mtime_ns) for e in entries if e.is_file()))
    return _environment(layouts, mtimes)


def render_layout(env: jinja2.Environment, name: str, context: dict) -> str:
    """Jinja problems become findings that name the layout file and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = display_path(exc.filename) if exc.filename else f"layouts/{name}"
        raise PipelineError(Finding(where, exc.lineno or 0, "layout-syntax", exc.message or str(exc))) from None
    except jinja2.TemplateNotFound as exc:
        raise PipelineError(Finding(f"layouts/{exc.name}", 0, "layout-missing", "layout file not found")) from None
    except jinja2.UndefinedError as exc:
        raise PipelineError(Finding(f"layouts/{name}", 0, "layout-variable", str(exc))) from None


def _lighten(hex_colour: str) -> str:
    """A brand colour readable on a dark background: mix it halfway to white."""
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    rgb = [int(h[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{(c + 255) // 2:02x}" for c in rgb)


@dataclass
class Email:
    """The rendered email with the layout's placeholders as tokens (see placeholders.py): each target
    (outbox/, a service's export, the .eml) fills them its own way."""

    marked_html: str
    marked_mjml: str
    marked_text: str
    web_url: str
    items_sent: int  # how many items the HTML carries (all, unless split)
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def outbox_values(self) -> dict[str, str]:
        return {"unsubscribe": UNSUBSCRIBE, "web": self.web_url, "first_name": NEUTRAL["first_name"]}

    def filled(self, values: dict[str, str]) -> tuple[str, str]:
        """HTML and text with the placeholders filled, for a target no mailing service templates (the
        outbox, the .eml): typed neutral spellings are escaped in the HTML."""
        escaped = self.marked_html
        if any(spelling in escaped for spelling in NEUTRAL.values()):  # else there is nothing to escape
            escaped = placeholders.escape_html(escaped, placeholders.live_pattern(()))
        return placeholders.fill_html(escaped, values), placeholders.fill_text(self.marked_text, values)

    @cached_property
    def _outbox(self) -> tuple[str, str]:
        """The email as built: the web-version link points at the issue's archive page, the other
        placeholders are neutral."""
        return self.filled(self.outbox_values)

    @property
    def html(self) -> str:
        return self._outbox[0]

    @property
    def text(self) -> str:
        return self._outbox[1]

    @property
    def mjml(self) -> str:
        return placeholders.fill_text(self.marked_mjml, NEUTRAL)  # the layout's output, as written

    @cached_property
    def bytes(self) -> int:
        return len(self.html.encode("utf-8"))


PREVIEW_CHARS = 150  # about what the widest inbox list shows of the preview text


def _filler(preheader: str) -> Markup:
    """Invisible characters after a short preheader, so inboxes do not fill the preview line with
    the header and intro the reader is about to see anyway."""
    return Markup("&zwnj;&nbsp;" * max(0, (PREVIEW_CHARS - len(preheader)) // 2))


def _context(issue: Issue, config: Config, rendered: Rendered, count: int, text: bool) -> dict:
    items = rendered.text.items if text else rendered.html.items
    notes_count = rendered.notes_for(count)
    web_url = config.issue_url(issue.number)
    split = count < len(items)
    return {
        "newsletter": {
            "name": config["newsletter.name"],
            "language": config["newsletter.language"],
            "brand_color": config["newsletter.brand_color"],
        },
        "issue": issue.meta,
        "date_de": german_date(issue.meta.date, config["newsletter.language"]),
        "preheader": rendered.preheader,
        "preheader_filler": _filler(rendered.preheader),
        "items": items[:count] if text else [Markup(i) for i in items[:count]],
        "notes": (rendered.text.notes_text(notes_count) if text else Markup(rendered.html.notes_html(notes_count))),
        **placeholders.layout_values(),  # unsubscribe_url, web_url, first_name
        "continue_url": web_url if split else "",  # the text part is cut at the same item
        "imprint": config["footer.imprint"],
    }


def _css(env: jinja2.Environment, config: Config) -> tuple[str, str]:
    return _css_for(env, config["newsletter.brand_color"])


@lru_cache(maxsize=8)
def _css_for(env: jinja2.Environment, brand: str) -> tuple[str, str]:
    """The same for every issue: made once per layout state (a new environment) and brand colour."""
    css = render_layout(env, "email.css.j2", {"brand": brand})
    dark = render_layout(env, "email-dark.css.j2", {"brand": brand, "brand_dark": _lighten(brand)})
    # MRML reads <mj-style> as markup: a `<` in a CSS comment would break the whole email.
    return css, re.sub(r"/\*.*?\*/", "", dark, flags=re.S).strip()


def _no_literals(output: str, context: dict, layout: str) -> None:
    """The layout itself must not write a neutral placeholder as text: only its variables are filled."""
    if "{{" not in output:  # every neutral spelling starts so: nothing to look for, nor in the author's text
        return
    author = [*context["items"], context["notes"], context["preheader"], context["imprint"], context["issue"].title]
    author += [context["issue"].subject, context["newsletter"]["name"]]
    # Only values holding `{{` can hold a neutral spelling, escaped or not (escaping leaves braces).
    maybe = [v for v in author if "{{" in (v if isinstance(v, str) else str(v))]  # no copy of the items
    values = {str(v) for v in maybe} | {str(escape(v)) for v in maybe}
    if left := placeholders.layout_literals(output, values):
        raise PipelineError(
            Finding(
                f"layouts/{layout}",
                0,
                "placeholder-unresolved",
                f"{', '.join(left)} written as literal text: nothing fills it; write the variable "
                "({{ unsubscribe_url }}, {{ web_url }}, {{ first_name }}) instead",
            )
        )


def render_email(
    issue: Issue, config: Config, rendered: Rendered, count: int | None = None, *, layouts: Path | None = None
) -> Email:
    """One full render with the first `count` items (all by default); `layouts` is config.layouts_dir
    when the caller has looked it up already (a stat of the folder)."""
    env = environment(config.layouts_dir if layouts is None else layouts)
    count = len(rendered.html.items) if count is None else count
    css, dark = _css(env, config)
    context = _context(issue, config, rendered, count, text=False)
    context["dark_css"] = Markup(dark)
    timings: dict[str, float] = {}
    mjml = render_layout(env, "email.mjml.j2", context)
    try:
        html = placeholders.protected(lambda text: run_steps(text, email_steps(css), timings))(mjml)
    except MjmlError as exc:
        raise PipelineError(Finding("layouts/email.mjml.j2", 0, "mjml", str(exc))) from None
    except PlaceholderLost as exc:
        raise PipelineError(Finding("layouts/email.mjml.j2", 0, "placeholder-lost", str(exc))) from None
    text_context = _context(issue, config, rendered, count, text=True)
    text = render_layout(env, "email.txt.j2", text_context)
    _no_literals(mjml, context, "email.mjml.j2")
    _no_literals(text, text_context, "email.txt.j2")
    web_url = config.issue_url(issue.number)
    return Email(html, mjml, text, web_url, items_sent=count, timings=timings)


def build_email(issue: Issue, config: Config, rendered: Rendered, *, layouts: Path | None = None) -> Email:
    """Render, measure against the clip budget, and split when the issue asks for it."""
    budget = config["email.clip_budget"]
    mode = issue.meta.clip or config["email.clip"]
    layouts = config.layouts_dir if layouts is None else layouts  # one look-up for every render below
    email = render_email(issue, config, rendered, layouts=layouts)
    if email.bytes <= budget:
        return email
    name = display_path(issue.path)
    if mode != "split":
        email.findings.append(
            Finding(
                name,
                issue.line_of("number"),
                "clip-budget",
                f"email HTML is {email.bytes:,} bytes, over the budget of {budget:,}: Gmail will clip it "
                "(shorten it, or set 'clip: split')",
                WARNING,
            )
        )
        return email
    # Largest item count that fits: sizes grow with items, so a search is safe. Gallop up from the
    # intro (1, 2, 4, …) before bisecting, so a huge issue never renders its huge halves.
    low, high = 2, len(rendered.html.items) - 1
    best = render_email(issue, config, rendered, 1, layouts=layouts)
    step = 2
    while best.bytes <= budget and step <= high:
        candidate = render_email(issue, config, rendered, step, layouts=layouts)
        if candidate.bytes > budget:
            high = step - 1
            break
        best, low, step = candidate, step + 1, step * 2
    if best.bytes > budget:
        high = 0  # not even the intro fits: nothing to search
    while low <= high:
        mid = (low + high) // 2
        candidate = render_email(issue, config, rendered, mid, layouts=layouts)
        if candidate.bytes <= budget:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    best.findings.append(
        Finding(
            name,
            issue.line_of("number"),
            "clip-split",
            f"email cut after item {best.items_sent} of {len(rendered.html.items)} to stay under "
            f"{budget:,} bytes ({best.bytes:,}); the rest is linked to the web version",
            WARNING,
        )
    )
    if best.bytes > budget:
        best.findings.append(
            Finding(
                name,
                issue.line_of("number"),
                "clip-budget",
                f"even the intro alone is {best.bytes:,} bytes, over the budget of {budget:,}",
                WARNING,
            )
        )
    best.timings = email.timings
    return best
