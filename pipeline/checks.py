"""`krasse check`: the lint rules. Each rule looks at one rendered issue and returns findings.

Rules are small functions in one table so README, tests and the CLI list the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote

from markdown_it.token import Token

from pipeline.clients.lint import lint
from pipeline.config import Config
from pipeline.errors import ERROR, WARNING, Finding, PipelineError, display_path
from pipeline.images import HEAVY_BYTES, ImageFacts, LocalImage, broken_message, inspect, undecodable
from pipeline.mail.compose import Email
from pipeline.markdown import MAX_NESTING, Document, dropped_hrefs, gender_star_lines, raw_hrefs
from pipeline.model import Issue
from pipeline.render import Rendered, render

VAGUE_LINK_TEXT = {
    "hier", "hier klicken", "klick hier", "klicke hier", "klicken sie hier", "link", "dieser link",
    "mehr", "weiter", "weiterlesen", "click here", "here", "this", "read more", "more",
}  # fmt: skip
_UNDEFINED_REF = re.compile(r"\[\^([^\]\s]+)\]")
# `[^7 und weiter`, `[^8: Definition ohne Klammer`: a reference or definition whose `]` is missing.
_UNCLOSED_REF = re.compile(r"\[\^([^\]\s]*)(?=\s|$)")
_SPACED_LABEL = re.compile(r"\[\^([^\]\[\n]{1,60}?)\]")  # `[^eine Note]`: closed after a space


@dataclass
class Context:
    issue: Issue
    rendered: Rendered
    config: Config
    email: Email | None = None
    layouts: Path | None = None  # config.layouts_dir, when the caller has looked it up already

    @property
    def name(self) -> str:
        return display_path(self.issue.path)

    def line(self, body_line: int) -> int:
        return self.issue.body_line + body_line

    def finding(self, body_line: int, rule: str, message: str, severity: str = WARNING) -> Finding:
        return Finding(self.name, self.line(body_line), rule, message, severity)

    @cached_property
    def inline_tokens(self) -> dict[str, list[tuple[list[Token], int, int]]]:
        return _inline_by_type(self.rendered.doc)


def _inline(ctx: Context, kind: str) -> list[tuple[list[Token], int, int]]:
    """(children, child index, body line of that child) of every inline token of one type."""
    return ctx.inline_tokens.get(kind, [])


def _inline_by_type(doc: Document) -> dict[str, list[tuple[list[Token], int, int]]]:
    """One walk over the issue's inline tokens for all the rules that look at them."""
    found: dict[str, list[tuple[list[Token], int, int]]] = {}
    for run in [*doc.items, doc.notes]:
        for tok in run:
            if tok.type != "inline" or not tok.children:
                continue
            line = tok.map[0] if tok.map else 0
            children = tok.children
            for i, child in enumerate(children):
                kind = child.type
                if kind in ("softbreak", "hardbreak"):
                    line += 1
                elif kind in _LOOKED_AT:
                    found.setdefault(kind, []).append((children, i, line))
    return found


_LOOKED_AT = frozenset({"link_open", "image", "text", "html_inline"})


def _link_text(children: list[Token], start: int) -> str:
    out = []
    for child in children[start + 1 :]:
        if child.type == "link_close":
            break
        out.append(child.content if child.type in ("text", "code_inline") else "")
        if child.type == "image":
            out.append(child.content or "[Bild]")
    return "".join(out).strip()


def _raw_links(ctx: Context) -> list[tuple[int, str]]:
    """(body line, href) of every `<a href>` typed as raw HTML, inline or as a block."""
    found = [(line + n, href) for c, i, line in _inline(ctx, "html_inline") for n, href in raw_hrefs(c[i].content)]
    for run in [*ctx.rendered.doc.items, ctx.rendered.doc.notes]:
        for tok in run:
            if tok.type == "html_block" and tok.map:
                found += [(tok.map[0] + n, href) for n, href in raw_hrefs(tok.content)]
    return found


def _lost_address(ctx: Context, line: int, href: str) -> Finding:
    return ctx.finding(
        line,
        "gate-link",
        f"link {href!r} would lose its address in the email: only absolute https:// and http:// "
        "URLs, mailto: and anchors are links there; the reader would get plain text",
        ERROR,
    )


