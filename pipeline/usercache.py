"""Where krasse keeps what it works out once per machine rather than on every run: the unpacked
language model, the compiled layouts and the month names. Everything there can be deleted at any time; it is made
again on the next run, and a folder that cannot be written only means that work is done every run."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

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


def remembered(name: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()`'s JSON-able result, kept in the cache folder under `name` while `key` stays the same
    (the key says what the value was worked out from). Best effort: without a usable folder, or with a
    damaged file, it is worked out again."""
    folder = cache_dir()
    path = None if folder is None else folder / f"{name}.json"
    if path is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            stored = json.loads(path.read_text("utf-8"))
            if stored["key"] == key:
                return stored["value"]
    value = compute()
    if path is not None:
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"key": key, "value": value}, handle, ensure_ascii=False)
                os.replace(tmp, path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
    return value
