"""The client-side search: folding, the inverted index and the two script files it ships in.

The index is one `search-index.js` that assigns a global (browsers refuse `fetch` of local JSON
under `file://`, but a `<script>` tag loads fine): issue numbers, titles and dates, and an
inverted index from folded word to issue numbers. Per issue only distinct words are indexed,
minus those that are a prefix of another (the search matches word prefixes, so `oekonom` still
finds `oekonomie`). Snippets need the real text, which would make the index large: each issue
ships it in `<number>/text.js`, loaded only for shown results.

`fold` must stay identical to `fold` in `layouts/archive-search.js`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from operator import sub

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """`Ökonomie`, `ökonomie` and `Oekonomie` all become `oekonomie`; other accents are dropped."""
    text = unicodedata.normalize("NFC", text).lower().translate(_UMLAUTS)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M"))


@lru_cache(maxsize=65536)
def _folded_words(token: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(token)))


def index_words(text: str) -> str:
    """Distinct folded words of two or more characters, space-separated, prefixes of others dropped.

    Folding is per distinct whitespace-separated token, cached across issues: the same result
    as folding the whole text (folding never adds or removes whitespace), many times faster.
    """
    found = {w for token in set(text.split()) for w in _folded_words(token)}
    words = sorted(w for w in found if len(w) > 1)
    kept = [w for w, after in zip(words, [*words[1:], ""], strict=True) if not after.startswith(w)]
    return " ".join(kept)


@dataclass(frozen=True)
class SearchDoc:
    number: int
    title: str
    date: str  # as shown, `5. Oktober 2026`


@dataclass
class Postings:
    """The inverted index: folded word → sorted issue numbers, and the version each issue had.

    Kept in the manifest and updated in place, so one changed issue costs its own words, not a
    rebuild from a thousand issues' word lists.
    """

    versions: dict[int, str] = field(default_factory=dict)  # number → hash of the indexed source
    words: dict[str, list[int]] = field(default_factory=dict)
    # As the manifest stores them: the words as one JSON text, each word's numbers as differences
    # (search-index.js's own form, so that file reuses the text instead of writing 500,000 numbers
    # a second time). Read on first use: a no-op rebuild never needs them, and parsing one string
    # is far faster than all those numbers (the manifest is read in a quarter of the time).
    packed: str = field(default="", repr=False)

    @classmethod
    def from_json(cls, data: dict) -> Postings:
        return cls({int(n): v for n, v in data.get("versions", {}).items()}, packed=data.get("words", ""))

    def unpack(self) -> Postings:
        if self.packed:
            self.words = {w: list(accumulate(steps)) for w, steps in json.loads(self.packed).items()}
            self.packed = ""
        return self

    def pack(self) -> str:
        """The words as JSON text, numbers as differences; made once per build, kept until `update`."""
        if not self.packed:
            steps = {w: _differences(ns) for w, ns in self.words.items()}
            self.packed = json.dumps(steps, ensure_ascii=False, separators=(",", ":"))
        return self.packed

    def to_json(self) -> dict:
        return {"versions": {str(n): v for n, v in sorted(self.versions.items())}, "words": self.pack()}

    def update(self, docs: dict[int, tuple[str, str]]) -> Postings:
        """Match `docs` (number → (version, words from index_words)); touches only what changed.

        Only the words of issues whose version moved are read, so the others may pass "".
        """
        self.unpack()
        stale = {n for n, v in self.versions.items() if n not in docs or docs[n][0] != v}
        fresh = [n for n, (v, _) in sorted(docs.items()) if self.versions.get(n) != v]
        for numbers in self.words.values() if stale else ():
            if len(stale) > 8:
                numbers[:] = [n for n in numbers if n not in stale]
                continue
            for n in stale:
                i = bisect_left(numbers, n)
                if i < len(numbers) and numbers[i] == n:
                    del numbers[i]
        for n in fresh:
            for word in docs[n][1].split():
                numbers = self.words.setdefault(word, [])
                if not numbers or numbers[-1] < n:
                    numbers.append(n)  # the usual case: numbers arrive in ascending order
                else:
                    insort(numbers, n)
        self.words = {w: ns for w, ns in sorted(self.words.items()) if ns}
        self.versions = {n: v for n, (v, _) in docs.items()}
        return self


def _differences(numbers: list[int]) -> list[int]:
    """Ascending numbers as the first and the steps: [41, 42, 43] → [41, 1, 1]."""
    return [numbers[0], *map(sub, numbers[1:], numbers[:-1])]


def _js_literal(value: object) -> str:
    """JSON is valid JavaScript; `</` is escaped so no text can close the script element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def search_index_js(docs: Iterable[SearchDoc], postings: Postings) -> str:
    """`window.KRASSE_SEARCH = {docs: [[number, title, date], …], words: {word: [numbers]}}`.

    Docs are newest first; each word's numbers are ascending and stored as differences
    (`[41, 1, 1]` is 41, 42, 43): small numbers, a much smaller file.
    """
    head = _js_literal({"version": 2, "docs": [[d.number, d.title, d.date] for d in docs]})
    # The same bytes as one _js_literal of the whole: the words' JSON text is the manifest's.
    words = postings.pack().replace("</", "<\\/")
    return f'window.KRASSE_SEARCH={head[:-1]},"words":{words}}};\n'


def text_js(number: int, parts: Sequence[str]) -> str:
    """One issue's plain text for result snippets: `krasseText(41, "…")`."""
    text = " ".join(p for p in parts if p)
    return f"window.krasseText&&window.krasseText({number},{_js_literal(text)});\n"
