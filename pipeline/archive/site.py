"""`krasse archive`: every published issue as a static, searchable web site with a feed.

Two phases (Pelican's rule): first read every issue and render every output that must change,
in memory; only when nothing failed, write. A broken issue or layout therefore leaves the last
good site exactly as it was. The manifest decides what "must change": an output is rendered
again only when the hash of its inputs moved or the file is gone.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import groupby
from pathlib import Path

from markupsafe import Markup

from pipeline.archive import manifest as mf
from pipeline.archive.feed import FeedEntry, atom_feed, last_changes, sitemap_xml
from pipeline.archive.pages import IssuePage, Neighbour, Site, Summary, render_issue_safely, render_page
from pipeline.archive.search import Postings, SearchDoc, read_text_js, search_index_js, search_words
from pipeline.archive.sources import PARALLEL_MIN, Entry, Progress, Workers, duplicates, scan
from pipeline.config import Config
from pipeline.errors import WARNING, Finding, PipelineError, display_path, has_errors
from pipeline.images import LocalImage, Problem, broken_message, inspect, read_image, undecodable
from pipeline.output import remove_stale_temp, write_atomic

WRITERS = min(os.cpu_count() or 1, 4)  # threads writing the pages of a full build

# Names at the site root that an image path must not take.
RESERVED = {"index.html", "404.html", "feed.xml", "sitemap.xml", "search-index.js", "search.js", "archive.css", mf.NAME}


@dataclass
class ArchiveResult:
    out: Path
    findings: list[Finding] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)  # site files written (the manifest not counted)
    removed: list[Path] = field(default_factory=list)
    issues: int = 0
    rendered: int = 0  # issue pages rendered (not necessarily written: content may be unchanged)
    search_bytes: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


@dataclass
class Plan:
    """Phase 1's result: every output with its input hash, and the content of those that changed."""

    target: Path
    old: mf.Manifest
    outputs: dict[str, str] = field(default_factory=dict)  # path below the site → input hash
    contents: dict[str, str | bytes] = field(default_factory=dict)  # only what must be written
    postings: Postings = field(default_factory=Postings)  # the last build's, updated when the index changes
    search_changed: bool = False
    changes: dict[str, list[str]] = field(default_factory=dict)  # file → [content hash, last change]

    def wanted(self, path: str, key: str) -> bool:
        """Record the output; True when it must be rendered (inputs moved or file gone)."""
        self.outputs[path] = key
        # os.path on a string: a Path per output made this a tenth of a no-op rebuild
        return self.old.outputs.get(path) != key or not os.path.isfile(f"{self.target}/{path}")


def output_dir(config: Config, out: Path | None) -> Path:
    """The site folder; refuses folders that hold (or are inside) the project's sources."""
    target = (out if out is not None else config.root / config["archive.out"]).resolve()
    issues = config.issues_dir.resolve()
    for source in (config.root.resolve(), issues, config.layouts_dir.resolve()):
        if source.is_relative_to(target) or target.is_relative_to(issues):
            raise PipelineError(
                Finding(
                    "newsletter.toml", 0, "archive-out",
                    f"refusing to build the archive into {target}: it holds the project's sources; "
                    "choose a folder like outbox/archive",
                )
            )  # fmt: skip
    return target


def build_archive(
    config: Config, out: Path | None = None, drafts: bool = False, progress: Progress | None = None
) -> ArchiveResult:
    """Build or update the site; returns findings instead of raising for bad input."""
    start = time.perf_counter()
    try:
        target = output_dir(config, out)
    except PipelineError as exc:
        return ArchiveResult(out or config.root, exc.findings)
    result = ArchiveResult(target)
    if not (target / mf.NAME).is_file():
        # Every run that writes removes the manifest first: without one, an earlier run may have
        # been killed mid-write and left temp files behind. (A no-op run need not walk the site.)
        remove_stale_temp(target)
    with Workers() as workers:
        _build(config, result, drafts, progress, workers)
    search = result.out / "search-index.js"
    result.search_bytes = search.stat().st_size if result.ok and search.is_file() else 0
    result.findings = sorted(set(result.findings))
    result.seconds = time.perf_counter() - start
    return result


