"""The archive's view of `issues/`: which files changed, their metadata, and a pool to parse them.

An `Entry` is one issue file, either taken from the manifest's cache (no parsing) or freshly
parsed with the project's own reader, so front-matter problems read exactly as in `build`.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from pipeline.archive.manifest import digest
from pipeline.archive.pages import Summary
from pipeline.errors import Finding, PipelineError, display_path
from pipeline.load import MAX_BYTES, decode, issue_paths, parse_issue, too_big
from pipeline.model import Issue

PARALLEL_MIN = 48  # below this many items a process pool costs more than it saves

Progress = Callable[[int, int], None]


@dataclass
class Entry:
    """One issue file as this build sees it."""

    name: str  # file name in issues/, the manifest's key
    path: Path
    source: str  # content hash
    stat: list[int]  # [size, mtime_ns] of the hashed content
    number: int
    title: str
    date: dt.date
    draft: bool
    number_line: int
    tags: list[str]
    date_de: str = ""
    summary: Summary | None = None
    issue: Issue | None = None
    refreshed: bool = False  # read and hashed this time: the manifest must learn its new stat

    def cached(self) -> dict:
        summary = self.summary and {
            "teaser": self.summary.teaser, "description": self.summary.description,
            "words": "",  # they live in the manifest's inverted index
            "images": self.summary.images, "feed": self.summary.feed,
        }  # fmt: skip
        return {
            "source": self.source, "stat": self.stat, "number": self.number, "title": self.title,
            "date": self.date.isoformat(), "draft": self.draft, "number_line": self.number_line, "tags": self.tags,
            "date_de": self.date_de, "summary": summary,
        }  # fmt: skip

    @classmethod
    def from_cache(cls, name: str, path: Path, data: dict) -> Entry:
        fields = dict(data, date=dt.date.fromisoformat(data["date"]))
        fields["summary"] = Summary(**data["summary"]) if data.get("summary") else None
        return cls(name=name, path=path, **fields)

    @classmethod
    def from_issue(cls, issue: Issue, source: str, stat: list[int]) -> Entry:
        meta = issue.meta
        return cls(
            name=issue.path.name, path=issue.path, source=source, stat=stat, number=meta.number, title=meta.title,
            date=meta.date, draft=meta.draft, number_line=issue.line_of("number"), tags=list(meta.tags), issue=issue,
            refreshed=True,
        )  # fmt: skip

    def parsed(self) -> Issue:
        """The full issue, read again when it came from the cache; raises PipelineError if unreadable."""
        if self.issue is None:
            try:
                raw = self.path.read_bytes()
            except OSError as exc:
                raise PipelineError(
                    Finding(display_path(self.path), 0, "file-read", f"cannot read: {exc.strerror}")
                ) from None
            issue, found = parse_file((self.path, raw))
            if issue is None:
                raise PipelineError(found)
            self.issue = issue
        return self.issue


def parse_file(job: tuple[Path, bytes]) -> tuple[Issue | None, list[Finding]]:
    path, raw = job
    text, _ = decode(raw, "")  # the file's display name (a realpath of the cwd) only when needed
    if text is None:
        return None, decode(raw, display_path(path))[1]
    return parse_issue(text, path)


def read_and_parse(path: Path) -> tuple[Issue | None, list[Finding], str]:
    """A worker's part of a scan: read, hash and parse one file. In the parent, reading and
    hashing a thousand files (27 MB) was a third of a second on one core while the other waited."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Finding(display_path(path), 0, "file-read", f"cannot read: {exc.strerror}")], ""
    issue, found = parse_file((path, raw))
    return issue, found, digest(raw)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Worker initializer: a killed `krasse archive` (even SIGKILL) takes its workers with it.

    Linux sends the signal asked for with prctl when the parent goes; elsewhere (and as a second
    line) a daemon thread notices that the parent changed and ends the worker.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


class Workers:
    """Markdown parsing dominates a full build: spread it over every core when there is enough.

    The pool starts on first use with many items (fork: workers inherit the loaded modules).
    Workers end with the parent, however it ends (see `_die_with_parent`).
    """

    def __init__(self) -> None:
        self.count = min(os.cpu_count() or 1, 8)
        self.pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable, items: list, progress: Progress | None = None, chunk: int = 16) -> list:
        """`fn` over `items` in order; `chunk` items per trip to a worker at most (small for slow items:
        the last chunk to finish decides when the pass ends)."""
        if len(items) >= PARALLEL_MIN and self.count > 1 and "fork" in multiprocessing.get_all_start_methods():
            if self.pool is None:
                self.pool = ProcessPoolExecutor(
                    self.count,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_die_with_parent,
                    initargs=(os.getpid(),),
                )
            iterator = self.pool.map(fn, items, chunksize=max(1, min(chunk, len(items) // (self.count * 8))))
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


def scan(issues_dir: Path, cache: dict[str, dict], workers: Workers) -> tuple[list[Entry], list[Finding]]:
    """Every issue file; parsed only when its content hash is not in the cache.

    Like make and git, an unchanged size and modification time stand for unchanged content,
    so a no-op rebuild does not even read the files.
    """
    entries: list[Entry] = []
    findings: list[Finding] = []
    fresh: list[Path] = []  # read, hashed and parsed by the workers
    for path in issue_paths(issues_dir):
        data = cache.get(path.name)
        try:
            stat = path.stat()
            seen = [stat.st_size, stat.st_mtime_ns]
            if data and data.get("stat") == seen:
                entries.append(Entry.from_cache(path.name, path, data))
                continue
            if stat.st_size > MAX_BYTES:  # refused without reading it
                findings.append(too_big(display_path(path), stat.st_size))
                continue
            if not data:  # nothing to compare with: straight to a worker
                fresh.append(path)
                continue
            raw = path.read_bytes()
        except OSError as exc:
            findings.append(Finding(display_path(path), 0, "file-read", f"cannot read: {exc.strerror}"))
            continue
        if data.get("source") == digest(raw):
            entries.append(Entry.from_cache(path.name, path, dict(data, stat=seen, refreshed=True)))
        else:
            fresh.append(path)
    for path, (issue, found, source) in zip(fresh, workers.map(read_and_parse, fresh), strict=True):
        findings.extend(found)
        if issue is not None:
            stat = path.stat()
            entries.append(Entry.from_issue(issue, source, [stat.st_size, stat.st_mtime_ns]))
    return entries, findings


def duplicates(entries: list[Entry]) -> list[Finding]:
    """Numbers are permalinks: two files with one number is an error on both."""
    found = []
    for number, same in groupby(sorted(entries, key=lambda e: (e.number, e.name)), key=lambda e: e.number):
        group = list(same)
        if len(group) > 1:
            names = ", ".join(display_path(e.path) for e in group)
            found += [
                Finding(display_path(e.path), e.number_line, "dup-number", f"number: {number} is used by {names}")
                for e in group
            ]
    return found
