"""The edges of `krasse import`: read the files, number and date the drafts, check them, write them.

All or nothing: every file is read and every draft numbered, dated and checked for lost words
before the first byte is written. Any error means nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from pipeline.build import prepare
from pipeline.config import Config
from pipeline.errors import WARNING, Finding, display_path, has_errors
from pipeline.importer.draft import Draft, issue_text, lost_words
from pipeline.load import decode, parse_issue
from pipeline.newissue import numbers_in_use, slugify
from pipeline.output import write_atomic

FORMATS = {".eml": "mail", ".mbox": "mbox", ".html": "html", ".htm": "html", ".txt": "text", ".text": "text"}


@dataclass
class Planned:
    draft: Draft
    path: Path
    text: str
    replaces: Path | None = None  # an issue with the same number that --force replaces
    images: dict[Path, bytes] = field(default_factory=dict)


@dataclass
class Plan:
    issues: list[Planned] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


def read_drafts(path: Path, newsletter: str) -> tuple[list[Draft], list[Finding]]:
    """One file → its drafts, or the findings that say why not (never an exception for bad input)."""
    name = display_path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(FORMATS))
        return [], [Finding(name, 0, "import-format", f"unknown file type {path.suffix or '(none)'}; known: {known}")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Finding(name, 0, "import-read", f"cannot read the file: {exc.strerror or exc}")]
    if not raw.strip():
        return [], [Finding(name, 1, "import-empty", "file is empty: nothing to import")]
    if kind in ("mail", "mbox"):
        from pipeline.importer.mail import read_mbox, read_message

        drafts, problems = read_message(raw, name, newsletter) if kind == "mail" else read_mbox(path, name, newsletter)
    else:
        text, problems = decode(raw, name)
        if text is None and kind == "html" and problems[0].rule == "file-encoding":
            text = declared_charset(raw)
        if text is None:
            return [], problems
        problems = []
        if kind == "html":
            from pipeline.importer.htmlpage import convert_html

            drafts, problems = convert_html(text, name, newsletter)
        else:
            from pipeline.importer.plain import convert_text

            drafts = convert_text(text, name, newsletter)
    for draft in drafts:
        resolve_images(draft, path.parent)
    return drafts, problems


def declared_charset(raw: bytes) -> str | None:
    """A page that says its encoding (`<meta charset="windows-1252">`) is read in it; else None."""
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", raw[:4096], re.I)
    if not m:
        return None
    try:
        text = raw.decode(m.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


_IMAGE = re.compile(r"(!\[[^\]]*\]\()(<[^>]*>|[^)\s]+)")


def resolve_images(draft: Draft, folder: Path) -> None:
    """Remote images stay URLs (a build never downloads) and are listed; local ones are copied."""

    def one(m: re.Match) -> str:
        src = m.group(2).strip("<>")
        if re.match(r"(?:https?:)?//", src):
            draft.remote_images.append(src)
            return m.group(0)
        name = src.removeprefix("images/")
        if src.startswith("images/") and name in draft.local_images:
            return m.group(0)
        if src.startswith(("data:", "cid:")):
            draft.notices.append((0, f"image {src[:40]}… not in the file; put it in issues/images/ and fix the link"))
            return m.group(0)
        path = folder / unquote(src.split("?")[0].split("#")[0])
        if not path.is_file():
            draft.notices.append((0, f"image {src} not found next to the source; copy it to issues/images/"))
            return m.group(0)
        draft.local_images[path.name] = path.read_bytes()
        return f"{m.group(1)}images/{path.name}"

    draft.body = _IMAGE.sub(one, draft.body)


def _taken(config: Config) -> dict[int, Path]:
    return numbers_in_use(config.issues_dir, _NUMBER_DASH)


_NUMBER_DASH = re.compile(r"(\d+)-")


def plan_import(
    config: Config, paths: list[Path], number: int | None = None, day: dt.date | None = None, force: bool = False
) -> Plan:
    """Read, number, date and word-check every draft; nothing is written here.

    `--number N` numbers the imported issues N, N+1, …; `--date` dates them all. Both win over
    what the sources say, because the author said them.
    """
    plan = Plan()
    drafts: list[Draft] = []
    for path in paths:
        found, problems = read_drafts(path, config["newsletter.name"])
        plan.findings.extend(problems)
        drafts.extend(found)
    if not plan.ok:
        return plan
    taken = _taken(config)
    used: dict[int, str] = {}
    for k, draft in enumerate(drafts):
        if number is not None:
            draft.number = number + k
        if day is not None:
            draft.date, draft.date_in_text = day, False
        if draft.date_in_text:
            draft.notices.append((0, f"date {draft.date} is the first date in the text; give --date if it is not"))
        missing = []
        if draft.number is None:
            missing.append(
                Finding(
                    draft.source,
                    0,
                    "import-number",
                    f"no issue number found (looked for '{config['newsletter.name']} No. 23' in the subject, "
                    "first line and intro); give it with --number",
                )
            )
        if draft.date is None:
            missing.append(
                Finding(
                    draft.source,
                    0,
                    "import-date",
                    "no date found (message Date, page metadata or a date in the text); give it with --date",
                )
            )
        if not draft.title and draft.number is not None:  # nothing better said: the name and number
            draft.title = f"{config['newsletter.name']} No. {draft.number}"
        if lost := lost_words(draft):
            sample = ", ".join(lost[:12])
            missing.append(
                Finding(draft.source, 0, "import-words", f"{len(lost)} word(s) would be lost ({sample}); not imported")
            )
        plan.findings.extend(missing)
        if missing:
            continue
        assert draft.number is not None and draft.date is not None
        if draft.number in used:
            plan.findings.append(
                Finding(draft.source, 0, "import-taken", f"number {draft.number} is also given to {used[draft.number]}")
            )
            continue
        used[draft.number] = draft.source
        target = config.issues_dir / f"{draft.number:03d}-{slugify(draft.title or '')}.md"
        replaces = taken.get(draft.number)
        if replaces is not None and not force:
            plan.findings.append(
                Finding(
                    draft.source,
                    0,
                    "import-taken",
                    f"number {draft.number} is taken by {display_path(replaces)}; "
                    "give another with --number, or replace it with --force",
                )
            )
            continue
        if target.exists() and not force:
            plan.findings.append(
                Finding(draft.source, 0, "import-exists", f"{display_path(target)} exists; not overwritten (--force)")
            )
            continue
        planned = Planned(draft, target, "", replaces if replaces != target else None)
        _place_images(planned, config.issues_dir / "images")
        planned.text = issue_text(draft, draft.number, draft.date)
        plan.issues.append(planned)
    if not plan.ok:
        plan.issues = []
    return plan


def _place_images(planned: Planned, folder: Path) -> None:
    """Local images go to issues/images/; a different image of the same name gets the issue number."""
    draft = planned.draft
    for name, data in draft.local_images.items():
        target = folder / name
        if target.exists() and target.read_bytes() != data:
            new = f"{draft.number:03d}-{name}"
            draft.body = draft.body.replace(f"](images/{name}", f"](images/{new}")
            target = folder / new
        planned.images[target] = data


def check_planned(planned: Planned, config: Config) -> list[Finding]:
    """`krasse check` on the text about to be written (or just written)."""
    issue, findings = parse_issue(planned.text, planned.path)
    if issue is None:
        return findings
    pending = {f"image {path.relative_to(planned.path.parent).as_posix()} not found" for path in planned.images}
    # In a dry run the images are not copied yet; that is no problem of the issue.
    return [f for f in prepare(issue, config).findings if not (f.rule == "img-missing" and f.message in pending)]


def write_plan(plan: Plan) -> list[Path]:
    """Images first, then the issue files (atomically), then the replaced files go."""
    written = []
    for planned in plan.issues:
        for path, data in planned.images.items():
            if write_atomic(path, data):
                written.append(path)
        write_atomic(planned.path, planned.text)
        written.append(planned.path)
        if planned.replaces is not None:
            planned.replaces.unlink(missing_ok=True)
    return written


def report_lines(planned: Planned, verbose: bool) -> list[Finding]:
    """What the author should know about one import, as warnings (notices always, drops with --verbose)."""
    draft = planned.draft
    out = [Finding(draft.source, line, "import-notice", message, WARNING) for line, message in draft.notices]
    for url in draft.remote_images:
        out.append(Finding(draft.source, 0, "import-remote-image", f"kept as a URL (not downloaded): {url}", WARNING))
    if verbose:
        for text in draft.dropped:
            short = text if len(text) <= 100 else text[:97] + "…"
            out.append(Finding(draft.source, 0, "import-dropped", f"boilerplate dropped: {short!r}", WARNING))
    return out
