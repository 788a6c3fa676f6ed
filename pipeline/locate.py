"""`krasse open`: which built file shows an issue — its email in outbox/, or its archive page.

Only resolves paths; the CLI hands the result to the browser. Nothing here builds anything: an
output that is missing is a finding that says which command makes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import Finding, PipelineError, under_root
from pipeline.export.bundle import find_issue
from pipeline.output import RESERVED


def _newest_email(config: Config) -> Path:
    """The built email of the highest issue number in outbox/ (what an author just built, usually)."""
    best: tuple[int, Path] | None = None
    for page in config.outbox.glob("*/email.html"):
        if page.parent.name in RESERVED:
            continue
        try:
            number = int(json.loads((page.parent / "meta.json").read_text(encoding="utf-8"))["number"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if best is None or number > best[0]:
            best = (number, page)
    if best is None:
        raise PipelineError(Finding("outbox/", 0, "open-missing", "no email built yet: run krasse build"))
    return best[1]


def email_page(config: Config, target: str | None) -> Path:
    """outbox/<issue>/email.html of issue `target` (a number or a file), or of the newest built issue."""
    if target is None:
        return _newest_email(config)
    issue = find_issue(config, target)
    page = config.outbox / issue.stem / "email.html"
    if not page.is_file():
        raise PipelineError(
            Finding(f"outbox/{issue.stem}/email.html", 0, "open-missing", "not built yet: run krasse build")
        )
    return page


def archive_page(config: Config, target: str | None) -> Path:
    """The archive's page of issue `target`, or its index page."""
    site = config.root / config["archive.out"]
    page = site / "index.html" if target is None else site / str(find_issue(config, target).number) / "index.html"
    if not page.is_file():
        raise PipelineError(
            Finding(under_root(page, config.root), 0, "open-missing", "not built yet: run krasse archive")
        )
    return page
