"""What the preview shows: the last good render of every issue, the current errors, an epoch.

The build thread writes it, the HTTP threads read it. Every change bumps the epoch and wakes
the event streams (MkDocs' livereload model), so a browser tab only ever waits on one condition.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.errors import Finding


@dataclass(frozen=True)
class IssueView:
    """One issue as the preview knows it; `html` stays the last good render when a build fails."""

    stem: str
    path: Path
    number: int | None = None
    title: str = ""
    date: dt.date | None = None
    draft: bool = False
    html: str | None = None  # preview copy: image URLs point at this server
    text: str | None = None
    bytes: int = 0
    budget: int = 0  # the clip budget the bytes were measured against
    images: frozenset[str] = frozenset()  # image paths below outbox/<stem>/ the server may send
    out_dir: Path | None = None
    warnings: tuple[Finding, ...] = ()
    errors: tuple[Finding, ...] = ()  # of the latest attempt; empty after a good build
    version: int = 0  # bumps whenever html or text change, so tabs know to reload the frames
    ms: float = 0.0

    def failed(self, errors: tuple[Finding, ...]) -> IssueView:
        """Keep the last good render, remember why the new one failed."""
        return replace(self, errors=errors)


@dataclass
class PreviewState:
    """Thread-safe holder; readers get immutable IssueViews."""

    issues: dict[str, IssueView] = field(default_factory=dict)
    errors: tuple[Finding, ...] = ()  # project-wide: the config cannot be read
    epoch: int = field(default_factory=lambda: time.time_ns() // 1_000_000)  # new per run: tabs notice a restart
    closed: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def get(self, stem: str) -> IssueView | None:
        with self._cond:
            return self.issues.get(stem)

    def views(self) -> list[IssueView]:
        """Newest first; issues that never loaded (no number) on top, they need attention."""
        with self._cond:
            views = list(self.issues.values())
        return sorted(views, key=lambda v: (v.number is not None, -(v.number or 0), v.stem))

    def publish(
        self,
        updated: list[IssueView],
        removed: Sequence[str] = (),
        errors: tuple[Finding, ...] | None = None,
    ) -> int:
        """Apply one rebuild's results at once and wake every waiting tab; returns the new epoch."""
        with self._cond:
            for view in updated:
                self.issues[view.stem] = view
            for stem in removed:
                self.issues.pop(stem, None)
            if errors is not None:
                self.errors = tuple(errors)
            self.epoch += 1
            self._cond.notify_all()
            return self.epoch

    def wait(self, epoch: int, timeout: float) -> int:
        """Block until the epoch differs from `epoch`, the state closes, or the timeout passes."""
        with self._cond:
            self._cond.wait_for(lambda: self.epoch != epoch or self.closed, timeout=timeout)
            return self.epoch

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
