"""Where krasse keeps what it works out once per machine rather than on every run: the unpacked
language model, the compiled layouts, the month names, the stylesheet's inlining rules and what
Pillow said about each image file.
Everything there can be deleted at any time; it is made again on the next run, and a folder that
cannot be written only means that work is done every run."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def cache_dir() -> Path | None:
    """`KRASSE_CACHE_DIR`, else the user's cache folder."""
    if configured := os.environ.get("KRASSE_CACHE_DIR"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "krasse"


@cache
def _layout_cache(folder: Path):  # type: ignore[no-untyped-def]
    import jinja2

    class BestEffort(jinja2.FileSystemBytecodeCache):
        """A cache folder that cannot be read or written means compiling, never an error."""

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                super().load_bytecode(bucket)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with contextlib.suppress(OSError):
                os.makedirs(self.directory, exist_ok=True)
                super().dump_bytecode(bucket)

    return BestEffort(str(folder))


def layout_bytecode():  # type: ignore[no-untyped-def]
    """Jinja2's own bytecode cache for the layouts (keyed by each layout's path and source, so an edited
    layout is compiled again): compiling the email's four templates was 15 ms of every cold build."""
    folder = cache_dir()
    return None if folder is None else _layout_cache(folder / "layouts")


def recall(name: str, key: str) -> Any:
    """The value kept under `name` if it was kept for this `key`, else None (also for a damaged file)."""
    folder = cache_dir()
    if folder is None:
        return None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        stored = json.loads((folder / f"{name}.json").read_text("utf-8"))
        if stored["key"] == key:
            return stored["value"]
    return None


def keep(name: str, key: str, value: Any) -> None:
    """Keep a JSON-able `value` under `name` for `key` (atomic; best effort)."""
    folder = cache_dir()
    if folder is None:
        return
    target = folder / f"{name}.json"  # a name may have a folder part: `images/…`
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"key": key, "value": value}, handle, ensure_ascii=False)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


DAY = 86400


def used(name: str) -> None:
    """Mark what is kept under `name` as in use: its time is set to now, at most once a day (one stat
    otherwise), so `sweep` takes only what no run has used for a while."""
    folder = cache_dir()
    if folder is None:
        return
    with contextlib.suppress(OSError):
        path = folder / f"{name}.json"
        if path.stat().st_mtime < time.time() - DAY:
            os.utime(path)


def sweep(subfolder: str, unused_days: int) -> None:
    """Remove what no run kept or used (`used`) for `unused_days` from the cache's `subfolder`: records
    about files that are gone would otherwise pile up. At most once a day (its `.swept` file's time)."""
    folder = cache_dir()
    if folder is None:
        return
    mark = folder / subfolder / ".swept"
    with contextlib.suppress(OSError):
        if mark.exists() and mark.stat().st_mtime > time.time() - DAY:
            return
        mark.touch()
        unused = time.time() - unused_days * DAY
        for entry in os.scandir(folder / subfolder):
            with contextlib.suppress(OSError):
                if entry.name.endswith(".json") and entry.stat().st_mtime < unused:
                    os.unlink(entry.path)


def remembered(name: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()`'s JSON-able result, kept in the cache folder under `name` while `key` stays the same
    (the key says what the value was worked out from). Best effort: without a usable folder, or with a
    damaged file, it is worked out again."""
    value = recall(name, key)
    if value is None:
        value = compute()
        keep(name, key, value)
    return value


def installed(*packages: str) -> str:
    """Which versions of `packages` are installed, without importing them: where each one is, and the
    size and time of its `__init__.py` and of the files next to it (what an upgrade rewrites)."""
    parts = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            parts.append(f"{name}:-")
            continue
        folder = os.path.dirname(spec.origin)
        with contextlib.suppress(OSError):
            stamps = [os.stat(spec.origin), os.stat(folder)]
            parts.append(f"{spec.origin}|" + "|".join(f"{s.st_size}:{s.st_mtime_ns}" for s in stamps))
    return "||".join(parts)
