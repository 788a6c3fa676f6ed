"""Problems are values: file, line, rule id, severity and message.

Library code collects them and returns them; only the CLI decides how to print them
and which exit code follows.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

ERROR = "error"
WARNING = "warning"
MAX_MESSAGE = 500  # characters


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule: str
    message: str
    severity: str = ERROR

    def __post_init__(self) -> None:
        # A message quotes the input (a link, a path, a value): hostile input must not make it huge.
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", self.message[: MAX_MESSAGE - 1] + "…")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity} [{self.rule}] {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


class PipelineError(Exception):
    """Raised where a stage cannot go on; carries the findings that say why."""

    def __init__(self, findings: list[Finding] | Finding):
        self.findings = [findings] if isinstance(findings, Finding) else list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


def absolute(path: Path) -> Path:
    """Absolute without following links, so a linked issue keeps the name the author gave it."""
    return Path(os.path.abspath(path))


def display_path(path: Path | str) -> str:
    """Paths relative to the working directory read best in messages (`issues/x.md:4`)."""
    p = Path(path)
    try:
        return str(absolute(p).relative_to(_resolved(os.getcwd())))
    except ValueError:
        return str(p)


@lru_cache(maxsize=8)
def _resolved(cwd: str) -> Path:
    """`Path.cwd().resolve()` per working directory: resolving walks every component with a system
    call (about 70 µs), and a build names its files many times."""
    return Path(cwd).resolve()


def under_root(path: Path, root: Path) -> str:
    """`path` relative to the project when it is inside it (posix), else as given."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)


def project_relative(finding: Finding, root: Path) -> str:
    """The finding as text with its file relative to the project: meta.json must not depend on the cwd."""
    path, base = absolute(Path(finding.file)), root.resolve()
    if path.is_relative_to(base):
        finding = replace(finding, file=path.relative_to(base).as_posix())
    return str(finding)
