"""Markdown body → everything the outputs share: HTML fragments, text parts, preheader, images."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pipeline.budgets import body_budget
from pipeline.errors import Finding, PipelineError, display_path
from pipeline.images import ImageFacts, LocalImage, image_facts, is_local, local_images, normalise, url_for
from pipeline.markdown import MAX_NESTING, Document, Fragments, footnotes_in, parse, render_html
from pipeline.model import Issue
from pipeline.text import TextParts, intro_lead, plain, render_text


@dataclass
class Rendered:
    doc: Document
    html: Fragments  # image URLs as `render` was asked for (absolute, for the email)
    preheader: str
    images: list[LocalImage]
    facts: dict[str, ImageFacts] = field(default_factory=dict)  # per normalised path, existing images only

    @cached_property
    def text(self) -> TextParts:
        """The plain-text parts, made on first use: the archive never needs them."""
        return render_text(self.doc)

    def notes_for(self, count: int) -> int:
        """How many notes belong to the first `count` items (footnotes number in reading order)."""
        if count >= len(self.doc.items):
            return len(self.html.notes)
        ids = set().union(*(footnotes_in(run) for run in self.doc.items[:count]))
        return max(ids) + 1 if ids else 0

    def fragments(self, image_base: str) -> Fragments:
        """The same document with other image URLs (the archive uses relative ones)."""
        return render_html(self.doc, lambda src: url_for(src, image_base), _sizes(self.facts))


def _sizes(facts: dict[str, ImageFacts]):
    def size(src: str) -> tuple[int, int] | None:
        found = facts.get(normalise(src)) if is_local(src) else None
        return found.shown() if found else None

    return size


def render(issue: Issue, image_base: str, preheader_limit: int = 100, language: str = "de") -> Rendered:
    """Raises PipelineError (file:line) for a document no later stage can safely handle."""
    if (over := body_budget(issue.body)) is not None:
        line, rule, message = over
        raise PipelineError(Finding(display_path(issue.path), issue.body_line + line, rule, message))
    doc = parse(issue.body, language)
    if doc.html_too_deep is not None:
        raise PipelineError(
            Finding(
                display_path(issue.path),
                issue.body_line + doc.html_too_deep,
                "nesting-depth",
                f"raw HTML is nested more than {MAX_NESTING} elements deep here; flatten the HTML "
                "(the email renderer cannot handle it)",
            )
        )
    images = local_images([t for run in doc.items for t in run] + doc.notes)
    facts = image_facts(images, issue.path.parent)
    html = render_html(doc, lambda src: url_for(src, image_base), _sizes(facts))
    preheader = issue.meta.preheader or intro_lead(plain(doc.items[0]), preheader_limit)
    return Rendered(doc=doc, html=html, preheader=preheader, images=images, facts=facts)
