"""200 saves in a burst, the odd ways editors do them: the watcher lives and ends on the last one."""

from __future__ import annotations

import os
import time
from pathlib import Path

from pipeline.preview import Outcome, Preview

STEM = "043-kurz-und-buendig"


def _save(path: Path, text: str, how: int) -> None:
    if how == 0:  # plain write
        path.write_text(text, encoding="utf-8")
    elif how == 1:  # temp file, then rename over the original
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    elif how == 2:  # truncate, let the watcher see an empty file, then write
        with path.open("w", encoding="utf-8") as handle:
            handle.flush()
            os.fsync(handle.fileno())
            handle.write(text)
    else:  # half a file first (broken front matter), the rest a moment later
        path.write_text(text[:10], encoding="utf-8")
        path.write_text(text, encoding="utf-8")


def test_two_hundred_rapid_saves(project: Path) -> None:
    path = project.resolve() / "issues" / f"{STEM}.md"
    original = path.read_text(encoding="utf-8")
    rounds: list[list[Outcome]] = []
    with Preview(project, port=0, report=rounds.append) as preview:
        rounds.clear()
        for n in range(200):
            _save(path, original.replace("Schonkost-Ausgabe", f"Fassung {n}"), n % 4)
            if n % 50 == 49:
                time.sleep(0.06)  # a pause now and then lets a build start mid-burst
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            view = preview.state.get(STEM)
            if view and view.text and "Fassung 199" in view.text and not view.errors:
                break
            time.sleep(0.02)
        time.sleep(0.3)  # anything still queued would land now
        view = preview.state.get(STEM)
        assert preview.alive
        assert "Fassung 199" in view.text and "Fassung 198" not in view.text
        assert "Fassung 199" in view.html and view.errors == ()
        assert (project / "outbox" / STEM / "email.txt").read_text(encoding="utf-8") == view.text
        builds = sum(len(r) for r in rounds)
        assert 1 <= builds < 100, f"{builds} builds for 200 saves: the saves were not coalesced"
