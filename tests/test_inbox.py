"""Inbox fidelity, read from the final HTML: what Gmail, Outlook, Apple Mail, GMX and WEB.DE need.

Each test names the client that is hurt when it fails (caniemail feature ids in brackets).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, krasse
from generate import generate_issue

EXAMPLES = ["041-plattform-daemmerung", "042-der-moment", "043-kurz-und-buendig"]
LONG = "050-lang"


@pytest.fixture(scope="module")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples and a long generated issue, built once."""
    dest = tmp_path_factory.mktemp("inbox") / "project"
    dest.mkdir()
    shutil.copy(ROOT / "newsletter.toml", dest / "newsletter.toml")
    shutil.copytree(ROOT / "layouts", dest / "layouts")
    shutil.copytree(ROOT / "issues", dest / "issues")
    (dest / "issues" / f"{LONG}.md").write_text(generate_issue(50, 40_000, 50, footnotes=30), encoding="utf-8")
    result = krasse(dest, "build")
    assert result.exit_code == 0, result.output
    return dest / "outbox"


def html_of(outbox: Path, stem: str) -> str:
    return (outbox / stem / "email.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("stem", ["042-der-moment", LONG])
def test_every_footnote_jump_has_a_name_anchor(outbox: Path, stem: str) -> None:
    """Gmail web and Outlook for Windows jump only to <a name> [html-anchor-links]."""
    html = html_of(outbox, stem)
    targets = re.findall(r'href="#([^"]+)"', html)
    assert len(targets) > 20
    names = set(re.findall(r'<a [^>]*name="([^"]+)"', html))
    assert set(targets) <= names, set(targets) - names


def test_marker_and_note_share_a_visible_label(outbox: Path) -> None:
    """Gmail and Yahoo apps do not jump at all: "[7]" in the text must match "[7]" in the notes."""
    html = html_of(outbox, "042-der-moment")
    markers = re.findall(r'<a href="#fn(\d+)"[^>]*>\[(\d+)\]</a>', html)
    assert markers and all(a == b for a, b in markers)
    labels = re.findall(r'<a name="fn(\d+)"[^>]*>\[(\d+)\]</a>', html)
    assert [a for a, _ in labels] == [str(n) for n in range(1, len(labels) + 1)]
    assert all(a == b for a, b in labels)
    text = (outbox / "042-der-moment" / "email.txt").read_text(encoding="utf-8")
    assert "[Anm. 3]" in text and "[^" not in text
    assert re.search(r"(?m)^\[Anm\. 3\] ", text)


@pytest.mark.parametrize(
    ("stem", "size"), [("041-plattform-daemmerung", (552, 276)), ("043-kurz-und-buendig", (552, 414))]
)
def test_images_carry_their_size_capped_to_the_column(outbox: Path, stem: str, size: tuple[int, int]) -> None:
    """Outlook for Windows ignores max-width on images [css-max-width]: the attributes decide."""
    img = re.search(r"<img\b[^>]*>", html_of(outbox, stem))
    assert img, "no image"
    tag = img.group(0)
    assert f'width="{size[0]}"' in tag and f'height="{size[1]}"' in tag
    assert "display:block" in tag and "max-width:100%" in tag
