"""`krasse archive`: every published issue as a static, searchable web site with a feed.

Two phases (Pelican's rule): first read every issue and render every output that must change,
in memory; only when nothing failed, write. A broken issue or layout therefore leaves the last
good site exactly as it was. The manifest decides what "must change": an output is rendered
again only when the hash of its inputs moved or the file is gone.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import groupby
from pathlib import Path

from markupsafe import Markup

from pipeline.archive import manifest as mf
from pipeline.archive.feed import FeedEntry, atom_feed, sitemap_xml
from pipeline.archive.pages import IssuePage, Neighbour, Site, Summary, render_issue_safely, render_page
from pipeline.archive.search import SearchDoc, search_index_js
from pipeline.config import Config
from pipeline.errors import WARNING, Finding, PipelineError, display_path, has_errors
from pipeline.load import decode, issue_paths, parse_issue
from pipeline.model import Issue
from pipeline.output import write_atomic

PARALLEL_MIN = 48  # below this many pages a process pool costs more than it saves
RESERVED = {"index.html", "404.html", "feed.xml", "sitemap.xml", "search-index.js", "search.js", "archive.css",
            mf.NAME}  # fmt: skip

Progress = Callable[[int, int], None]


@dataclass
class Entry:
    """One issue file as this build sees it: from the manifest's cache or freshly parsed."""

    name: str
    path: Path
    raw: bytes
    source: str
    number: int
    title: str
    date: dt.date
    draft: bool
    number_line: int
    tags: list[str]
    date_de: str = ""
    summary: Summary | None = None
    issue: Issue | None = None

    def cached(self) -> dict:
        return {
            "source": self.source, "number": self.number, "title": self.title, "date": self.date.isoformat(),
            "draft": self.draft, "number_line": self.number_line, "tags": self.tags, "date_de": self.date_de,
            "summary": asdict(self.summary) if self.summary else None,
        }  # fmt: skip

    @classmethod
    def from_cache(cls, name: str, path: Path, raw: bytes, data: dict) -> Entry:
        summary = Summary(**data["summary"]) if data.get("summary") else None
        return cls(name, path, raw, data["source"], data["number"], data["title"], dt.date.fromisoformat(data["date"]),
                   data["draft"], data["number_line"], list(data["tags"]), data.get("date_de", ""), summary)  # fmt: skip

    @classmethod
    def from_issue(cls, issue: Issue, raw: bytes, source: str) -> Entry:
        meta = issue.meta
        return cls(issue.path.name, issue.path, raw, source, meta.number, meta.title, meta.date, meta.draft,
                   issue.line_of("number"), list(meta.tags), issue=issue)  # fmt: skip

    def parsed(self) -> Issue:
        if self.issue is None:
            text, _ = decode(self.raw, display_path(self.path))
            issue, found = parse_issue(text or "", self.path)
            if issue is None:
                raise PipelineError(found)
            self.issue = issue
        return self.issue


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


def output_dir(config: Config, out: Path | None) -> Path:
    """The site folder; refuses folders that hold (or are inside) the project's sources."""
    target = (out if out is not None else config.root / config["archive.out"]).resolve()
    root = config.root.resolve()
    for source in (root, config.issues_dir.resolve(), config.layouts_dir.resolve()):
        if target == source or source.is_relative_to(target) or target.is_relative_to(config.issues_dir.resolve()):
            raise PipelineError(
                Finding("newsletter.toml", 0, "archive-out", f"refusing to build the archive into {target}: "
                        "it holds the project's sources; choose a folder like outbox/archive")
            )  # fmt: skip
    return target


def _parse_job(job: tuple[Path, bytes]) -> tuple[Issue | None, list[Finding]]:
    path, raw = job
    text, found = decode(raw, display_path(path))
    if text is None:
        return None, found
    return parse_issue(text, path)


def scan(config: Config, cache: dict[str, dict], workers: Workers) -> tuple[list[Entry], list[Finding]]:
    """Every issue file: hashed; parsed only when its hash is not in the cache."""
    entries: list[Entry] = []
    findings: list[Finding] = []
    fresh: list[tuple[Path, bytes]] = []
    for path in issue_paths(config.issues_dir):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            findings.append(Finding(display_path(path), 0, "file-read", f"cannot read: {exc.strerror}"))
            continue
        data = cache.get(path.name)
        if data and data.get("source") == mf.digest(raw):
            entries.append(Entry.from_cache(path.name, path, raw, data))
        else:
            fresh.append((path, raw))
    for (_, raw), (issue, found) in zip(fresh, workers.map(_parse_job, fresh), strict=True):
        findings.extend(found)
        if issue is not None:
            entries.append(Entry.from_issue(issue, raw, mf.digest(raw)))
    return entries, findings


