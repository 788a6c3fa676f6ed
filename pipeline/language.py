"""Which passages are not in the newsletter's language, so they can carry `lang` (WCAG 3.1.2):
a screen reader then reads an English quote with English pronunciation.

py3langid does the detecting: a well-kept fork of langid.py that ships its model, is deterministic
and needs only numpy (lingua is more accurate on very short text but weighs 96 MB and loads
slower). Two guards keep German text from ever being mislabelled: a passage goes to the model only
when it has more English than German function words, and only a confident answer (≥ 0.99) on a
passage of at least six words counts. The model loads on first use, so issues without foreign
passages never pay for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

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


CACHE_FORMAT = 2
_TABLES = ("ptc", "pc", "classes", "row", "output")  # small: one .npz next to the big transition table


def cache_dir() -> Path | None:
    """Where the unpacked model is kept between runs: `KRASSE_CACHE_DIR`, else the user's cache folder."""
    if configured := os.environ.get("KRASSE_CACHE_DIR"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "krasse"


def _cache_file(source: Path) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    stat = source.stat()
    key = f"{CACHE_FORMAT}|{source}|{stat.st_size}|{stat.st_mtime_ns}|{','.join(LANGUAGES)}"
    return folder / f"py3langid-{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}.npz"


def _moves_file(cached: Path) -> Path:
    """The tokenizer's transition table (39 MB) as a plain .npy, so it can be memory-mapped."""
    return cached.with_suffix(".nextmove.npy")


def _unpack(source: Path) -> dict:
    """The shipped model cut to our languages: the same scores as `set_languages(LANGUAGES)`."""
    import numpy as np
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(source)
    keep = [i for i, c in enumerate(classes) if c in LANGUAGES]
    return {
        "ptc": np.ascontiguousarray(np.asarray(ptc)[:, keep]),
        "pc": np.asarray(pc)[keep],
        "classes": np.array([classes[i] for i in keep]),
        "nextmove": np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
        "row": np.frombuffer(row, dtype=f"u{row.itemsize}"),
        "output": np.array(output, dtype=np.int32),
    }


def _store(path: Path, arrays: dict) -> None:
    """Atomic, and best effort: a read-only home only means the next run unpacks again. The table
    goes first, so a complete .npz always has its table next to it."""
    import numpy as np

    def write(target: Path, save) -> None:  # type: ignore[no-untyped-def]
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                save(handle)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(_moves_file(path), lambda handle: np.save(handle, arrays["nextmove"]))
        write(path, lambda handle: np.savez(handle, **{name: arrays[name] for name in _TABLES}))
    except OSError:
        return
    keep = {path.name, _moves_file(path).name}
    for old in path.parent.glob("py3langid-*"):  # another py3langid or cache format: 42 MB each
        if old.name not in keep:
            with contextlib.suppress(OSError):
                old.unlink()


def _load_cached(path: Path) -> dict | None:
    """The transition table is memory-mapped, not read: a passage's walk touches a few pages of
    it, and reading and checking all 39 MB was most of a cold build's model load."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in _TABLES}
        arrays["nextmove"] = np.load(_moves_file(path), mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # missing or damaged: unpack again
    return arrays


@lru_cache(maxsize=1)
def _identifier():
    """py3langid's model is LZMA-packed (68 MB unpacked, about 0.7 s to unpack): unpack it once, cut to our
    languages, and keep that in the user's cache, so a cold `krasse build` loads it in milliseconds."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import _to_array

    source = MODEL_DIR / MODEL_FILE
    cached = _cache_file(source)
    arrays = _load_cached(cached) if cached is not None and cached.exists() else None
    if arrays is None:
        arrays = _unpack(source)
        if cached is not None:
            _store(cached, arrays)
    moves = arrays["nextmove"]
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        arrays["classes"].tolist(),
        memoryview(moves) if isinstance(moves, np.memmap) else _to_array(moves),  # indexed like an array
        arrays["output"].tolist(),
        norm_probs=True,
        tk_row=_to_array(arrays["row"]),
    )


@lru_cache(maxsize=4096)
def foreign_language(text: str, base: str = "de") -> str | None:
    """The language of `text` when it is confidently not `base`; None when it is `base` or unsure.

    Cached: `krasse watch` parses the same paragraphs again on every save."""
    base = base.split("-")[0].lower()
    if text.count(" ") < MIN_WORDS - 1:
        return None
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    if base == "de":
        # map() with the sets' own lookup: the same counts at half the cost of a generator
        german = sum(map(_GERMAN.__contains__, words))
        english = sum(map(_ENGLISH.__contains__, words))
        if german >= english:
            return None  # German, or too little to tell: never mislabel the newsletter's own language
    lang, confidence = _identifier().classify(text)
    return lang if lang != base and confidence >= CONFIDENCE else None