def _build(config: Config, result: ArchiveResult, drafts: bool, progress: Progress | None, workers: Workers) -> None:
    old = mf.load(result.out)
    site_key = mf.site_hash(config)
    site = replace(Site.from_config(config), key=site_key)
    entries, found = scan(config.issues_dir, old.issues if old.site == site_key else {}, workers)
    published = sorted((e for e in entries if drafts or not e.draft), key=lambda e: e.number)
    result.findings += found + duplicates(published)
    if has_errors(result.findings):
        return
    result.issues = len(published)
    plan = Plan(result.out, old, postings=Postings.from_json(old.search if old.site == site_key else {}))
    window = {e.number for e in published[-config["archive.feed_entries"] :]}
    # Published issues only: a draft that is published counts from its issue date, not from the edit.
    plan.changes = last_changes([(e.name, e.source, e.date, e.stat[1]) for e in published], old.changes)
    stats = _Stats(config.issues_dir)  # the pages' keys and the image list both need each image's stat
    result.rendered, found = _issue_pages(plan, site, site_key, stats, published, window, workers, progress)
    result.findings += found
    for entry in entries:
        entry.date_de = entry.date_de or site.date_de(entry.date)
    rendered = {e.number for e in published if f"{e.number}/index.html" in plan.contents}
    images, found = _images(config, published, old.images if old.site == site_key else {}, rendered, stats)
    result.findings += found
    if has_errors(result.findings):
        return
    try:
        _aggregates(plan, config, site, site_key, published, window)
    except PipelineError as exc:
        result.findings += exc.findings
        return
    if _unchanged(plan, site_key, entries, images):
        return  # nothing to write, not even the manifest
    search = plan.postings.to_json() if plan.search_changed else old.search
    new = mf.Manifest(site_key, plan.outputs, {e.name: e.cached() for e in entries}, images, search, plan.changes)
    try:
        _write(plan, new, config.root, config.issues_dir, result)
    except PipelineError as exc:  # a symbolic link inside the site folder
        result.findings.extend(exc.findings)
    except OSError as exc:
        result.findings.append(Finding(display_path(result.out), 0, "output-write", f"cannot write: {exc}"))


def _unchanged(plan: Plan, site_key: str, entries: list[Entry], images: dict[str, list[int]]) -> bool:
    old = plan.old
    return (
        not plan.contents
        and old.site == site_key
        and old.outputs == plan.outputs
        and old.images == images
        and old.changes == plan.changes
        and {e.name for e in entries} == set(old.issues)
        and not any(e.refreshed for e in entries)
        and all((plan.target / rel).is_file() for rel in images)
    )


def _render_job(job: tuple) -> tuple[bytes, bytes, Summary, str] | list[Finding]:
    """In the worker: the pages leave as UTF-8, which crosses the pipe and reaches the disk as it is
    (as text it was encoded for the pipe, decoded, and encoded again to be written)."""
    page = render_issue_safely(*job)
    if isinstance(page, IssuePage):
        return page.html.encode(), page.text_js.encode(), page.summary, page.date_de
    return page


def _issue_pages(
    plan: Plan, site: Site, site_key: str, stats: _Stats, published: list[Entry], window: set[int],
    workers: Workers, progress: Progress | None,
) -> tuple[int, list[Finding]]:  # fmt: skip
    """Render the pages whose inputs moved: their source, the neighbours' numbers and titles, or the
    size or time of an image they show (its width and height are on the page)."""
    findings: list[Finding] = []
    jobs, owners, keys = [], [], []
    for i, entry in enumerate(published):
        prev = Neighbour(published[i - 1].number, published[i - 1].title) if i else None
        later = published[i + 1] if i + 1 < len(published) else None
        next_ = Neighbour(later.number, later.title) if later else None
        # Neighbours as one string each: a JSON dict each made these keys a tenth of a no-op rebuild.
        inputs = (site_key, entry.source, prev and prev.key(), next_ and next_.key())
        key = mf.digest(*inputs, _image_stats(stats, entry.summary))
        feed = entry.number in window
        stale = plan.wanted(f"{entry.number}/index.html", key) | plan.wanted(f"{entry.number}/text.js", key)
        unindexed = plan.postings.versions.get(entry.number) != entry.source  # its words are not cached
        if stale or unindexed or entry.summary is None or (feed and not entry.summary.feed):
            try:
                jobs.append((entry.parsed(), site, prev, next_, feed))
                owners.append(entry)
                keys.append(inputs)
            except PipelineError as exc:
                findings += exc.findings
        elif not feed:
            entry.summary.feed = ""  # out of the feed: no need to keep its HTML in the manifest
    # Four pages a trip, not sixteen: a last chunk of sixteen pages left one core idle for a third
    # of a second at the end of a full build.
    for entry, inputs, page in zip(owners, keys, workers.map(_render_job, jobs, progress, chunk=4), strict=True):
        if isinstance(page, list):
            findings += page
            continue
        html, text, entry.summary, entry.date_de = page
        plan.contents[f"{entry.number}/index.html"] = html
        plan.contents[f"{entry.number}/text.js"] = text
        # Keyed by the images this render found (the summary before it may have had none).
        key = mf.digest(*inputs, _image_stats(stats, entry.summary))
        plan.outputs[f"{entry.number}/index.html"] = plan.outputs[f"{entry.number}/text.js"] = key
    return len(jobs), findings


