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

import hashlib
import json
import re
import unicodedata
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, compress
from operator import not_, sub

import orjson

from pipeline.archive.manifest import dumps

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """`Ökonomie`, `ökonomie` and `Oekonomie` all become `oekonomie`; other accents are dropped."""
    text = unicodedata.normalize("NFC", text).lower().translate(_UMLAUTS)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M"))


@lru_cache(maxsize=65536)
def _folded_words(token: str) -> tuple[str, ...]:
    return tuple(w for w in _WORD.findall(fold(token)) if len(w) > 1)


def index_words(text: str) -> str:
    """Distinct folded words of two or more characters, space-separated, prefixes of others dropped.

    Folding is per distinct whitespace-separated token, cached across issues: the same result
    as folding the whole text (folding never adds or removes whitespace), many times faster.
    The loops run in C (set union, map, compress): this is part of every page's cost.
    """
    words = sorted(set().union(*map(_folded_words, set(text.split()))))
    # A word is dropped when the next one in sorted order starts with it; the last is always kept.
    kept = list(compress(words, map(not_, map(str.startswith, words[1:], words))))
    return " ".join([*kept, *words[-1:]])


def words_digest(words: str) -> str:
    """Short hash of an issue's indexed words: proves words recovered from its text.js."""
    return hashlib.blake2b(words.encode(), digest_size=8).hexdigest()


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
    digests: dict[int, str] = field(default_factory=dict)  # number → words_digest of its indexed words

    @classmethod
    def from_json(cls, data: dict) -> Postings:
        versions = {int(n): v for n, v in data.get("versions", {}).items()}
        digests = {int(n): d for n, d in data.get("digests", {}).items()}
        return cls(versions, packed=data.get("words", ""), digests=digests)

    def unpack(self) -> Postings:
        if self.packed:
            self.words = {w: list(accumulate(steps)) for w, steps in orjson.loads(self.packed).items()}
            self.packed = ""
        return self

    def pack(self) -> str:
        """The words as JSON text, numbers as differences; made once per build, kept until `update`."""
        if not self.packed:
            steps = {w: _differences(ns) for w, ns in self.words.items()}
            self.packed = dumps(steps)
        return self.packed

    def to_json(self) -> dict:
        return {
            "versions": {str(n): v for n, v in sorted(self.versions.items())},
            "digests": {str(n): d for n, d in sorted(self.digests.items())},
            "words": self.pack(),
        }

    def update(self, docs: dict[int, tuple[str, str]], previous: Callable[[int], str | None] | None = None) -> Postings:
        """Match `docs` (number → (version, words from index_words)); touches only what changed.

        Only the words of issues whose version moved are read, so the others may pass "".
        `previous(number)` may give the words an issue had when it was indexed (checked against
        its digest): with them a few changed issues patch the packed text, word by word, instead
        of unpacking and packing every number of every word.
        """
        stale = {n for n, v in self.versions.items() if n not in docs or docs[n][0] != v}
        fresh = [n for n, (v, _) in sorted(docs.items()) if self.versions.get(n) != v]
        old = self._previous(stale, fresh, previous)
        if old is not None:
            self._patch(old, {n: docs[n][1] for n in fresh})
        else:
            self._rebuild(stale, {n: docs[n][1] for n in fresh})
        fresh_digests = {n: words_digest(docs[n][1]) for n in fresh}
        digests = {n: fresh_digests.get(n, self.digests.get(n)) for n in docs}
        self.digests = {n: d for n, d in digests.items() if d is not None}
        self.versions = {n: v for n, (v, _) in docs.items()}
        return self

    def _previous(
        self, stale: set[int], fresh: list[int], previous: Callable[[int], str | None] | None
    ) -> dict[int, str] | None:
        """The old words of every stale issue, when all are known and few issues changed."""
        if previous is None or not self.packed or "\\" in self.packed or len(stale | set(fresh)) > PATCH_MAX:
            return None
        old = {}
        for n in stale:
            words = previous(n)
            if words is None or words_digest(words) != self.digests.get(n):
                return None
            old[n] = words
        return old

    def _patch(self, old: dict[int, str], new: dict[int, str]) -> None:
        """Change only the words whose numbers change; every other word keeps its packed text."""
        remove: dict[str, set[int]] = {}
        add: dict[str, set[int]] = {}
        for n in old.keys() | new.keys():
            before, after = set(old.get(n, "").split()), set(new.get(n, "").split())
            for word in before - after:
                remove.setdefault(word, set()).add(n)
            for word in after - before:
                add.setdefault(word, set()).add(n)
        segments = dict(_SEGMENT.findall(self.packed))
        added = False
        for word in remove.keys() | add.keys():
            known = segments.get(word)
            numbers = set(accumulate(map(int, known.split(",")))) if known else set()
            numbers = (numbers - remove.get(word, set())) | add.get(word, set())
            if numbers:
                added = added or known is None
                segments[word] = ",".join(map(str, _differences(sorted(numbers))))
            else:
                segments.pop(word, None)
        items = sorted(segments.items()) if added else segments.items()
        self.packed = "{" + ",".join(f"{_key(w)}:[{steps}]" for w, steps in items) + "}"
        self.words = {}

    def _rebuild(self, stale: set[int], new: dict[int, str]) -> None:
        self.unpack()
        for numbers in self.words.values() if stale else ():
            if len(stale) > 8:
                numbers[:] = [n for n in numbers if n not in stale]
                continue
            for n in stale:
                i = bisect_left(numbers, n)
                if i < len(numbers) and numbers[i] == n:
                    del numbers[i]
        if not self.words:  # a fresh index (a full build): numbers only ever go on the end
            lists: defaultdict[str, list[int]] = defaultdict(list)
            for n, words in new.items():  # ascending numbers
                for word in words.split():
                    lists[word].append(n)
            self.words = dict(sorted(lists.items()))
            return
        for n, words in new.items():  # ascending numbers
            for word in words.split():
                numbers = self.words.setdefault(word, [])
                if not numbers or numbers[-1] < n:
                    numbers.append(n)  # the usual case: numbers arrive in ascending order
                else:
                    insort(numbers, n)
        self.words = {w: ns for w, ns in sorted(self.words.items()) if ns}


PATCH_MAX = 16  # more changed issues than this: unpacking everything once is as quick
# One word of the packed text: `"word":[41,1,1]`. Index words hold no quote or backslash, so
# without a backslash in the text (checked) every key is its plain word between quotes.
_SEGMENT = re.compile(r'"([^"]*)":\[([^\]]*)\]')
_key = json.encoder.encode_basestring  # json.dumps(word, ensure_ascii=False), as `pack` writes keys


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


def search_words(title: str, tags: Sequence[str], parts: Sequence[str]) -> str:
    """What one issue contributes to the index: its title, tags and text (see index_words)."""
    return index_words(" ".join([title, *tags, *parts]))


def text_js(number: int, parts: Sequence[str]) -> str:
    """One issue's plain text for result snippets: `krasseText(41, "…")`."""
    text = " ".join(p for p in parts if p)
    return f"window.krasseText&&window.krasseText({number},{_js_literal(text)});\n"


def read_text_js(script: str, number: int) -> str | None:
    """The text a `text_js` script carries; None when the script is not one `text_js` wrote."""
    head = f"window.krasseText&&window.krasseText({number},"
    if not (script.startswith(head) and script.endswith(");\n")):
        return None
    try:
        text = json.loads(script[len(head) : -3])
    except ValueError:
        return None
    return text if isinstance(text, str) else None
