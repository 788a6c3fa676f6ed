"""The one value that flows through every stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from pipeline.errors import Finding
from pipeline.usercache import installed, remembered


def german_date(day: dt.date, locale: str = "de") -> str:
    """`23. Juli 2024`, Babel's "d. MMMM y": Babel knows the month names, so we never hand-write them."""
    return f"{day.day}. {_month_names(locale.replace('-', '_'))[day.month - 1]} {day.year}"


@lru_cache(maxsize=8)
def _month_names(locale: str) -> list[str]:
    """Babel's month names, kept in the user cache: importing Babel and loading its locale data was
    25 ms of every cold build, for twelve words that change only with Babel (tested against
    `format_date` day by day)."""
    key = installed("babel")  # the package folder's time changes with its locale data
    return remembered(f"months-{locale}", key, lambda: _babel_month_names(locale))


def _babel_month_names(locale: str) -> list[str]:
    from babel.dates import get_month_names

    names = get_month_names("wide", "format", locale)
    return [names[month] for month in range(1, 13)]


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
