"""What every importer produces, and the rules they share: number, date, title, front matter, word count.

A reader turns source text into `Draft`s (pure, no I/O); `write.py` numbers, checks and writes them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.markdown import parse
from pipeline.text import render_text

WORD = re.compile(r"[^\W_]+")
SEPARATOR = "\n\n---\n\n"

# `No. 23`, `No 23`, `Nr. 21`, `#20`, `Ausgabe 7`: how issue numbers are written next to the name.
NUMBER_MARK = r"(?:No\.?|Nr\.?|Nummer|Ausgabe|Issue|#)\s*(\d{1,6})\b"

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("januar", "jänner", "january", "jan"),
            ("februar", "february", "feb"),
            ("märz", "maerz", "march", "mär", "mar"),
            ("april", "apr"),
            ("mai", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("dezember", "december", "dez", "dec"),
        ],
        1,
    )
    for name in names
}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_LONG = re.compile(r"\b(\d{1,2})\.?\s+([A-Za-zÄÖÜäöü]{3,9})\.?\s+(\d{4})\b")


@dataclass
class Draft:
    """One issue on its way in. `number`/`date` are None when the source does not say them."""

    source: str  # file name for messages, with `#n` for the n-th issue of a file
    body: str
    title: str | None = None
    subject: str | None = None
    number: int | None = None
    date: dt.date | None = None
    date_in_text: bool = False  # the date was only found somewhere in the text: say so
    preheader: str | None = None
    tags: tuple[str, ...] = ()
    dropped: list[str] = field(default_factory=list)  # boilerplate taken out on purpose (--verbose)
    notices: list[tuple[int, str]] = field(default_factory=list)  # (line, message): the author should look
    remote_images: list[str] = field(default_factory=list)
    local_images: dict[str, bytes] = field(default_factory=dict)  # images/<name> → content to write
    source_words: Counter = field(default_factory=Counter)  # the readable words the import must keep


def words(text: str) -> Counter:
    return Counter(w.casefold() for w in WORD.findall(text))


def find_number(text: str, name: str) -> int | None:
    """`Krasse Links No. 23` → 23; the newsletter's name must come first, so `Seite 3` is no number."""
    m = re.search(re.escape(name) + r"\W{0,3}" + NUMBER_MARK, text, re.I)
    return int(m.group(1)) if m else None


def find_date(text: str) -> dt.date | None:
    """The first date in the text: `2024-07-28`, `28.07.2024` or `28. Juli 2024`."""
    found: list[tuple[int, dt.date]] = []
    for m in _ISO.finditer(text):
        found.extend(_day(m.start(), int(m[1]), int(m[2]), int(m[3])))
    for m in _DOTTED.finditer(text):
        found.extend(_day(m.start(), int(m[3]), int(m[2]), int(m[1])))
    for m in _LONG.finditer(text):
        if month := _MONTHS.get(m[2].casefold()):
            found.extend(_day(m.start(), int(m[3]), month, int(m[1])))
    return min(found)[1] if found else None


def _day(at: int, year: int, month: int, day: int) -> list[tuple[int, dt.date]]:
    try:
        return [(at, dt.date(year, month, day))]
    except ValueError:
        return []


def strip_name(subject: str, name: str) -> str:
    """`Krasse Links No. 42: Der Moment` → `Der Moment`: the layout prints name and number itself."""
    rest = re.sub(r"^\s*" + re.escape(name) + r"\W{0,3}" + NUMBER_MARK + r"\s*[:.–—-]?\s*", "", subject, flags=re.I)
    return rest.strip() or subject.strip()


def tidy(body: str) -> str:
    """Blank-line runs to one, no empty items, no separator at either end."""
    parts = [p.strip("\n") for p in re.split(r"\n[ \t]*---[ \t]*\n", "\n" + body + "\n")]
    parts = [re.sub(r"\n{3,}", "\n\n", p).strip() for p in parts]
    return SEPARATOR.join(p for p in parts if p) + "\n"


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def issue_text(draft: Draft, number: int, day: dt.date) -> str:
    """The issue file: front matter in the order `krasse new` writes it, then the body."""
    lines = ["---", f"number: {number}", f"title: {_quote(draft.title or '')}"]
    if draft.subject:
        lines.append(f"subject: {_quote(draft.subject)}")
    lines.append(f"date: {day.isoformat()}")
    if draft.preheader:
        lines.append(f"preheader: {_quote(draft.preheader)}")
    lines.append(f"tags: [{', '.join(_quote(t) for t in draft.tags)}]")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + draft.body


def lost_words(draft: Draft) -> list[str]:
    """Source words the built email's text would not have: the import stops rather than lose them."""
    parts = render_text(parse(draft.body))
    front = [draft.title or "", draft.subject or "", draft.preheader or ""]
    have = words("\n".join([*parts.items, *parts.notes, *front]))
    have += words(" ".join(draft.tags))
    missing = draft.source_words - have
    return sorted(missing, key=lambda w: (-missing[w], w))
