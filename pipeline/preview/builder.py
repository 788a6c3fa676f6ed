"""One rebuild: the real `build_one` for each issue of a batch, results into the preview state.

Nothing here may kill the watcher: every issue is built inside its own try, and anything
unexpected becomes a finding on that issue (and a logged traceback) instead of an exception.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

from pipeline.build import Built, build_one, load_issues
from pipeline.config import Config, load_config
from pipeline.errors import Finding, PipelineError, absolute, display_path
from pipeline.load import issue_paths
from pipeline.mail.tags import in_start_tags
from pipeline.model import Issue
from pipeline.preview.state import IssueView, PreviewState
from pipeline.preview.watcher import Batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the terminal prints for one issue of one rebuild."""

    stem: str
    ms: float
    bytes: int = 0
    warnings: int = 0
    errors: tuple[Finding, ...] = ()
    removed: bool = False


def preview_html(html: str, base_url: str, images: frozenset[str], stem: str) -> str:
    """Point the email's image URLs at this server instead of the not-yet-published archive.

    Only in tags: the same URL written as text is shown as the reader will read it.
    """
    moves = [(f"{base_url}/{quote(rel)}", f"/issue/{quote(stem)}/files/{quote(rel)}") for rel in images]
    moves.sort(key=lambda move: len(move[0]), reverse=True)

    def local(tag: str) -> str:
        for old, new in moves:
            tag = tag.replace(old, new)
        return tag

    return in_start_tags(html, local) if moves else html


def _view(old: IssueView | None, built: Built, config: Config, ms: float) -> IssueView:
    issue = built.issue
    errors = tuple(f for f in built.findings if f.is_error)
    base = old or IssueView(stem=issue.stem, path=issue.path)
    base = replace(
        base,
        path=issue.path,
        number=issue.number,
        title=issue.meta.title,
        date=issue.meta.date,
        draft=issue.meta.draft,
        ms=ms,
    )
    if built.email is None or built.rendered is None or errors:
        return base.failed(errors or (Finding(display_path(issue.path), 0, "build", "no email was produced"),))
    images = frozenset(i.rel for i in built.rendered.images if i.safe)
    html = preview_html(built.email.html, config["newsletter.base_url"], images, issue.stem)
    changed = html != base.html or built.email.text != base.text
    return replace(
        base,
        html=html,
        text=built.email.text,
        bytes=built.email.bytes,
        budget=config["email.clip_budget"],
        images=images,
        out_dir=built.out_dir,
        warnings=tuple(f for f in built.findings if not f.is_error),
        errors=(),
        version=base.version + 1 if changed else base.version,
    )


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class Builder:
    """Turns batches into IssueViews; keeps the last good config for issue-only rebuilds."""

    def __init__(self, root: Path, state: PreviewState):
        self.root = root
        self.state = state
        self.config: Config | None = None

    def run(self, batch: Batch) -> list[Outcome]:
        """Rebuild what the batch names, publish it, report it. Never raises."""
        start = time.perf_counter()
        try:
            return self._run(batch)
        except Exception as exc:  # the watcher must survive anything
            log.exception("preview rebuild failed")
            finding = Finding("krasse watch", 0, "preview-internal", f"{type(exc).__name__}: {exc}")
            self.state.publish([], errors=(finding,))
            return [Outcome("*", (time.perf_counter() - start) * 1000, errors=(finding,))]

    def _run(self, batch: Batch) -> list[Outcome]:
        global_errors: tuple[Finding, ...] | None = None
        if batch.everything or self.config is None:
            try:
                self.config = load_config(self.root)
                global_errors = ()
            except PipelineError as exc:
                self.config = None
                self.state.publish([], errors=tuple(exc.findings))
                return [Outcome("newsletter.toml", 0.0, errors=tuple(exc.findings))]
            paths = issue_paths(self.config.issues_dir)
            gone = [v.stem for v in self.state.views() if v.path not in {absolute(p) for p in paths}]
        else:
            paths = sorted(batch.issues)
            gone = []
        config = self.config
        # Absolute, not resolved: a linked `.md` keeps the name the author gave it, as in `build`.
        existing = [absolute(p) for p in paths if p.is_file()]
        gone += [p.stem for p in paths if not p.is_file()]
        loaded = load_issues(config, existing, drafts=True) if existing else None
        by_path = {i.path: i for i in loaded.issues} if loaded else {}
        load_errors: dict[str, list[Finding]] = {}
        for f in loaded.findings if loaded else []:
            load_errors.setdefault(f.file, []).append(f)
        outcomes = [Outcome(stem, 0.0, removed=True) for stem in gone]
        if global_errors is None and all(f.rule == "preview-internal" for f in self.state.errors):
            global_errors = ()  # a rebuild that got this far clears an earlier internal failure
        # The file just saved is what the author looks at: build and show it first, then the rest,
        # most recently changed first. Budgets keep any one file from taking more than moments.
        saved = {absolute(p) for p in batch.issues}
        first = [p for p in existing if p in saved]
        rest = sorted((p for p in existing if p not in saved), key=_mtime, reverse=True)
        for group in [g for g in (first, rest) if g] or [[]]:
            views: list[IssueView] = []
            for path in group:
                view, outcome = self._one(path, by_path.get(path), load_errors.get(display_path(path), []), config)
                views.append(view)
                outcomes.append(outcome)
            self.state.publish(views, removed=gone, errors=global_errors)
            gone, global_errors = [], None
        return outcomes

    def _one(self, path: Path, issue: Issue | None, found: list[Finding], config: Config) -> tuple[IssueView, Outcome]:
        start = time.perf_counter()
        old = self.state.get(path.stem) or IssueView(stem=path.stem, path=path)
        try:
            if issue is None:
                errors = tuple(f for f in found if f.is_error) or (
                    Finding(display_path(path), 0, "load", "the issue could not be read"),
                )
                ms = (time.perf_counter() - start) * 1000
                return old.failed(errors), Outcome(path.stem, ms, errors=errors)
            built = build_one(issue, config)
            ms = (time.perf_counter() - start) * 1000
            view = _view(old, built, config, ms)
            return view, Outcome(path.stem, ms, view.bytes, len(view.warnings), view.errors)
        except Exception as exc:  # a bug in one stage must not stop the others
            log.exception("building %s failed", path.name)
            errors = (Finding(display_path(path), 0, "preview-internal", f"{type(exc).__name__}: {exc}"),)
            return old.failed(errors), Outcome(path.stem, (time.perf_counter() - start) * 1000, errors=errors)