def rule_links(ctx: Context) -> list[Finding]:
    found = []
    links = _inline(ctx, "link_open")
    raw = _raw_links(ctx)
    hrefs = [str(children[i].attrGet("href") or "") for children, i, _ in links]
    dropped = dropped_hrefs([*hrefs, *(href for _, href in raw)])
    found += [_lost_address(ctx, line, href) for line, href in raw if href in dropped]
    for children, i, line in links:
        tok = children[i]
        href = str(tok.attrGet("href") or "")
        if href in dropped:
            found.append(_lost_address(ctx, line, href))
        text = _link_text(children, i)
        if not text:
            found.append(ctx.finding(line, "link-text-empty", f"link to {href} has no text", ERROR))
        elif text.lower().strip(" .:!→»") in VAGUE_LINK_TEXT:
            found.append(
                ctx.finding(
                    line,
                    "link-text-vague",
                    f"link text '{text}' says nothing out of context; name what is behind the link",
                )
            )
        if href.lower().startswith("http://"):
            found.append(ctx.finding(line, "http-link", f"{href} is not https; most sites serve https today"))
    return found


def rule_images(ctx: Context) -> list[Finding]:
    found = []
    for children, i, line in _inline(ctx, "image"):
        tok = children[i]
        if not (tok.content or "").strip():
            found.append(
                ctx.finding(
                    line,
                    "img-alt",
                    f"image {tok.meta.get('src') or tok.attrGet('src')} has no alt "
                    "text: screen readers and blocked images show nothing",
                    ERROR,
                )
            )
    base = ctx.issue.path.parent
    for image in ctx.rendered.images:
        if not image.safe:
            found.append(
                ctx.finding(
                    image.line - 1,
                    "img-path",
                    f"image path {unquote(image.src)} leaves the issues folder; put it in issues/images/",
                    ERROR,
                )
            )
        elif (problem := inspect(ctx.config.root, base, image.rel)) is not None:
            found.append(ctx.finding(image.line - 1, problem.rule, problem.message, ERROR))
        elif image.rel in ctx.rendered.facts:
            found.extend(_image_hints(ctx, image, ctx.rendered.facts[image.rel]))
        elif undecodable([image], base, ctx.rendered.facts):
            found.append(ctx.finding(image.line - 1, "img-broken", broken_message(image), ERROR))
    return found


def _image_hints(ctx: Context, image: LocalImage, facts: ImageFacts) -> Iterator[Finding]:
    name, line = unquote(image.src), image.line - 1
    shown = facts.shown()[0]
    if facts.width < 2 * shown:
        yield ctx.finding(
            line,
            "img-density",
            f"image {name} is {facts.width} px wide and shown {shown} px wide: blurry on phone screens; "
            f"export it at least {2 * shown} px wide",
        )
    if facts.bytes > HEAVY_BYTES:
        yield ctx.finding(
            line,
            "img-heavy",
            f"image {name} is {facts.bytes // 1000:,} KB; keep images under {HEAVY_BYTES // 1000} KB "
            "(compress it, or use JPEG/WebP for photos)",
        )
    if facts.white_edge:
        yield ctx.finding(
            line,
            "img-dark-mode",
            f"image {name} has an opaque white background: a bright slab in dark mode; prefer a transparent background",
        )


def rule_footnotes(ctx: Context) -> list[Finding]:
    found = []
    for children, i, line in _inline(ctx, "text"):
        tok = children[i]
        if "[^" in tok.content:  # both patterns start so: most text has neither
            for m in _UNDEFINED_REF.finditer(tok.content):
                found.append(
                    ctx.finding(
                        line, "footnote-undefined", f"footnote [^{m.group(1)}] is used but never defined", ERROR
                    )
                )
            for m in _UNCLOSED_REF.finditer(tok.content):
                if spaced := _SPACED_LABEL.match(tok.content, m.start()):  # `[^eine Note]`: closed, but two words
                    label = "-".join(spaced.group(1).split()).lower()
                    message = (
                        f"footnote label '{spaced.group(0)}' has a space: a label is one word, write [^{label}] "
                        "(and the same in its definition); as it is, the reader sees the brackets"
                    )
                else:
                    message = (
                        f"footnote '[^{m.group(1)}' has no closing ']': write [^{m.group(1).rstrip(':') or 'name'}] "
                        "(and [^name]: for its definition); as it is, the reader sees the brackets"
                    )
                found.append(ctx.finding(line, "footnote-unclosed", message, ERROR))
    data = ctx.rendered.doc.env.get("footnotes", {})
    for note in data.get("list", {}).values():
        if note.get("count", 0) == 0 and "label" in note:
            line = ctx.rendered.doc.footnote_lines.get(note["label"], 0)
            found.append(
                ctx.finding(
                    line,
                    "footnote-unused",
                    f"footnote [^{note['label']}] is defined but never referenced (it is still printed in the notes)",
                )
            )
    for line, label, first in ctx.rendered.doc.footnote_repeats:
        found.append(
            ctx.finding(
                line,
                "footnote-duplicate",
                f"footnote [^{label}] is defined again here (first on line {ctx.line(first)}): only this text "
                "would be printed, and the reader would not see the earlier one; rename one of them "
                f"(and its references) or merge the two texts",
                ERROR,
            )
        )
    return found


