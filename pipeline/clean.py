"""`krasse clean`: outputs in outbox/ whose issue was deleted, renamed, or turned back into a draft.

Only folders krasse made are considered (they hold a meta.json or an export/); anything else in
outbox/ is the author's and stays. The archive removes its own stale pages when it is built.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import WARNING, Finding, absolute, under_root
from pipeline.load import issue_paths, peek_not_draft, read_issue
from pipeline.output import RESERVED


@dataclass(frozen=True)
class Stale:
    folder: Path
    why: str  # "deleted" or "draft"


def _built_as_draft(folder: Path) -> bool:
    try:
        return bool(json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("draft"))
    except (OSError, ValueError, AttributeError):
        return False


def stale_outputs(config: Config, drafts: Mapping[Path, bool] | None = None) -> list[Stale]:
    """Output folders of issues that no longer exist, or that became drafts after they were built.

    `drafts` (by absolute path) is what loading the issues already found out: those files are not
    opened again."""
    known = drafts or {}
    outbox = config.outbox
    if not outbox.is_dir():
        return []
    drafts_now: set[str] = set()
    existing: set[str] = set()
    for path in issue_paths(config.issues_dir):
        existing.add(path.stem)  # a file that does not load still exists: a typo must not delete output
        draft = known.get(absolute(path))
        if draft is not None:
            if draft:
                drafts_now.add(path.stem)
            continue
        if peek_not_draft(path):
            continue  # most issues: no need to parse every file at the end of every build
        issue, _ = read_issue(path)
        if issue is not None and issue.meta.draft:
            drafts_now.add(path.stem)
    found = []
    for folder in sorted(outbox.iterdir()):
        if folder.is_symlink() or not folder.is_dir() or folder.name.startswith(".") or folder.name in RESERVED:
            continue
        if not ((folder / "meta.json").is_file() or (folder / "export").is_dir()):
            continue  # not made by krasse
        if folder.name not in existing:
            found.append(Stale(folder, "deleted"))
        elif folder.name in drafts_now and not _built_as_draft(folder):
            found.append(Stale(folder, "draft"))
    return found


def describe(stale: Stale, root: Path) -> str:
    where = under_root(stale.folder, root)
    why = "its issue file is gone" if stale.why == "deleted" else "its issue is a draft now"
    return f"{where}/: {why}"


def warnings(config: Config, drafts: Mapping[Path, bool] | None = None) -> list[Finding]:
    """One warning per stale folder, for the end of `krasse build` (`drafts`: as `stale_outputs`)."""
    found = []
    for s in stale_outputs(config, drafts):
        message = f"{describe(s, config.root)}; `krasse clean` removes it"
        found.append(Finding(f"outbox/{s.folder.name}", 0, "stale-output", message, WARNING))
    return found


def remove(stale: Stale) -> None:
    shutil.rmtree(stale.folder)
