"""Shared fixtures: a throwaway copy of the project, the CLI runner, and a real browser."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

sys.path.insert(0, str(ROOT / "benchmarks"))  # the issue generator lives with the benchmarks


class _Visible(HTMLParser):
    """What a reader of the HTML sees: body text (character references decoded), optionally image
    alt texts; not the head, styles, scripts, or anything inside `display:none` (the preheader)."""

    VOID = frozenset({"br", "img", "meta", "link", "hr", "input", "col", "wbr", "source", "area", "base"})

    def __init__(self, alt_text: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.alt_text = alt_text
        self.parts: list[str] = []
        self.hidden: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "img" and self.alt_text and not any(self.hidden):
            self.parts.append(attributes.get("alt") or "")
        if tag in self.VOID:
            return
        style = (attributes.get("style") or "").replace(" ", "")
        self.hidden.append(tag in ("head", "style", "script", "title") or "display:none" in style)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.hidden:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.hidden):
            self.parts.append(data)


def visible_parts(html: str, alt_text: bool = False) -> list[str]:
    """The pieces of text a reader sees, in order (one helper for every test that asks)."""
    parser = _Visible(alt_text)
    parser.feed(html)
    parser.close()
    return parser.parts


@pytest.fixture(scope="session", autouse=True)
def _language_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The unpacked language model goes to a temporary cache, not the tester's home (subprocesses inherit it)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("KRASSE_CACHE_DIR", str(tmp_path_factory.mktemp("krasse-cache")))
    yield
    patch.undo()


def copy_project(dest: Path, issues: bool = True) -> Path:
    """The project's config and layouts at `dest`, with the example issues or an empty issues/."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "newsletter.toml", dest / "newsletter.toml")
    shutil.copytree(ROOT / "layouts", dest / "layouts")
    if issues:
        shutil.copytree(ROOT / "issues", dest / "issues")
    else:
        (dest / "issues").mkdir()
    return dest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's config, layouts and example issues, safe to edit and build."""
    dest = copy_project(tmp_path / "project")
    (dest / "outbox").mkdir()
    return dest


@pytest.fixture
def empty_project(project: Path) -> Path:
    """The project with no issues, for tests that write their own."""
    for path in (project / "issues").glob("*.md"):
        path.unlink()
    return project


def krasse(project: Path, *args: str, **kwargs) -> Result:
    """Run the real CLI in-process against `project`."""
    from pipeline.cli import cli

    return CliRunner().invoke(cli, ["-C", str(project), *args], catch_exceptions=False, **kwargs)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not CHROMIUM.exists():
        pytest.skip("no browser: /usr/bin/chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context()
    pg = context.new_page()
    yield pg
    context.close()
