"""`krasse build`: load and validate every issue first, then render and write each one.

One bad issue is reported and skipped; the others are still built (Pelican's rule).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.budgets import html_budget
from pipeline.checks import check, check_body
from pipeline.config import Config
from pipeline.errors import Finding, PipelineError, absolute, display_path, has_errors, project_relative
from pipeline.images import copy_images
from pipeline.load import (
    body_only,
    duplicate_numbers,
    issue_from_text,
    peek,
    read_text,
    scan,
)
from pipeline.mail.compose import OUTBOX, Email, build_email
from pipeline.mail.gate import check_html, check_text
from pipeline.model import Issue
from pipeline.output import RESERVED, guard, issue_dir, remove_stale_temp, reserved_name, write_atomic
from pipeline.render import Rendered, render


@dataclass
class Loaded:
    issues: list[Issue]
    findings: list[Finding]  # problems of files that could not be loaded, and duplicates
    skipped: list[str] = field(default_factory=list)  # stems of drafts left out (no --drafts)
    checked: int = 0  # files looked at: the issues and the files that failed to load
    # Whether a file is a draft, by absolute path, where loading already told: the stale-output
    # check at the end of a build need not open those files again.
    draft_of: dict[Path, bool] = field(default_factory=dict)


def load_issues(config: Config, paths: Sequence[Path] | None = None, drafts: bool = False) -> Loaded:
    """Read the given files (default: all of issues/), keep drafts only when asked."""
    listed, names = scan(config.issues_dir, RESERVED)
    every = [absolute(p) for p in listed]
    chosen = [absolute(p) for p in paths] if paths else every
    issues: list[Issue] = []
    findings: list[Finding] = [] if paths else names
    skipped: list[str] = []
    others: list[tuple[Path, int]] = []
    draft_of: dict[Path, bool] = {}
    checked = 0
    wanted = set(chosen)
    for path in sorted(wanted | set(every)):
        if path not in wanted:
            # Numbers must be unique across the whole folder, not just the files asked for; the
            # others are not read in full, so one broken or huge file cannot slow this one down.
            number, not_draft = peek(path)
            if number is not None:
                others.append((path, number))
            if not_draft:
                draft_of[path] = False
            continue
        checked += 1  # counted whether it loads or not (drafts left out are taken off below)
        if path.stem in RESERVED:  # build could not write it: an error for check too
            findings.append(reserved_name(path))
            continue
        text, found = read_text(path)  # read once: the body checks below reuse the text
        issue = None
        if text is not None:
            issue, found = issue_from_text(text, path)
        draft_of[path] = issue is not None and issue.meta.draft
        findings.extend(found)
        broken = issue is None and any(f.rule.startswith("fm-") for f in found)
        if broken and text is not None and (partial := body_only(text, path)):
            findings.extend(check_body(partial, config))
        if issue is not None and (drafts or not issue.meta.draft or paths):
            issues.append(issue)
        elif issue is not None:
            skipped.append(issue.stem)
    dup = duplicate_numbers(issues, others)
    bad = {f.file for f in dup}
    findings.extend(dup)
    issues = [i for i in issues if display_path(i.path) not in bad]
    issues.sort(key=lambda i: i.number)
    return Loaded(issues, findings, skipped, checked - len(skipped), draft_of)


@dataclass
class Built:
    issue: Issue
    rendered: Rendered | None = None
    email: Email | None = None
    findings: list[Finding] = field(default_factory=list)
    out_dir: Path | None = None
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    kept: Path | None = None  # an error stopped the write: this earlier good output stays as it was

    @property
    def ok(self) -> bool:
        return self.email is not None and not has_errors(self.findings)


def meta_json(issue: Issue, rendered: Rendered, email: Email, config: Config, findings: list[Finding]) -> str:
    data = {
        "number": issue.number,
        "title": issue.meta.title,
        "subject": issue.meta.subject,
        "preheader": rendered.preheader,
        "date": issue.meta.date.isoformat(),
        "draft": issue.meta.draft,
        "tags": list(issue.meta.tags),
        "web_url": config.issue_url(issue.number),
        "bytes": email.bytes,
        "text_bytes": len(email.text.encode("utf-8")),
        "budget": config["email.clip_budget"],
        "items": len(rendered.html.items),
        "items_sent": email.items_sent,
        "images": [i.rel for i in rendered.images if i.safe],
        "warnings": [project_relative(f, config.root) for f in findings if not f.is_error],
        "errors": [project_relative(f, config.root) for f in findings if f.is_error],
    }
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def prepare(issue: Issue, config: Config) -> Built:
    """Render and check one issue without writing anything (check, preview and export use it)."""
    start = time.perf_counter()
    built = Built(issue)
    layouts: Path | None = None  # a stat of the folder: looked up once for the render, the gate and the lint
    try:
        built.rendered = render(
            issue, config["newsletter.base_url"], config["email.preheader_length"], config["newsletter.language"]
        )
        fragments = built.rendered.html
        too_big = html_budget(sum(map(len, fragments.items)) + sum(map(len, fragments.notes)))
        if too_big:  # refused before the layout, inlining and minifying would spend seconds on it
            raise PipelineError(Finding(display_path(issue.path), issue.body_line, "output-size", too_big))
        layouts = config.layouts_dir
        built.email = build_email(issue, config, built.rendered, layouts=layouts)
        if too_big := html_budget(built.email.bytes):  # inlined styles can multiply a table's size
            built.email = None
            raise PipelineError(Finding(display_path(issue.path), issue.body_line, "output-size", too_big))
        # The final gate on the bytes outbox/ and the preview would get.
        built.findings.extend(check_html(built.email.html, OUTBOX, issue, layouts / "email.mjml.j2"))
        built.findings.extend(check_text(built.email.text, OUTBOX, layouts / "email.txt.j2"))
    except PipelineError as exc:
        built.findings.extend(exc.findings)
    if built.rendered is not None:
        built.findings = sorted(
            set(built.findings) | set(check(issue, built.rendered, config, built.email, layouts=layouts))
        )
    built.seconds = time.perf_counter() - start
    return built


def write_issue(built: Built, config: Config) -> Built:
    """Write email.html, email.txt, email.mjml, meta.json and images to outbox/<stem>/."""
    assert built.rendered is not None and built.email is not None
    out = issue_dir(config.outbox, built.issue.stem)
    email, rendered = built.email, built.rendered
    files = {
        "email.html": email.html,
        "email.txt": email.text,
        "email.mjml": email.mjml,
        "meta.json": meta_json(built.issue, rendered, email, config, built.findings),
    }
    remove_stale_temp(out)
    for name, content in files.items():
        if write_atomic(out / name, content, root=out):
            built.written.append(out / name)
    images = copy_images(rendered.images, built.issue.path.parent, out, config.root)
    built.written.extend(images)
    _remove_stale_images(out, {out / i.rel for i in rendered.images if i.safe})
    built.out_dir = out
    return built


def _remove_stale_images(out: Path, wanted: set[Path]) -> None:
    """Delete images an earlier build copied that the issue no longer uses.

    Never through a link: a linked `images/` folder is refused by the writer, and a link found
    inside is removed as a link, so nothing outside `outbox/<issue>/` is ever deleted.
    """
    folder = out / "images"
    guard(out, folder)
    if not folder.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        here = Path(dirpath)
        for name in [*filenames, *(d for d in dirnames if (here / d).is_symlink())]:
            if here / name not in wanted:
                (here / name).unlink()
        if here != folder and not any(here.iterdir()):
            here.rmdir()


def build_one(issue: Issue, config: Config) -> Built:
    """Prepare and write one issue. An issue with an error writes nothing: a broken email must never
    replace a good one, so the previous output stays byte for byte (`kept` says where it is)."""
    built = prepare(issue, config)
    if built.email is not None and not issue.path.exists():
        # Deleted (or renamed) while it was being built: its output would outlive its source.
        where = display_path(issue.path)
        built.findings.append(Finding(where, 0, "file-read", "deleted while it was being built: nothing written"))
        return built
    if has_errors(built.findings):
        try:
            previous = issue_dir(config.outbox, issue.stem)
        except PipelineError:
            previous = None
        if previous is not None and (previous / "email.html").is_file():
            built.kept = previous
        return built
    if built.email is not None:
        try:
            write_issue(built, config)
        except (PipelineError, OSError) as exc:
            found = (
                exc.findings
                if isinstance(exc, PipelineError)
                else [Finding(display_path(issue.path), 0, "output-write", f"cannot write output: {exc}")]
            )
            built.findings.extend(found)
    return built
