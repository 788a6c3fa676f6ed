"""The README's screenshots come from scripts/screenshots.py; a test run renders them into a
temporary folder and never rewrites the tracked docs/*.png."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.browser

sys.path.insert(0, str(ROOT / "scripts"))

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_names_the_script_and_shows_every_screenshot() -> None:
    import screenshots

    assert "scripts/screenshots.py" in README
    shown = set(re.findall(r"\]\(docs/([\w-]+\.png)\)", README))
    assert shown == set(screenshots.NAMES)
    assert all((ROOT / "docs" / name).is_file() for name in screenshots.NAMES)


def test_the_script_makes_every_screenshot(browser, tmp_path: Path) -> None:
    import screenshots

    before = {p: p.stat().st_mtime_ns for p in (ROOT / "docs").glob("*.png")}
    made = screenshots.make_all(browser, tmp_path)
    assert sorted(p.name for p in made) == sorted(screenshots.NAMES)
    for path in made:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, path.name  # a real picture
    assert {p: p.stat().st_mtime_ns for p in (ROOT / "docs").glob("*.png")} == before  # tracked files untouched
