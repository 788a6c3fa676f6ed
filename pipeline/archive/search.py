"""The client-side search: folding, the per-issue word lists and the two script files.

The index is one `search-index.js` that assigns a global (browsers refuse `fetch` of local JSON
under `file://`, but a `<script>` tag loads fine). Each issue contributes its distinct folded
words, sorted, with every word dropped that is a prefix of another (the search matches word
prefixes, so `oekonom` still finds `oekonomie`). Snippets need the real text, which would make
the index large: each issue ships it in `<number>/text.js`, loaded only for shown results.

`fold` must stay identical to `fold` in `layouts/archive-search.js`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

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
    words: str  # from index_words


def _js_literal(value: object) -> str:
    """JSON is valid JavaScript; `</` is escaped so no text can close the script element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def search_index_js(docs: Iterable[SearchDoc]) -> str:
    """`window.KRASSE_SEARCH = {docs: [[number, title, date, " words"], …]}`, newest first."""
    rows = [[d.number, d.title, d.date, " " + d.words] for d in docs]
    return f"window.KRASSE_SEARCH={_js_literal({'version': 1, 'docs': rows})};\n"


def text_js(number: int, parts: Sequence[str]) -> str:
    """One issue's plain text for result snippets: `krasseText(41, "…")`."""
    text = " ".join(p for p in parts if p)
    return f"window.krasseText&&window.krasseText({number},{_js_literal(text)});\n"