class _Stats(dict):
    """rel → [size, mtime_ns] of an image in issues/ ([] for a missing one), each read once per build."""

    def __init__(self, issues_dir: Path) -> None:
        super().__init__()
        self.issues_dir = issues_dir

    def __missing__(self, rel: str) -> list[int]:
        try:
            stat = (self.issues_dir / rel).stat()
            seen = [stat.st_size, stat.st_mtime_ns]
        except OSError:
            seen = []
        self[rel] = seen
        return seen


def _image_stats(stats: _Stats, summary: Summary | None) -> list[list[int]] | None:
    """[size, mtime_ns] of each image a page shows (as `_images` keeps them), [] for a missing one."""
    return None if summary is None else [stats[rel] for rel in summary.images]


def _images(
    config: Config, published: list[Entry], known: dict[str, list[int]], rendered: set[int], stats: _Stats
) -> tuple[dict[str, list[int]], list[Finding]]:
    """Images the published issues use: rel → [size, mtime_ns]; missing ones are warned about,
    refused ones (outside the project, not a raster image, too big, cut off) are errors.

    Where and how big is checked on every run; the content type only when the file changed since
    the last build (`known`), so a no-op rebuild of a site with many images stays fast. Whether its
    pixels decode was asked where the page was rendered (`rendered`, issue numbers); a changed image
    of a page not rendered again is decoded here.
    """
    images: dict[str, list[int]] = {}
    findings = []
    for entry in published:
        for rel in entry.summary.images if entry.summary else []:
            name = display_path(entry.path)
            first = rel.split("/", 1)[0]
            if first in RESERVED or first.isdigit():
                findings.append(Finding(name, 0, "archive-image", f"image path {rel} would overwrite archive pages"))
                continue
            seen = stats[rel]
            changed = known.get(rel) != seen
            problem = inspect(config.root, config.issues_dir, rel, content=changed)
            if problem is None and changed and entry.number not in rendered:
                image = LocalImage(rel, rel, 0)
                if undecodable([image], config.issues_dir, {}):
                    problem = Problem("img-broken", broken_message(image))
            if problem is not None and problem.rule == "img-missing":
                findings.append(Finding(name, 0, "img-missing", f"image {rel} not found in issues/", WARNING))
            elif problem is not None:
                findings.append(Finding(name, 0, problem.rule, problem.message))  # never published
            else:
                images[rel] = seen
    return images, findings


