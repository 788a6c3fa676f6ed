"""`krasse new`: the next issue file, numbered and dated, ready to write."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import Finding, PipelineError, display_path
from pipeline.load import issue_paths, read_issue

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})

# subject: export refuses an issue without one, so a fresh issue gets one to edit. preheader: empty
# means "derived from the intro" until the author writes one.
TEMPLATE = """---
number: {number}
title: {title}
subject: {subject}
preheader: ""
date: {date}
draft: true
---

Willkommen bei {name} No. {number}.

---

"""


def slugify(title: str) -> str:
    """`Über die Ökonomie` → `ueber-die-oekonomie`: German umlauts spelled out, not dropped."""
    text = unicodedata.normalize("NFKD", title.translate(_GERMAN)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "ausgabe"


_LEADING_NUMBER = re.compile(r"(\d+)")


def numbers_in_use(issues_dir: Path, name_number: re.Pattern[str] = _LEADING_NUMBER) -> dict[int, Path]:
    """Each number in use and its first file (by name). A file that fails to load counts with the
    number `name_number` reads at the start of its name (`krasse import` asks for `<n>-`)."""
    numbers: dict[int, Path] = {}
    for path in issue_paths(issues_dir):
        issue, _ = read_issue(path)
        if issue is not None:
            numbers.setdefault(issue.number, path)
        elif m := name_number.match(path.name):
            numbers.setdefault(int(m.group(1)), path)
    return numbers


def next_number(issues_dir: Path) -> int:
    """One above the highest number in use; files that fail to load are read for a number too."""
    return max(numbers_in_use(issues_dir), default=0) + 1


def create_issue(config: Config, title: str, day: dt.date) -> Path:
    """Write the next issue file; refuses an empty title (it would be an issue nobody can load)."""
    title = title.strip()
    if not title:
        raise PipelineError(Finding("--title", 0, "new-title", "the title must not be empty"))
    number = next_number(config.issues_dir)
    path = config.issues_dir / f"{number:03d}-{slugify(title)}.md"
    name = config["newsletter.name"]
    content = TEMPLATE.format(
        number=number,
        title=json.dumps(title, ensure_ascii=False),  # quoted: a colon or a # in a title stays text
        subject=json.dumps(f"{name} No. {number}: {title}", ensure_ascii=False),
        date=day.isoformat(),
        name=name,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(content)
    except FileExistsError:
        raise PipelineError(Finding(display_path(path), 0, "new-exists", "file exists; not overwritten")) from None
    return path
