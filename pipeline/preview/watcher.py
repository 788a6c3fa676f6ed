"""From file-system events to rebuild batches: classify, coalesce, wait for quiet.

Editors save in odd ways (temp file + rename, truncate then write, several events per save).
The watchdog callback only records *what* changed; a build thread asks `Debouncer.next_batch`,
which returns once no event arrived for `quiet` seconds. Whatever arrives during a build lands
in the next batch, so the preview always ends on the latest saved content.

A save that ends in a finished write (the file closed after writing, or a temp file renamed over
the issue) needs no 30 ms guess: it is built after a short `closed_quiet` (5 ms, enough to merge
a script's second write), which takes a fifth off the save → repaint time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from pipeline.config import CONFIG_NAME

EVERYTHING = "everything"
# Event types that can change content; opened / closed_no_write are reads.
_CHANGES = {"created", "modified", "moved", "deleted", "closed"}
_NOISE_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload")


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif"}


def is_noise(name: str) -> bool:
    """Editor droppings: hidden files, backups, swap files, Vim's `4913` write test."""
    return name.startswith((".", "#")) or name.endswith(_NOISE_SUFFIXES) or name == "4913"


def classify(path: Path, root: Path) -> Path | str | None:
    """An issue path to rebuild, EVERYTHING (config, layouts, images), or None for noise."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return None
    parts = rel.parts
    if not parts or any(is_noise(p) for p in parts):
        return None
    if parts == (CONFIG_NAME,):
        return EVERYTHING
    if parts[0] == "layouts" and len(parts) > 1:
        return EVERYTHING
    if parts[0] == "issues" and len(parts) > 1:
        if len(parts) == 2 and rel.suffix == ".md":
            return path if not parts[1].startswith("_") else None
        if rel.suffix.lower() in IMAGE_SUFFIXES:
            return EVERYTHING  # an image: any issue may show it
        # anything else (sed's and other tools' suffix-less temp files) changes no output
    return None


@dataclass(frozen=True)
class Batch:
    """What one rebuild must cover."""

    issues: frozenset[Path] = frozenset()
    everything: bool = False


@dataclass
class Pending:
    """Changes seen since the last batch; pure, so the timing rules can be tested with numbers."""

    issues: set[Path] = field(default_factory=set)
    everything: bool = False
    first: float | None = None
    last: float | None = None
    closed: bool = False  # the latest event finished a write (closed, or renamed into place)

    def add(self, change: Path | str, now: float, closed: bool = False) -> None:
        if change == EVERYTHING:
            self.everything = True
        else:
            self.issues.add(Path(change))
        self.first = now if self.first is None else self.first
        self.last = now
        self.closed = closed

    def __bool__(self) -> bool:
        return self.everything or bool(self.issues)

    def due(self, now: float, quiet: float, longest: float, closed_quiet: float | None = None) -> float | None:
        """Seconds still to wait (0 = build now), None when nothing is pending.

        Quiet for `quiet` seconds (`closed_quiet` when the latest event finished a write), or
        pending for `longest` (a file written non-stop must still show).
        """
        if not self or self.last is None or self.first is None:
            return None
        if self.closed and closed_quiet is not None:
            quiet = min(quiet, closed_quiet)
        return max(0.0, min(self.last + quiet, self.first + longest) - now)

    def take(self) -> Batch:
        batch = Batch(frozenset(self.issues), self.everything)
        self.issues, self.everything, self.first, self.last, self.closed = set(), False, None, None, False
        return batch


class Debouncer:
    """Thread-safe front of `Pending`: `record` from watchdog, `next_batch` from the build thread."""

    def __init__(
        self,
        quiet: float = 0.03,
        longest: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        closed_quiet: float = 0.005,
    ):
        self.quiet, self.longest, self.clock, self.closed_quiet = quiet, longest, clock, closed_quiet
        self._pending = Pending()
        self._cond = threading.Condition()
        self._closed = False

    def record(self, change: Path | str, closed: bool = False) -> None:
        with self._cond:
            self._pending.add(change, self.clock(), closed)
            self._cond.notify_all()

    def next_batch(self, timeout: float | None = None) -> Batch | None:
        """Block until changes have settled; None once closed (or when `timeout` passes idle)."""
        deadline = None if timeout is None else self.clock() + timeout
        with self._cond:
            while not self._closed:
                wait = self._pending.due(self.clock(), self.quiet, self.longest, self.closed_quiet)
                if wait == 0:
                    return self._pending.take()
                if wait is None and deadline is not None:
                    wait = deadline - self.clock()
                    if wait <= 0:
                        return None
                self._cond.wait(timeout=wait)
            return None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, debouncer: Debouncer):
        self.root, self.debouncer = root, debouncer

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return
        if event.is_directory and event.event_type != "moved":
            return  # a directory "modified" fires for every file saved in it
        paths = [event.src_path, getattr(event, "dest_path", "")]
        for i, raw in enumerate(paths):
            if not raw:
                continue
            raw = raw.decode() if isinstance(raw, bytes) else raw
            change = classify(Path(raw), self.root)
            if event.is_directory and change is not None:
                change = EVERYTHING  # e.g. issues/images renamed
            if change is not None:
                # A finished write of an issue: closed after writing, or renamed into place (dest).
                finished = event.event_type == "closed" or (event.event_type == "moved" and i == 1)
                self.debouncer.record(change, closed=finished and isinstance(change, Path))


def watch(root: Path, debouncer: Debouncer) -> Observer:
    """Start a watchdog observer on issues/, layouts/ and newsletter.toml; the caller stops it."""
    root = root.resolve()
    observer = Observer(timeout=0.1)
    handler = _Handler(root, debouncer)
    observer.schedule(handler, str(root), recursive=False)  # newsletter.toml; classify drops the rest
    for folder in ("issues", "layouts"):
        if (root / folder).is_dir():
            observer.schedule(handler, str(root / folder), recursive=True)
    observer.daemon = True
    observer.start()
    return observer
