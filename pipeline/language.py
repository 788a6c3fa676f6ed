"""Which passages are not in the newsletter's language, so they can carry `lang` (WCAG 3.1.2):
a screen reader then reads an English quote with English pronunciation.

py3langid does the detecting: a well-kept fork of langid.py that ships its model and is
deterministic (lingua is more accurate on very short text but weighs 96 MB and loads slower). Its
model is unpacked once into the user cache and scored here without numpy, with py3langid's
decisions. Two guards keep German text from ever being mislabelled: a passage goes to the model only
when it has more English than German function words, and only a confident answer (≥ 0.99) on a
passage of at least six words counts. The model loads on first use, so issues without foreign
passages never pay for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import math
import mmap
import operator
import os
import re
import struct
import sys
import tempfile
import time
import unicodedata
from array import array
from collections import Counter
from functools import lru_cache
from itertools import compress, repeat
from pathlib import Path

from pipeline.usercache import cache_dir

LANGUAGES = ["de", "en", "fr", "es", "it", "nl", "pt", "pl", "tr"]
CONFIDENCE = 0.99
MIN_WORDS = 6

# Short function words: frequent, and rare in the other language.
_GERMAN = frozenset(
    """der die das und ist nicht ein eine einen dem den des im zu mit von auf für sich auch es wie
    sie wir ich er aber oder wenn dass nur noch schon bei aus nach über hat sind wird werden war
    """.split()  # noqa: SIM905 - a word list reads best as words
)
_ENGLISH = frozenset(
    """the and of to is that it for not but by with are was this on be have has from they we you
    what which their there been would could will an or at as
    """.split()  # noqa: SIM905
)
_WORD = re.compile(r"[^\W\d_]+")


CACHE_FORMAT = 4


def _cache_file(source: Path) -> Path | None:
    """Named for the model's content (its size, first and last 64 KB), not its path: every virtualenv
    with the same py3langid shares one unpacked copy instead of replacing the others' on every run."""
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.blake2b(f"{CACHE_FORMAT}|{sys.byteorder}|{','.join(LANGUAGES)}".encode(), digest_size=8)
    with source.open("rb") as handle:
        key.update(handle.read(1 << 16))
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - (1 << 16)))
        key.update(handle.read())
    key.update(str(size).encode())
    return folder / f"py3langid-{key.hexdigest()}.model"


def _moves_file(cached: Path) -> Path:
    """The tokenizer's transition table (39 MB), raw, so it can be memory-mapped."""
    return cached.with_suffix(".moves")


class _Rows(dict):
    """Feature -> its row of the model as one int, read from the cache file on first use: the
    language columns side by side in fixed-width lanes, so one integer sum adds up every language."""

    __slots__ = ("lane", "table", "unit", "width")

    def __init__(self, table: memoryview, languages: int, lane: int, unit_bits: int) -> None:
        super().__init__()
        self.table, self.width, self.unit = table, languages * lane, 2.0**-unit_bits
        self.lane = {4: "I", 8: "Q"}[lane]  # memoryview's codes for those sizes

    def __missing__(self, feature: int) -> int:
        at = feature * self.width
        row = self[feature] = int.from_bytes(self.table[at : at + self.width], sys.byteorder)
        return row


