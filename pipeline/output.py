"""Writing output safely: atomic, inside the output folder, and only when content changed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeline.errors import Finding, PipelineError, display_path


def write_atomic(path: Path, data: bytes | str) -> bool:
    """Write via a temp file and rename; returns False (and writes nothing) if unchanged."""
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


def issue_dir(outbox: Path, stem: str) -> Path:
    if stem in RESERVED:
        raise PipelineError(
            Finding(f"issues/{stem}.md", 0, "output-path", f"'{stem}' is reserved in outbox/: rename the file")
        )
    return inside(outbox, outbox / stem)
