"""One issue → its web page, its snippet text and what the index, search and feed need.

Pure apart from reading the layouts: `render_issue` takes an `Issue` and the site's settings
and returns strings. It parses the Markdown itself (`pipeline.markdown.parse` + `render_html`)
instead of calling `pipeline.render.render`, which also renders the email's plain-text
alternative: profiling showed that to be a third of the time, and the archive never needs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
from markdown_it.token import Token
from markupsafe import Markup

from pipeline.archive.feed import absolute_anchors
from pipeline.archive.search import search_words, text_js
from pipeline.config import Config
from pipeline.errors import Finding, PipelineError, display_path
from pipeline.images import broken_message, is_local, undecodable, url_for
from pipeline.mail.compose import environment, render_layout
from pipeline.model import Issue, german_date
from pipeline.render import render
from pipeline.text import intro_lead, plain, searchable

TEASER_LENGTH = 220


@dataclass(frozen=True)
class Site:
    """The settings pages need, as a small picklable value (worker processes get a copy)."""

    name: str
    title: str
    description: str
    language: str
    brand: str
    base_url: str
    imprint: str
    preheader_length: int
    layouts: Path
    # The build's site hash (it covers the archive layouts' content): with it, a page asks for the
    # Jinja environment once per build and process, not once per page (a stat of every layout).
    key: str = ""

    @classmethod
    def from_config(cls, config: Config) -> Site:
        return cls(
            name=config["newsletter.name"],
            title=config["archive.title"],
            description=config["newsletter.description"],
            language=config["newsletter.language"],
            brand=config["newsletter.brand_color"],
            base_url=config["newsletter.base_url"],
            imprint=config["footer.imprint"],
            preheader_length=config["email.preheader_length"],
            layouts=config.layouts_dir,
        )

    def issue_url(self, number: int) -> str:
        return f"{self.base_url}/{number}/"

    def context(self, root: str) -> dict:
        """What every archive layout gets; `root` leads from the page to the site root."""
        return {
            "site": {
                "name": self.name,
                "title": self.title,
                "description": self.description,
                "language": self.language,
                "brand": self.brand,
                "base_url": self.base_url,
                "imprint": self.imprint,
                "feed_url": f"{self.base_url}/feed.xml",
                "og_locale": _og_locale(self.language),
            },
            "root": root,
        }

    def date_de(self, day: dt.date) -> str:
        return german_date(day, self.language)


def _og_locale(language: str) -> str:
    """Open Graph wants `de_DE`; the config says `de` or `de-AT`."""
    lang, _, region = language.partition("-")
    return f"{lang}_{region or lang.upper()}"


@dataclass(frozen=True)
class Neighbour:
    number: int
    title: str

    def key(self) -> str:
        """For input hashes: the number holds no space, so the text stands for exactly one pair."""
        return f"{self.number} {self.title}"


@dataclass
class Summary:
    """Per-issue data the index, search and feed are made of (cached in the manifest)."""

    teaser: str
    description: str
    words: str
    images: list[str] = field(default_factory=list)  # rel paths below issues/
    feed: str = ""  # full HTML with absolute URLs, only for issues in the feed


@dataclass
class IssuePage:
    html: str
    text_js: str
    summary: Summary
    date_de: str = ""  # the issue date as shown (babel): made here once, the index needs it too


def render_page(env_dir: Path, name: str, context: dict, key: str = "") -> str:
    return render_layout(_environment(env_dir, key) if key else environment(env_dir), name, context)


@lru_cache(maxsize=4)
def _environment(env_dir: Path, key: str) -> jinja2.Environment:
    return environment(env_dir)


def render_issue(issue: Issue, site: Site, prev: Neighbour | None, next_: Neighbour | None, feed: bool) -> IssuePage:
    """The page at `<number>/index.html`; raises PipelineError (layout file:line) on layout errors."""
    rendered = render(issue, "..", site.preheader_length, site.language)  # images relative to <number>/
    images, fragments = rendered.images, rendered.html
    if broken := undecodable(images, issue.path.parent, rendered.facts):  # here, where the pixels were read
        name = display_path(issue.path)
        raise PipelineError(
            [Finding(name, issue.body_line + i.line - 1, "img-broken", broken_message(i)) for i in broken]
        )
    texts = [searchable(run) for run in rendered.doc.items]
    notes_text = searchable(rendered.doc.notes)
    intro = plain(rendered.doc.items[0]) if rendered.doc.items else ""  # the teaser: prose only
    description = rendered.preheader
    first_image = next((i.rel for i in images if i.safe), "")
    url = site.issue_url(issue.number)
    date_de = site.date_de(issue.meta.date)
    context = site.context("../") | {
        "issue": issue.meta,
        "date_de": date_de,
        "url": url,
        "description": description,
        "og_image": url_for(first_image, site.base_url) if first_image else "",
        "items": [Markup(item) for item in fragments.items],
        "notes": Markup(fragments.notes_html()),
        "prev": prev,
        "next": next_,
    }
    html = render_page(site.layouts, "archive-issue.html.j2", context, site.key)
    feed_html = ""
    if feed:
        runs = [*rendered.doc.items, rendered.doc.notes]
        # Only local images get other URLs: without one the page's HTML is the feed's too.
        absolute = rendered.fragments(site.base_url) if any(map(_local_image_in, runs)) else fragments
        body = "\n<hr>\n".join(absolute.items) + ("\n<hr>\n" + absolute.notes_html() if absolute.notes else "")
        feed_html = absolute_anchors(body, url)
    meta = issue.meta
    summary = Summary(
        teaser=intro_lead(intro, TEASER_LENGTH) if intro else "",
        description=description,
        words=search_words(meta.title, meta.tags, [*texts, notes_text]),
        images=sorted({i.rel for i in images if i.safe}),
        feed=feed_html,
    )
    return IssuePage(html=html, text_js=text_js(issue.number, [*texts, notes_text]), summary=summary, date_de=date_de)


def _local_image_in(tokens: Sequence[Token]) -> bool:
    """Any image at any depth (as render_html rewrites them) whose source is a local file."""
    for token in tokens:
        if token.type == "image" and is_local(token.meta.get("src", str(token.attrGet("src") or ""))):
            return True
        if token.children and _local_image_in(token.children):
            return True
    return False


def render_issue_safely(
    issue: Issue, site: Site, prev: Neighbour | None, next_: Neighbour | None, feed: bool
) -> IssuePage | list[Finding]:
    """For worker processes: problems come back as findings naming the issue, never as exceptions."""
    try:
        return render_issue(issue, site, prev, next_, feed)
    except PipelineError as exc:
        name = display_path(issue.path)
        return [*exc.findings, Finding(name, 0, "archive-page", "its archive page could not be rendered")]
    except Exception as exc:  # a bug must still name the issue, not end in a traceback
        name = display_path(issue.path)
        return [Finding(name, 0, "archive-page", f"cannot render the archive page: {type(exc).__name__}: {exc}")]
