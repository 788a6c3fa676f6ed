"""The one value that flows through every stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from babel.dates import format_date

from pipeline.errors import Finding


def german_date(day: dt.date, locale: str = "de") -> str:
    """`23. Juli 2024`: Babel knows the month names, so we never hand-write them."""
    return format_date(day, "d. MMMM y", locale=locale.replace("-", "_"))


@dataclass(frozen=True)
class Meta:
    number: int
    title: str
    date: dt.date
    subject: str
    preheader: str | None = None  # None: derived from the intro when rendering
    draft: bool = False
    tags: tuple[str, ...] = ()
    clip: str | None = None  # None: the config decides


@dataclass(frozen=True)
class Issue:
    path: Path
    body: str
    body_line: int  # file line of the body's first line, for messages
    meta: Meta
    meta_lines: dict[str, int] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def number(self) -> int:
        return self.meta.number

    def line_of(self, key: str) -> int:
        return self.meta_lines.get(key, 1)

    def with_findings(self, *found: Finding) -> Issue:
        return replace(self, findings=self.findings + tuple(found))