def _aggregates(
    plan: Plan, config: Config, site: Site, site_key: str, published: list[Entry], window: set[int]
) -> None:
    """Index, search index, feed, sitemap and the shared files, when their inputs moved."""
    out = plan.contents
    newest = published[::-1]
    every = mf.digest(site_key, [(e.name, e.source) for e in published])
    if plan.wanted("index.html", every):
        years = [(year, list(group)) for year, group in groupby(newest, key=lambda e: e.date.year)]
        context = site.context("") | {"years": years, "count": len(published), "url": f"{site.base_url}/"}
        out["index.html"] = render_page(site.layouts, "archive-index.html.j2", context, site.key)
    if plan.wanted("search-index.js", every):
        docs = {e.number: (e.source, e.summary.words if e.summary else "") for e in published}
        plan.postings.update(docs, previous=_indexed_words(plan))
        plan.search_changed = True
        docs = (SearchDoc(e.number, e.title, e.date_de) for e in newest)
        out["search-index.js"] = search_index_js(docs, plan.postings)
    # The sitemap holds only numbers and dates: an edited text need not rebuild it.
    if plan.wanted("sitemap.xml", mf.digest(site_key, [(e.number, e.date.isoformat()) for e in published])):
        urls = [(f"{site.base_url}/", newest[0].date if newest else None)]
        out["sitemap.xml"] = sitemap_xml(urls + [(site.issue_url(e.number), e.date) for e in newest])
    in_feed = [e for e in newest if e.number in window]
    changed = {e.name: plan.changes.get(e.name, ["", ""])[1] for e in in_feed}
    if plan.wanted("feed.xml", mf.digest(site_key, [(e.name, e.source, changed[e.name]) for e in in_feed])):
        entries = [
            FeedEntry(
                e.number, e.title, e.date, site.issue_url(e.number), e.summary.description, e.summary.feed,
                dt.datetime.fromisoformat(changed[e.name]) if changed[e.name] else None,
            )
            for e in in_feed
            if e.summary
        ]  # fmt: skip
        out["feed.xml"] = atom_feed(
            name=site.title, description=site.description, language=site.language, base_url=site.base_url,
            author=site.name, entries=entries,
        )  # fmt: skip
    if plan.wanted("archive.css", site_key):
        out["archive.css"] = render_page(site.layouts, "archive.css.j2", {"brand": site.brand}, site.key)
    if plan.wanted("search.js", site_key):
        try:
            out["search.js"] = (config.layouts_dir / "archive-search.js").read_bytes()
        except OSError:
            raise PipelineError(
                Finding("layouts/archive-search.js", 0, "layout-missing", "layout file not found")
            ) from None
    if plan.wanted("404.html", site_key):
        css = Markup(render_page(site.layouts, "archive.css.j2", {"brand": site.brand}, site.key))
        context = site.context(f"{site.base_url}/") | {"inline_css": css, "url": f"{site.base_url}/404.html"}
        out["404.html"] = render_page(site.layouts, "archive-404.html.j2", context, site.key)


def _indexed_words(plan: Plan) -> Callable[[int], str | None]:
    """The words an issue had when the last build indexed it, read back from its text.js and the
    cached title and tags (search.Postings checks them against their digest before use)."""
    versions = plan.postings.versions
    cached = {d["number"]: d for d in plan.old.issues.values() if versions.get(d.get("number")) == d.get("source")}

    def words(number: int) -> str | None:
        data = cached.get(number)
        if data is None:
            return None
        try:
            script = (plan.target / str(number) / "text.js").read_text("utf-8")
        except (OSError, ValueError):
            return None
        text = read_text_js(script, number)
        if text is None:
            return None
        return search_words(data["title"], data["tags"], [text])

    return words


def _write(plan: Plan, new: mf.Manifest, root: Path, issues_dir: Path, result: ArchiveResult) -> None:
    """Phase 2. The old manifest goes first, so an interrupted build is redone in full next time."""
    target = result.out
    stale = sorted(set(plan.old.outputs) - set(plan.outputs))
    copies = [
        rel for rel, stat in new.images.items() if plan.old.images.get(rel) != stat or not (target / rel).is_file()
    ]
    gone = sorted(set(plan.old.images) - set(new.images))
    if plan.contents or stale or copies or gone:
        (target / mf.NAME).unlink(missing_ok=True)
    contents = sorted(plan.contents.items())

    def write(item: tuple[str, str | bytes]) -> bool:
        return write_atomic(target / item[0], item[1], root=target)

    # Thousands of pages: the kernel's part of writing them (most of it) runs on every core.
    threads = WRITERS if len(contents) >= PARALLEL_MIN else 1
    with ThreadPoolExecutor(threads) as pool:
        for (path, _), wrote in zip(contents, pool.map(write, contents), strict=True):
            if wrote:
                result.written.append(target / path)
    for rel in copies:
        data = read_image(root, issues_dir, rel)
        if data is None:
            raise OSError(f"image {rel} changed while the archive was built")
        if write_atomic(target / rel, data, root=target):
            result.written.append(target / rel)
    for rel in stale + gone:
        if _remove(target, rel):
            result.removed.append(target / rel)
    write_atomic(target / mf.NAME, new.to_json(), root=target)


def _remove(target: Path, rel: str) -> bool:
    """Delete one file an earlier build wrote, and its folders once they are empty."""
    path = target / rel
    if not path.resolve().is_relative_to(target):
        return False
    existed = path.is_file()
    path.unlink(missing_ok=True)
    folder = path.parent
    while folder != target and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
    return existed
