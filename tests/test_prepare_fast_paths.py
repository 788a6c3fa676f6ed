"""prepare()'s own speed-ups (naming files, the gate's URL test, the client lint's scan, the text
part) give exactly what the code they replace gave: each is compared with that code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.errors import display_path


def display_path_resolving_each_time(path: Path | str) -> str:
    p = Path(path)
    try:
        return str(Path(os.path.abspath(p)).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def test_display_path_follows_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real" / "project"
    (real / "issues").mkdir(parents=True)
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    other = tmp_path / "other"
    other.mkdir()
    paths = [
        real / "issues" / "001-a.md",
        tmp_path / "linked" / "project" / "issues" / "001-a.md",
        Path("issues/001-a.md"),
        Path("../x.md"),
        other / "y.md",
        "/",
    ]
    seen = set()
    for cwd in (real, tmp_path / "linked" / "project", other, real / "issues", real):
        monkeypatch.chdir(cwd)
        for path in paths:
            got = display_path(path)
            assert got == display_path_resolving_each_time(path)
            seen.add(got)
    assert "issues/001-a.md" in seen and "001-a.md" in seen and "y.md" in seen  # the cwd really changed