class _Scorer:
    """py3langid's naive Bayes classifier (`LanguageIdentifier.classify` with norm_probs=True), without
    numpy: importing numpy was a seventh of a cold `krasse build`, and a passage needs only a few hundred
    cells of the model. The tokenizer walk is py3langid's own loop.

    Scoring adds, per language, the log-probabilities of the passage's features weighted by log1p of
    their counts. The model's values are float16 (multiples of 1/256), so they are kept as integers
    (negated, in units of 1/256) in fixed-width lanes of one int per feature: adding a feature's int adds
    it to every language at once, exactly, and features of equal count share one multiplication. Where
    numpy sums in single precision this is exact up to the final double rounding, so a confidence can
    differ in the 6th digit; the decisions (language, confidence ≥ 0.99) are the same (tested against
    py3langid)."""

    __slots__ = ("classes", "moves", "output", "pc", "rowbase", "rows")

    def __init__(self, classes: list[str], pc: list[float], rows: _Rows, moves, rowbase, output) -> None:  # type: ignore[no-untyped-def]
        self.classes, self.pc, self.rows = classes, pc, rows
        self.moves, self.rowbase, self.output = moves, rowbase, output

    def classify(self, text: str) -> tuple[str, float]:
        """(language, confidence) as py3langid gives it."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        moves, rowbase, output = self.moves, self.rowbase, self.output
        state, visits = 0, []
        for letter in data:
            state = moves[rowbase[state] + letter]
            if (feature := output[state]) >= 0:
                visits.append(feature)
        if not visits:
            return self.classes[0], 1.0 / len(self.classes)  # py3langid: uniform, first class
        counts = Counter(visits)
        rows = self.rows
        groups = {1: sum(map(rows.__getitem__, counts))}  # count -> summed rows of the features seen that often
        if len(counts) < len(visits):
            for feature in compress(counts, map((1).__lt__, counts.values())):
                n, row = counts[feature], rows[feature]
                groups[1] -= row
                groups[n] = groups.get(n, 0) + row
        width, lane = rows.width, rows.lane
        lanes = zip(
            *(memoryview(total.to_bytes(width, sys.byteorder)).cast(lane) for total in groups.values()), strict=True
        )
        weights = [math.log1p(n) * rows.unit for n in groups]
        scale = 1.0 / math.sqrt(len(data))  # py3langid's temperature: sqrt of the byte length
        scores = [
            (prior - math.fsum(map(operator.mul, weights, column))) * scale
            for prior, column in zip(self.pc, lanes, strict=True)
        ]
        top = max(scores)
        probs = [math.exp(s - top) for s in scores]
        best = probs.index(max(probs))  # the first of equal ones, as numpy's argmax
        return self.classes[best], probs[best] / math.fsum(probs)


def _unpack(source: Path) -> dict:
    """The shipped model cut to our languages: the same tables as `set_languages(LANGUAGES)`. The only
    place numpy is used (py3langid packs its model with it), once per machine."""
    import numpy as np
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(source)
    keep = [i for i, c in enumerate(classes) if c in LANGUAGES]
    lanes, unit_bits = _fixed_point(-np.asarray(ptc, dtype=np.float64)[:, keep], source)
    return {
        "classes": [classes[i] for i in keep],
        "pc": array("f", np.asarray(pc, dtype=np.float32)[keep].tobytes()),
        "ptc": lanes.tobytes(),  # a row per feature, a lane per language
        "lane": lanes.itemsize,
        "unit_bits": unit_bits,
        "moves": nextmove,
        "rowbase": array("I", [r << 8 for r in row]),
        "output": array("i", output),
    }


_PARTS = ("pc", "rowbase", "output")  # arrays stored after the header, then a row of lanes per feature


def _fixed_point(values, source: Path):  # type: ignore[no-untyped-def]
    """The negated log-probabilities as integers in units of 2**-bits, in lanes of 4 bytes (8 when
    needed) wide enough for the sum over every feature. py3langid's model is float16 (values between
    -16 and -4): exact in units of 1/256, and 4 bytes suffice. A finer model is rounded only where
    8 bytes would not hold it exactly."""
    import numpy as np

    if not np.isfinite(values).all() or values.min() < 0:
        raise ValueError(f"{source}: the model's feature scores are not log-probabilities")
    total = max(float(values.max()) * len(values), 1.0)  # no sum of distinct features exceeds this
    exact = next((b for b in range(64) if (np.rint(values * 2.0**b) == values * 2.0**b).all()), 64)
    bits = min(exact, 62 - math.ceil(math.log2(total)))
    lanes = np.rint(values * 2.0**bits)
    return np.ascontiguousarray(lanes, dtype="=u4" if lanes.max() * len(lanes) < 2**32 else "=u8"), bits


def _store(path: Path, model: dict) -> None:
    """Atomic, and best effort: a read-only home only means the next run unpacks again. The table
    goes first, so a complete model file always has its table next to it."""

    def write(target: Path, chunks: list) -> None:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.writelines(chunks)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    header = {
        "classes": model["classes"],
        "moves": [model["moves"].typecode, len(model["moves"])],
        **{name: [model[name].typecode, len(model[name])] for name in _PARTS},
        "ptc": len(model["ptc"]),
        "lane": model["lane"],
        "unit_bits": model["unit_bits"],
    }
    head = json.dumps(header).encode()
    head += b" " * (-(4 + len(head)) % 8)  # the arrays after it start aligned
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(_moves_file(path), [model["moves"]])
        chunks = [struct.pack("=I", len(head)), head, *(model[name] for name in _PARTS), model["ptc"]]
        write(path, chunks)
    except OSError:
        return
    _sweep(path)


UNUSED_DAYS = 7  # another version's model (42 MB) unused this long goes


def _sweep(path: Path) -> None:
    """Remove the models of other py3langid versions or cache formats that no krasse used for a week.
    One used lately stays: two versions on one machine (two virtualenvs, a worktree) removing each
    other's model made each unpack again on every run."""
    keep = {path.name, _moves_file(path).name}
    unused = time.time() - UNUSED_DAYS * 86400
    for old in path.parent.glob("py3langid-*"):
        with contextlib.suppress(OSError):
            if old.name not in keep and old.stat().st_mtime < unused:
                old.unlink()


def _mark_used(path: Path) -> None:
    """At most once a day (one stat otherwise): a loaded model's time is set to now, so other
    versions see it in use, and the ones unused for a week are swept."""
    with contextlib.suppress(OSError):
        if path.stat().st_mtime < time.time() - 86400:
            os.utime(path)
            os.utime(_moves_file(path))
            _sweep(path)


