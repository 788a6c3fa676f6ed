"""Round trip: build → export (.eml) or archive page → `krasse import` into a fresh project → build.

The rebuilt email.txt must have the same words, the same link targets, the same number of items
and the same number of footnotes as the original.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import krasse

from pipeline.importer.draft import words
from pipeline.load import read_issue
from pipeline.markdown import parse

EXAMPLES = ["041-plattform-daemmerung", "042-der-moment", "043-kurz-und-buendig", "044-entwurf"]


def facts(root: Path, stem: str) -> tuple:
    """Words of the built email.txt; link targets, items and footnotes as the pipeline parses the issue."""
    [txt] = (root / "outbox").glob(f"{stem[:3]}-*/email.txt")
    [path] = (root / "issues").glob(f"{stem[:3]}-*.md")
    issue, findings = read_issue(path)
    assert issue is not None, findings
    doc = parse(issue.body)
    links = {
        child.attrGet("href")
        for run in [*doc.items, doc.notes]
        for tok in run
        for child in tok.children or []
        if child.type == "link_open"
    }
    return words(txt.read_text(encoding="utf-8")), links, len(doc.items), doc.footnote_count


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project, built, exported for the generic service and archived, once for this module."""
    from conftest import copy_project

    root = copy_project(tmp_path_factory.mktemp("original"))
    draft = root / "issues" / "044-entwurf.md"  # the draft goes out too, so every example makes the trip
    draft.write_text(
        draft.read_text(encoding="utf-8").replace(
            "draft: true", 'draft: false\nsubject: "Krasse Links No. 44: Netze und Nebel"'
        ),
        encoding="utf-8",
    )
    assert krasse(root, "build", "-q").exit_code == 0
    for stem in EXAMPLES:
        result = krasse(root, "export", stem[:3].lstrip("0"), "--esp", "generic")
        assert result.exit_code == 0, result.output
    assert krasse(root, "archive", "-q").exit_code == 0
    return root


def fresh(tmp_path: Path) -> Path:
    from conftest import copy_project

    return copy_project(tmp_path / "fresh", issues=False)


def compare(original: Path, rebuilt: Path) -> None:
    for stem in EXAMPLES:
        before, after = facts(original, stem), facts(rebuilt, stem)
        assert after[0] == before[0], (stem, before[0] - after[0], after[0] - before[0])
        assert after[1:] == before[1:], stem
    assert facts(original, EXAMPLES[1])[3] == 45 and len(facts(original, EXAMPLES[0])[1]) > 10


def test_round_trip_through_the_exported_eml(original: Path, tmp_path: Path) -> None:
    root = fresh(tmp_path)
    files = [str(original / "outbox" / stem / "export" / "generic" / "email.eml") for stem in EXAMPLES]
    result = krasse(root, "import", *files)
    assert result.exit_code == 0, result.output
    assert "kept as a URL (not downloaded): https://krasse-links.example/archiv/images/kurve.png" in result.output
    assert krasse(root, "check").exit_code == 0
    built = krasse(root, "build")
    assert built.exit_code == 0, built.output
    compare(original, root)
    text = (root / "issues" / "042-der-moment.md").read_text(encoding="utf-8")
    assert 'subject: "Krasse Links No. 42: Der Moment – ein Essay"' in text
    assert "date: 2026-10-19" in text


def test_round_trip_through_the_archive_pages(original: Path, tmp_path: Path) -> None:
    root = fresh(tmp_path)
    pages = sorted((original / "outbox" / "archive").glob("*/index.html"))
    assert len(pages) == len(EXAMPLES)
    result = krasse(root, "import", *map(str, pages))
    assert result.exit_code == 0, result.output
    # Local images of the page are copied next to the issues, byte for byte.
    assert (root / "issues" / "images" / "kurve.png").read_bytes() == (
        original / "issues" / "images" / "kurve.png"
    ).read_bytes()
    assert 'tags: ["essay", "ki", "ökonomie"]' in (root / "issues" / "042-der-moment.md").read_text("utf-8")
    built = krasse(root, "build")
    assert built.exit_code == 0, built.output
    compare(original, root)


def test_dry_run_of_a_page_with_a_local_image_writes_nothing_and_finds_nothing(original: Path, tmp_path: Path) -> None:
    root = fresh(tmp_path)
    page = original / "outbox" / "archive" / "41" / "index.html"
    result = krasse(root, "import", str(page), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would write issues/041-plattform-daemmerung.md" in result.output
    assert "![Liniendiagramm" in result.output and "](images/kurve.png)" in result.output
    assert "img-missing" not in result.output and "need your hand" not in result.output
    assert list(root.rglob("*.md")) == [] and not (root / "issues" / "images").exists()