def rule_definitions(ctx: Context) -> list[Finding]:
    """`[Korrektur]: erledigt.` reads as a link reference definition: markup that is never shown.
    One that no link uses (or that repeats a label) is shown as text; the author decides."""
    found = []
    for line, label, first in ctx.rendered.doc.shown_definitions:
        if first is None:
            why = f"no link uses [{label}]"
            fix = f"use it in a link ([Text][{label}]) or delete it"
        else:
            why = f"[{label}] is defined already on line {ctx.line(first)}, and links use that one"
            fix = "delete it"
        found.append(
            ctx.finding(
                line,
                "link-definition-unused",
                f"this line reads as a link definition, but {why}: it is shown as text; "
                f"{fix}, or write '\\[{label}]' to say it is text",
            )
        )
    return found


def rule_attributes(ctx: Context) -> list[Finding]:
    """`{Stand=heute}` reads as attributes for the next block; emails keep none of them, so the
    line is shown as text rather than vanish."""
    return [
        ctx.finding(
            line,
            "attr-dropped",
            f"this line reads as attributes for the next block, but no email keeps {', '.join(map(repr, names))}: "
            "it is shown as text; attributes that work are {lang=en}, {.class} and {#id}, "
            r"and '\{' at the start says it is text",
        )
        for line, names in ctx.rendered.doc.attrs_dropped
    ]


def rule_headings(ctx: Context) -> list[Finding]:
    found = []
    for run in ctx.rendered.doc.items:
        for tok in run:
            if tok.type == "heading_open" and tok.markup in ("-", "=") and tok.map:
                end = tok.map[1] - 1
                found.append(
                    ctx.finding(
                        end,
                        "setext-heading",
                        f"the '{tok.markup * 3}' line turns the paragraph above into a heading; "
                        "leave a blank line before it to separate items",
                    )
                )
    return found


def rule_tables(ctx: Context) -> list[Finding]:
    """A row with more cells than the table's head: Markdown drops the extra cells and their words."""
    found = []
    for line, extra in ctx.rendered.doc.table_extra:
        cells = ", ".join(f"'{cell[:40]}…'" if len(cell) > 40 else f"'{cell}'" for cell in extra)
        found.append(
            ctx.finding(
                line,
                "table-cells-extra",
                f"this table row has more cells than the head row; the reader would not see {cells}: "
                r"add a column to the head, or write '\|' for a bar inside a cell",
                ERROR,
            )
        )
    return found


def rule_tab_indent(ctx: Context) -> list[Finding]:
    """A paragraph indented with a tab is an (indented) code block to Markdown: monospace, no links."""
    lines: list[str] | None = None  # split on the first code block: most issues have none
    found = []
    for run in ctx.rendered.doc.items:
        for tok in run:
            if tok.type != "code_block" or not tok.map:
                continue
            if lines is None:
                lines = ctx.issue.body.split("\n")
            if any(line.startswith("\t") for line in lines[tok.map[0] : tok.map[1]]):
                found.append(
                    ctx.finding(
                        tok.map[0],
                        "tab-indent",
                        "this tab-indented text becomes a code block (monospace, links not linked); "
                        "remove the tab, or fence real code with ```",
                    )
                )
    return found


def rule_nesting(ctx: Context) -> list[Finding]:
    return [
        ctx.finding(
            line,
            "nesting-depth",
            f"quotes and lists are nested more than {MAX_NESTING} levels deep here; "
            "the text from this line on would be lost, so flatten the nesting",
            ERROR,
        )
        for line in ctx.rendered.doc.too_deep[:1]
    ]


def rule_gender_star(ctx: Context) -> list[Finding]:
    return [
        ctx.finding(
            line,
            "gender-star",
            "this paragraph has gender stars (kept as '*') and another single '*': if you meant "
            r"emphasis, check the result; write '\*' for a literal star",
        )
        for line in gender_star_lines(ctx.rendered.doc)
    ]