def _mapped(path: Path) -> memoryview:
    with open(path, "rb") as handle:
        return memoryview(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))


def _load_cached(path: Path) -> dict | None:
    """Both files are memory-mapped, not read: a passage's walk touches a few pages of the 39 MB
    transition table and a few hundred of the 100,000 features' rows, and reading them was most of
    a cold build's model load."""
    try:
        data = _mapped(path)
        (size,) = struct.unpack_from("=I", data)
        header = json.loads(bytes(data[4 : 4 + size]))
        model: dict = {name: header[name] for name in ("classes", "lane", "unit_bits")}
        at = 4 + size
        for name in _PARTS:
            typecode, count = header[name]
            model[name] = part = array(typecode)  # small, and an array indexes fastest
            part.frombytes(data[at : at + count * part.itemsize])
            if len(part) != count:
                return None
            at += count * part.itemsize
        model["ptc"] = data[at:]
        if len(model["ptc"]) != header["ptc"] or header["ptc"] % (model["lane"] * len(model["classes"])):
            return None
        typecode, count = header["moves"]
        model["moves"] = _mapped(_moves_file(path)).cast(typecode)
        if len(model["moves"]) != count:
            return None
    except (OSError, ValueError, KeyError, TypeError, struct.error):
        return None  # missing or damaged: unpack again
    return model


def _model_source() -> Path:
    """py3langid's packed model, found without importing py3langid (which imports numpy)."""
    spec = importlib.util.find_spec("py3langid")
    if spec is not None and spec.submodule_search_locations:
        shipped = Path(next(iter(spec.submodule_search_locations))) / "data" / "model.npz.xz"
        if shipped.is_file():
            return shipped
    from py3langid.langid import MODEL_DIR, MODEL_FILE  # a py3langid that moved its model

    return MODEL_DIR / MODEL_FILE


@lru_cache(maxsize=1)
def _identifier() -> _Scorer:
    """py3langid's model is LZMA-packed (68 MB unpacked, about 0.7 s to unpack): unpack it once, cut to our
    languages, and keep that in the user's cache, so a cold `krasse build` loads it in milliseconds."""
    source = _model_source()
    cached = _cache_file(source)
    model = _load_cached(cached) if cached is not None and cached.exists() else None
    if model is None:
        model = _unpack(source)
        if cached is not None:
            _store(cached, model)
    elif cached is not None:
        _mark_used(cached)
    classes = model["classes"]
    rows = _Rows(memoryview(model["ptc"]), len(classes), model["lane"], model["unit_bits"])
    return _Scorer(classes, model["pc"].tolist(), rows, model["moves"], model["rowbase"], model["output"])


@lru_cache(maxsize=4096)
def foreign_language(text: str, base: str = "de") -> str | None:
    """The language of `text` when it is confidently not `base`; None when it is `base` or unsure.

    Cached: `krasse watch` parses the same paragraphs again on every save."""
    base = base.split("-")[0].lower()
    if text.count(" ") < MIN_WORDS - 1:
        return None
    words = _words(text)
    if len(words) < MIN_WORDS:
        return None
    if base == "de" and sum(map(_SCORE.get, words, repeat(0))) >= 0:  # German words minus English ones
        return None  # German, or too little to tell: never mislabel the newsletter's own language
    lang, confidence = _identifier().classify(text)
    return lang if lang != base and confidence >= CONFIDENCE else None


# The guard runs on every paragraph of every issue (the archive's full build too), so it is kept cheap:
# one lookup per word (the two word lists share no word), and when the text has no letters beyond
# Latin-1, bytes: one table lower-cases the letters and blanks everything else, and `split` cuts the
# words. Both ways find the same words.
_SCORE = {**dict.fromkeys(_GERMAN, 1), **dict.fromkeys(_ENGLISH, -1)}
_SCORE.update({word.encode("latin-1"): score for word, score in _SCORE.items()})  # the words as Latin-1 bytes too
# `[^\W\d_]` within Latin-1 (the letters, and also ª µ º and the superscript and fraction digits),
# lower-cased as `str.lower` does; every other byte becomes a space.
_LATIN1_WORDS = bytes(ord(chr(b).lower()) if _WORD.fullmatch(chr(b)) else 0x20 for b in range(256))
# Beyond Latin-1, only punctuation (dashes, quotes, ellipsis, ‹›, €, arrows) keeps that fast path; it
# becomes "?" in Latin-1, and a space in the table.
_BEYOND_LATIN1 = re.compile(r"[^\x00-\xff\u2010-\u2027\u2030-\u205e\u20ac\u2190-\u21ff]")


def _words(text: str) -> list:
    """`_WORD.findall(text.lower())`: the runs of letters, lower-cased (as Latin-1 bytes where the
    text allows it, about three times faster)."""
    if _BEYOND_LATIN1.search(text):
        return _WORD.findall(text.lower())
    return text.encode("latin-1", "replace").translate(_LATIN1_WORDS).split()
