"""`check` hints for images: too few pixels for phones, too many bytes, white slabs in dark mode."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import krasse
from PIL import Image

from pipeline.images import EMAIL_COLUMN, ImageFacts

HEAD = (
    '---\nnumber: 1\ntitle: Bilder\ndate: 2026-01-05\npreheader: "Ein Vorschautext, der lang genug ist, '
    'um nicht zu warnen."\n---\n\n'
)


def write_issue(project: Path, image: Image.Image, fmt: str = "PNG") -> Path:
    (project / "issues/images").mkdir(exist_ok=True)
    image.save(project / f"issues/images/bild.{fmt.lower()}", fmt)
    path = project / "issues/001-bilder.md"
    path.write_text(HEAD + f"Text.\n\n![Ein Bild](images/bild.{fmt.lower()})\n", encoding="utf-8")
    return path


def rules(project: Path) -> dict[str, dict]:
    result = krasse(project, "check", "--format", "json")
    return {f["rule"]: f for f in json.loads(result.stdout)}


def test_sharp_transparent_image_gives_no_hint(empty_project: Path) -> None:
    write_issue(empty_project, Image.new("RGBA", (1200, 600), (0, 0, 0, 0)))
    found = rules(empty_project)
    assert not {"img-density", "img-heavy", "img-dark-mode"} & set(found)


def test_image_below_twice_the_shown_width_is_reported(empty_project: Path) -> None:
    write_issue(empty_project, Image.new("RGBA", (600, 300), (0, 0, 0, 0)))
    found = rules(empty_project)
    assert "img-density" in found and found["img-density"]["line"] == 10
    assert "1104 px" in found["img-density"]["message"]


def test_opaque_white_image_is_reported_for_dark_mode(empty_project: Path) -> None:
    image = Image.new("RGB", (1200, 600), (255, 255, 255))
    image.paste((30, 80, 160), (200, 200, 1000, 400))
    write_issue(empty_project, image)
    assert "img-dark-mode" in rules(empty_project)


def test_heavy_image_is_reported(empty_project: Path) -> None:
    noise = Image.frombytes("RGB", (1200, 400), os.urandom(1200 * 400 * 3))  # noise does not compress
    write_issue(empty_project, noise)
    found = rules(empty_project)
    assert "img-heavy" in found and "KB" in found["img-heavy"]["message"]


@pytest.mark.parametrize(("size", "shown"), [((300, 200), (300, 200)), ((1104, 300), (552, 150)), ((999, 1), (552, 1))])
def test_shown_size_is_capped_to_the_column(size: tuple[int, int], shown: tuple[int, int]) -> None:
    assert EMAIL_COLUMN == 552
    assert ImageFacts(*size, 1, False).shown() == shown
