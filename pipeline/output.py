"""Writing output safely: atomic, inside the output folder, and only when content changed."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from pipeline.errors import Finding, PipelineError, display_path


def guard(root: Path, path: Path) -> None:
    """Refuse `path` unless it lies below `root` without passing through a symbolic link.

    A folder inside the output that is a link (`outbox/x/images -> ../../issues/images`) would
    send writes and deletions elsewhere; `root` itself may be a link, the user chose it.
    """
    base, target = os.path.abspath(root), os.path.abspath(path)
    if os.path.commonpath([base, target]) != base:
        raise PipelineError(Finding(display_path(path), 0, "output-path", f"refusing to write outside {root}"))
    current = Path(base)
    for part in Path(target).relative_to(base).parts:
        current = current / part
        if current.is_symlink():
            raise PipelineError(
                Finding(
                    display_path(current),
                    0,
                    "output-path",
                    "is a symbolic link inside the output folder: refusing to write or delete through it; remove it",
                )
            )


def write_atomic(path: Path, data: bytes | str, root: Path | None = None) -> bool:
    """Write via a temp file and rename; returns False (and writes nothing) if unchanged.

    With `root`, the folders between it and `path` must not be symbolic links (see `guard`).
    """
    if root is not None:
        guard(root, path.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == payload:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def inside(root: Path, path: Path) -> Path:
    """Refuse any output path outside `root` (Pelican's writer rule)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise PipelineError(Finding(display_path(path), 0, "output-path", f"refusing to write outside {root}"))
    return resolved


RESERVED = {"archive", "export"}


def reserved_name(path: Path) -> Finding:
    """An issue file named like a folder the outputs use (`archive.md`): build could not write it."""
    return Finding(
        display_path(path),
        0,
        "output-path",
        f"'{path.stem}' is reserved in outbox/: rename the file, like 045-{path.stem}.md",
    )


def issue_dir(outbox: Path, stem: str) -> Path:
    if stem in RESERVED:  # loading refuses these first (`reserved_name`); this is the writer's own guard
        raise PipelineError(reserved_name(Path("issues") / f"{stem}.md"))
    return inside(outbox, outbox / stem)


_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")  # what write_atomic's mkstemp names look like
STALE_SECONDS = 60.0  # a live write holds its temp file for milliseconds


def remove_stale_temp(root: Path) -> list[Path]:
    """Delete temp files an interrupted write left below `root` (not following links)."""
    removed = []
    if root.is_symlink() or not root.is_dir():
        return removed
    cutoff = time.time() - STALE_SECONDS
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            try:
                if _TEMP.match(name) and not path.is_symlink() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue
    return removed