def rule_preheader(ctx: Context) -> list[Finding]:
    limit = ctx.config["email.preheader_length"]
    length = len(ctx.rendered.preheader)
    # A written preheader is found at its key; a derived one comes from the intro.
    line = ctx.issue.line_of("preheader") if ctx.issue.meta.preheader else ctx.issue.body_line
    if length > limit:
        message = f"preheader is {length} characters; inboxes show about {limit}"
    elif length < 25:
        message = f"preheader is only {length} characters; inboxes fill the rest with body text"
    else:
        return []
    return [Finding(ctx.name, line, "preheader-length", message, WARNING)]


def rule_email(ctx: Context) -> list[Finding]:
    if ctx.email is None:
        return []
    return list(ctx.email.findings)  # the final gate (mail/gate.py) judges links and unsubscribe


def rule_typed_merge_tags(ctx: Context) -> list[Finding]:
    """Typed merge-tag syntax the configured service (export.esp) would evaluate in the text part."""
    from pipeline.export import services

    try:
        profile = services.choose(services.current_profiles(ctx.config.root), ctx.config["export.esp"])
    except PipelineError:
        return []  # a broken esp.toml or an unknown export.esp is reported by export itself
    return services.typed_syntax(ctx.issue, profile)


def rule_clients(ctx: Context) -> list[Finding]:
    """The final HTML against caniemail: what a configured client does not support."""
    if ctx.email is None:
        return []
    layouts = ctx.config.layouts_dir if ctx.layouts is None else ctx.layouts
    return lint(ctx.email.html, ctx.config["email.clients"], layouts, ctx.issue.path)


RULES: dict[str, Callable[[Context], list[Finding]]] = {
    "links": rule_links,
    "images": rule_images,
    "footnotes": rule_footnotes,
    "definitions": rule_definitions,
    "attributes": rule_attributes,
    "headings": rule_headings,
    "tab-indent": rule_tab_indent,
    "tables": rule_tables,
    "nesting": rule_nesting,
    "gender": rule_gender_star,
    "preheader": rule_preheader,
    "email": rule_email,
    "typed-merge-tags": rule_typed_merge_tags,
    "clients": rule_clients,
}

RULE_IDS = [
    "fm-yaml", "fm-header", "fm-type", "fm-missing", "fm-unknown", "fm-duplicate", "file-empty", "file-encoding",
    "file-control-char",
    "file-size", "body-empty", "dup-number", "link-text-empty", "link-text-vague", "http-link",
    "img-alt", "img-missing", "img-path", "img-type", "img-broken", "img-size", "footnote-undefined", "footnote-unused",
    "setext-heading", "nesting-depth", "tab-indent", "footnote-budget", "table-budget", "output-size",
    "preheader-length", "clip-budget", "clip-split", "unsubscribe-missing",
    # send safety (issue 8)
    "fm-unclosed", "footnote-unclosed", "gate-link", "gate-image", "placeholder-unresolved",
    "placeholder-lost", "merge-tag-typed", "message-size",
    "file-name", "output-path",
    # inbox fidelity (issue 9)
    "gender-star",
    "img-density", "img-heavy", "img-dark-mode",
    "client-support",
    "link-definition-unused", "footnote-duplicate", "table-cells-extra", "attr-dropped",
]  # fmt: skip


# The rules that need only the body: they still run when the front matter is broken.
BODY_ONLY = ("links", "images", "footnotes", "definitions", "attributes", "headings", "tab-indent", "tables", "nesting")


def check_body(issue: Issue, config: Config) -> list[Finding]:
    """Body checks of an issue whose front matter failed: one error must not hide the others."""
    try:
        keys = ("newsletter.base_url", "email.preheader_length", "newsletter.language")
        rendered = render(issue, *(config[k] for k in keys))  # as prepare() renders it
    except PipelineError as exc:  # over a budget, or raw HTML nested too deep
        return exc.findings
    ctx = Context(issue, rendered, config)
    found = [f for key in BODY_ONLY for f in RULES[key](ctx)]
    return sorted(set(found), key=lambda f: (f.file, f.line, f.rule, f.message))


def check(
    issue: Issue, rendered: Rendered, config: Config, email: Email | None = None, *, layouts: Path | None = None
) -> list[Finding]:
    ctx = Context(issue, rendered, config, email, layouts)
    found: list[Finding] = []
    for rule in RULES.values():
        found.extend(rule(ctx))
    return sorted(set(found), key=lambda f: (f.file, f.line, f.rule, f.message))
