"""Make the README's screenshots in docs/: the email (light, dark, GMX view), the preview and the archive.

    python3 scripts/screenshots.py [--out docs]

Builds a throwaway copy of the project (config, layouts, example issues), then photographs it in
Debian's Chromium (/usr/bin/chromium, through Playwright). Tests call `make_all` with a temporary
folder, so a test run never changes tracked files; run this script when the look changes.
"""

from __future__ import annotations

import argparse
import functools
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.archive import build_archive  # noqa: E402
from pipeline.build import build_one, load_issues  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.preview import Preview  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
EMAIL = "041-plattform-daemmerung"
NAMES = ("email-light.png", "email-dark.png", "email-gmx.png", "preview.png", "archive-index.png", "archive-issue.png")


def copy_project(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "newsletter.toml", dest / "newsletter.toml")
    shutil.copytree(ROOT / "layouts", dest / "layouts")
    shutil.copytree(ROOT / "issues", dest / "issues")
    (dest / "outbox").mkdir()
    return dest


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A folder over http from 127.0.0.1 on a free port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _offline(page, images: Path) -> None:
    """Only local files load; the email's image URLs are answered from the built images/ folder."""

    def handle(route) -> None:
        url = route.request.url
        if url.startswith("file:") or url.startswith("http://127.0.0.1"):
            route.continue_()
        elif "/images/" in url and (images / url.split("/images/", 1)[1]).is_file():
            route.fulfill(path=str(images / url.split("/images/", 1)[1]))
        else:
            route.abort()

    page.route("**/*", handle)


def email_shots(browser, project: Path, out: Path) -> list[Path]:
    """The email light (800 px), dark as Apple Mail shows it (375 px), and as GMX shows it (no <style>, 375 px)."""
    folder = project / "outbox" / EMAIL
    html = (folder / "email.html").read_text(encoding="utf-8")
    (folder / "gmx.html").write_text(re.sub(r"<style\b.*?</style>", "", html, flags=re.S | re.I), encoding="utf-8")
    shots = []
    for name, page_file, scheme, width in (
        ("email-light.png", "email.html", "light", 800),
        ("email-dark.png", "email.html", "dark", 375),
        ("email-gmx.png", "gmx.html", "light", 375),
    ):
        context = browser.new_context(viewport={"width": width, "height": 1100}, color_scheme=scheme)
        try:
            page = context.new_page()
            _offline(page, folder / "images")
            page.goto((folder / page_file).as_uri())
            page.wait_for_function("[...document.images].every(i => i.complete)")
            page.screenshot(path=str(out / name))
        finally:
            context.close()
        shots.append(out / name)
    return shots


def preview_shot(browser, project: Path, out: Path) -> Path:
    with Preview(project, port=0) as running:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = context.new_page()
            page.goto(f"{running.url}issue/{EMAIL}/")
            for frame in ("#desktop", "#mobile"):
                page.frame_locator(frame).locator("img").first.evaluate("img => img.decode()")
            page.screenshot(path=str(out / "preview.png"))
        finally:
            context.close()
    return out / "preview.png"


def archive_shots(browser, project: Path, out: Path) -> list[Path]:
    result = build_archive(load_config(project))
    assert result.ok, result.findings
    with serve(project / "outbox" / "archive") as url:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        try:
            page = context.new_page()
            page.goto(url + "index.html?q=Plattform")
            page.wait_for_selector("#treffer li .snippet mark")
            page.screenshot(path=str(out / "archive-index.png"))
            page.goto(url + "41/index.html")
            page.wait_for_function("document.querySelector('#item-1 img').complete")
            page.screenshot(path=str(out / "archive-issue.png"))
        finally:
            context.close()
    return [out / "archive-index.png", out / "archive-issue.png"]


def make_all(browser, out: Path) -> list[Path]:
    """Every README screenshot into `out`, from a fresh copy of the project."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        config = load_config(project)
        for issue in load_issues(config).issues:
            build_one(issue, config)
        shots = email_shots(browser, project, out)
        shots.append(preview_shot(browser, project, out))
        return shots + archive_shots(browser, project, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for path in make_all(browser, args.out):
                print(path)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