def duplicates(entries: list[Entry]) -> list[Finding]:
    found = []
    for number, same in groupby(sorted(entries, key=lambda e: (e.number, e.name)), key=lambda e: e.number):
        group = list(same)
        if len(group) > 1:
            names = ", ".join(display_path(e.path) for e in group)
            found += [Finding(display_path(e.path), e.number_line, "dup-number", f"number: {number} is used by {names}")
                      for e in group]  # fmt: skip
    return found


def _render_job(job: tuple) -> IssuePage | list[Finding]:
    return render_issue_safely(*job)


class Workers:
    """Markdown parsing dominates a full build: spread it over every core when there is enough.

    The pool starts on first use with many items (fork: workers inherit the loaded modules).
    """

    def __init__(self) -> None:
        self.count = min(os.cpu_count() or 1, 8)
        self.pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable, items: list, progress: Progress | None = None) -> list:
        if len(items) >= PARALLEL_MIN and self.count > 1 and "fork" in multiprocessing.get_all_start_methods():
            if self.pool is None:
                self.pool = ProcessPoolExecutor(self.count, mp_context=multiprocessing.get_context("fork"))
            iterator = self.pool.map(fn, items, chunksize=max(1, min(16, len(items) // (self.count * 8))))
        else:
            iterator = map(fn, items)
        results = []
        for result in iterator:
            results.append(result)
            if progress:
                progress(len(results), len(items))
        return results

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _neighbour(entry: Entry | None) -> Neighbour | None:
    return Neighbour(entry.number, entry.title) if entry else None


def build_archive(
    config: Config, out: Path | None = None, drafts: bool = False, progress: Progress | None = None
) -> ArchiveResult:
    """Build or update the site; returns findings instead of raising for bad input."""
    start = time.perf_counter()
    try:
        target = output_dir(config, out)
    except PipelineError as exc:
        return ArchiveResult(out or config.root, exc.findings)
    with Workers() as workers:
        return _build(config, target, drafts, progress, workers, start)


def _build(config: Config, target: Path, drafts: bool, progress: Progress | None, workers: Workers, start: float
           ) -> ArchiveResult:  # fmt: skip
    """Phase 1 renders what changed into memory; phase 2 writes only if phase 1 found no error."""
    result = ArchiveResult(target)
    old = mf.load(target)
    site_key = mf.site_hash(config)
    site = Site.from_config(config)
    entries, found = scan(config, old.issues if old.site == site_key else {}, workers)
    result.findings += found
    published = sorted((e for e in entries if drafts or not e.draft), key=lambda e: e.number)
    result.findings += duplicates(published)
    if has_errors(result.findings):
        return _done(result, start)
    result.issues = len(published)
    window = {e.number for e in published[-config["archive.feed_entries"] :]}

    # Phase 1: decide and render, in memory.
    outputs: dict[str, str] = {}  # path → input hash, for the new manifest
    contents: dict[str, str | bytes] = {}  # path → content, only for outputs that must be written

    def wanted(path: str, key: str) -> bool:
        outputs[path] = key
        return old.outputs.get(path) != key or not (target / path).is_file()

    jobs, jobs_for = [], []
    for i, entry in enumerate(published):
        prev = _neighbour(published[i - 1] if i else None)
        next_ = _neighbour(published[i + 1] if i + 1 < len(published) else None)
        key = mf.digest(site_key, entry.source, prev and asdict(prev), next_ and asdict(next_))
        page, text = f"{entry.number}/index.html", f"{entry.number}/text.js"
        feed = entry.number in window
        stale = wanted(page, key) | wanted(text, key)
        if stale or entry.summary is None or (feed and not entry.summary.feed):
            try:
                jobs.append((entry.parsed(), site, prev, next_, feed))
                jobs_for.append(entry)
            except PipelineError as exc:
                result.findings += exc.findings
        elif not feed and entry.summary.feed:
            entry.summary.feed = ""  # left the feed: no need to keep its HTML
    for entry, page in zip(jobs_for, workers.map(_render_job, jobs, progress), strict=True):
        if isinstance(page, list):
            result.findings += page
            continue
        entry.summary = page.summary
        contents[f"{entry.number}/index.html"] = page.html
        contents[f"{entry.number}/text.js"] = page.text_js
    result.rendered = len(jobs)
    for entry in entries:
        entry.date_de = entry.date_de or site.date_de(entry.date)
    images, image_findings = _images(config, published)
    result.findings += image_findings
    if has_errors(result.findings):
        result.findings = sorted(set(result.findings))
        return _done(result, start)

    try:
        contents |= _aggregates(config, site, site_key, published, window, wanted)
    except PipelineError as exc:
        result.findings += exc.findings
        return _done(result, start)

    # Phase 2: write. The manifest goes first, so an interrupted write is redone next time.
    stale = sorted(set(old.outputs) - set(outputs))
    copies = [rel for rel, stat in images.items() if old.images.get(rel) != stat or not (target / rel).is_file()]
    gone = sorted(set(old.images) - set(images))
    changed = bool(contents or stale or copies or gone)
    new = mf.Manifest(site_key, outputs, {e.name: e.cached() for e in entries}, images)
    try:
        if changed:
            (target / mf.NAME).unlink(missing_ok=True)
        for path, content in sorted(contents.items()):
            if write_atomic(target / path, content):
                result.written.append(target / path)
        for rel in copies:
            if write_atomic(target / rel, (config.issues_dir / rel).read_bytes()):
                result.written.append(target / rel)
        for rel in stale + gone:
            if _remove(target, rel):
                result.removed.append(target / rel)
        write_atomic(target / mf.NAME, new.to_json())
    except OSError as exc:
        result.findings.append(Finding(display_path(target), 0, "output-write", f"cannot write the archive: {exc}"))
    search = target / "search-index.js"
    result.search_bytes = search.stat().st_size if search.is_file() else 0
    return _done(result, start)


def _done(result: ArchiveResult, start: float) -> ArchiveResult:
    result.seconds = time.perf_counter() - start
    return result


def _remove(target: Path, rel: str) -> bool:
    """Delete one file we wrote before, and its folders once they are empty."""
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


def _images(config: Config, published: list[Entry]) -> tuple[dict[str, list[int]], list[Finding]]:
    """Images the published issues use: rel → [size, mtime_ns]; missing ones are warned about."""
    images: dict[str, list[int]] = {}
    findings = []
    for entry in published:
        for rel in entry.summary.images if entry.summary else []:
            name = display_path(entry.path)
            first = rel.split("/", 1)[0]
            if first in RESERVED or first.isdigit():
                findings.append(Finding(name, 0, "archive-image", f"image path {rel} would overwrite archive pages"))
                continue
            try:
                stat = (config.issues_dir / rel).stat()
            except OSError:
                findings.append(Finding(name, 0, "image-missing", f"image {rel} not found in issues/", WARNING))
                continue
            images[rel] = [stat.st_size, stat.st_mtime_ns]
    return images, findings


def _aggregates(
    config: Config, site: Site, site_key: str, published: list[Entry], window: set[int],
    wanted: Callable[[str, str], bool],
) -> dict[str, str | bytes]:  # fmt: skip
    """Index, search index, feed, sitemap and the shared files, when their inputs moved."""
    out: dict[str, str | bytes] = {}
    newest = published[::-1]
    every = mf.digest(site_key, [(e.name, e.source) for e in published])
    if wanted("index.html", every):
        years = [
            (year, list(group)) for year, group in groupby(newest, key=lambda e: e.date.year)
        ]
        context = site.context("") | {"years": years, "count": len(published), "url": f"{site.base_url}/"}
        out["index.html"] = render_page(site.layouts, "archive-index.html.j2", context)
    if wanted("search-index.js", every):
        docs = (SearchDoc(e.number, e.title, e.date_de, e.summary.words if e.summary else "") for e in newest)
        out["search-index.js"] = search_index_js(docs)
    if wanted("sitemap.xml", every):
        urls = [(f"{site.base_url}/", newest[0].date if newest else None)]
        urls += [(site.issue_url(e.number), e.date) for e in newest]
        out["sitemap.xml"] = sitemap_xml(urls)
    feed_entries = [e for e in newest if e.number in window]
    if wanted("feed.xml", mf.digest(site_key, [(e.name, e.source) for e in feed_entries])):
        entries = [
            FeedEntry(e.number, e.title, e.date, site.issue_url(e.number), e.summary.description if e.summary else "",
                      e.summary.feed if e.summary else "")
            for e in feed_entries
        ]  # fmt: skip
        out["feed.xml"] = atom_feed(
            name=site.title, description=site.description, language=site.language, base_url=site.base_url,
            author=site.name, entries=entries,
        )  # fmt: skip
    if wanted("archive.css", site_key):
        out["archive.css"] = render_page(site.layouts, "archive.css.j2", {"brand": site.brand})
    if wanted("search.js", site_key):
        script = config.layouts_dir / "archive-search.js"
        try:
            out["search.js"] = script.read_bytes()
        except OSError:
            raise PipelineError(Finding("layouts/archive-search.js", 0, "layout-missing", "layout file not found"))
    if wanted("404.html", site_key):
        css = render_page(site.layouts, "archive.css.j2", {"brand": site.brand})
        context = site.context(f"{site.base_url}/") | {"inline_css": Markup(css), "url": f"{site.base_url}/404.html"}
        out["404.html"] = render_page(site.layouts, "archive-404.html.j2", context)
    return out
