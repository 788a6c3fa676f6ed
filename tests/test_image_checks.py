"""`check` hints for images: too few pixels for phones, too many bytes, white slabs in dark mode."""

from __future__ import annotations

import io
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


def _opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file Pillow opens from now on, with the per-file caches emptied."""
    from pipeline import images

    images._sniff.cache_clear()
    images._facts.cache_clear()
    opened: list[str] = []
    real_open = Image.open

    def counting(fp, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counting)
    return opened


def test_build_opens_each_image_once_for_its_type_and_once_for_its_facts(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.build import build_one, load_issues
    from pipeline.config import load_config

    write_issue(empty_project, Image.new("RGB", (1200, 600), (30, 80, 160)))
    config = load_config(empty_project)
    opened = _opens(monkeypatch)
    built = build_one(load_issues(config).issues[0], config)
    assert built.ok and (empty_project / "outbox/001-bilder/images/bild.png").is_file()
    # render (facts), check (type) and the copy (type again, now from the cache)
    assert len(opened) == 2 and all(p.endswith("bild.png") for p in opened)


def test_type_check_reads_a_replaced_file_again(empty_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.images import inspect, sniff

    folder = empty_project / "issues"
    write_issue(empty_project, Image.new("RGB", (40, 20), (30, 80, 160)))
    opened = _opens(monkeypatch)
    assert inspect(empty_project, folder, "images/bild.png") is None
    assert sniff(folder / "images/bild.png") == "PNG" and len(opened) == 1  # the second look is cached
    (folder / "images/bild.png").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    problem = inspect(empty_project, folder, "images/bild.png")
    assert problem is not None and problem.rule == "img-type"
    assert sniff(folder / "images/bild.png") is None and len(opened) == 2


BUILD_AND_LIST_PLUGINS = """
import sys
from pathlib import Path
from pipeline.build import build_one, load_issues
from pipeline.config import load_config
config = load_config(Path(sys.argv[1]))
assert build_one(load_issues(config).issues[0], config).ok
print(" ".join(sorted(m for m in sys.modules if m.startswith("PIL.") and m.endswith("ImagePlugin"))))
"""


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_build_loads_only_the_pillow_plugins_it_accepts(empty_project: Path, fmt: str) -> None:
    """Asking Pillow for a format whose plugin is not loaded yet loads all ~45 plugins (Image.init):
    up to 0.1 s of a cold build, for formats a build refuses anyway."""
    import subprocess
    import sys

    write_issue(empty_project, Image.new("RGB", (700, 300), (30, 80, 160)), fmt)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    done = subprocess.run(
        [sys.executable, "-c", BUILD_AND_LIST_PLUGINS, str(empty_project)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert f"PIL.{fmt.capitalize()}ImagePlugin" in loaded
    assert not loaded - {f"PIL.{name}ImagePlugin" for name in ("Png", "Jpeg", "Gif", "WebP", "Mpo")}


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user cache keeps answers only about files that have not changed for a few seconds; a test's
    images are younger than that."""
    from pipeline import images

    monkeypatch.setattr(images, "SETTLED_NS", -(10**18))


def build(project: Path):  # type: ignore[no-untyped-def]
    from pipeline.build import build_one, load_issues
    from pipeline.config import load_config

    config = load_config(project)
    return build_one(load_issues(config).issues[0], config)


def white_page() -> Image.Image:
    image = Image.new("RGB", (1200, 600), (255, 255, 255))
    image.paste((30, 80, 160), (200, 200, 1000, 400))
    return image


def test_later_build_takes_unchanged_images_from_the_user_cache(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    write_issue(empty_project, white_page())
    first = build(empty_project)
    email = (empty_project / "outbox/001-bilder/email.html").read_bytes()
    opened = _opens(monkeypatch)  # as in a new process: nothing known in memory
    again = build(empty_project)
    assert again.ok and opened == []
    assert [f.rule for f in again.findings] == [f.rule for f in first.findings]
    assert "img-dark-mode" in [f.rule for f in again.findings]
    assert (empty_project / "outbox/001-bilder/email.html").read_bytes() == email  # same width and height
    assert (empty_project / "outbox/001-bilder/images/bild.png").is_file()


def same_size_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)  # stored, not compressed: the size depends on the pixel count only
    return out.getvalue()


def replace_keeping_size_and_time(path: Path, data: bytes) -> None:
    """As `cp -p` or unpacking an archive would: other content, same size and modification time."""
    before = path.stat()
    assert len(data) == before.st_size
    spare = path.with_suffix(".new")
    spare.write_bytes(data)
    os.utime(spare, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(spare, path)


def test_image_replaced_with_the_same_size_and_time_is_read_again(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    path = empty_project / "issues/images/bild.png"
    write_issue(empty_project, Image.new("RGB", (1200, 600), (30, 80, 160)))
    path.write_bytes(same_size_png(Image.new("RGB", (1200, 600), (30, 80, 160))))
    assert "img-dark-mode" not in [f.rule for f in build(empty_project).findings]
    replace_keeping_size_and_time(path, same_size_png(white_page()))
    _opens(monkeypatch)
    assert "img-dark-mode" in [f.rule for f in build(empty_project).findings]


def test_image_replaced_by_svg_with_the_same_size_and_time_is_refused(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    """The type check is what keeps a non-image out of every inbox: a remembered answer must not outlive the file."""
    path = empty_project / "issues/images/bild.png"
    write_issue(empty_project, Image.new("RGB", (100, 50), (30, 80, 160)))
    size = path.stat().st_size
    assert build(empty_project).ok
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    replace_keeping_size_and_time(path, svg + b" " * (size - len(svg)))
    _opens(monkeypatch)
    again = build(empty_project)
    assert not again.ok and "img-type" in [f.rule for f in again.findings]


def test_damaged_user_cache_records_are_worked_out_again(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    from pipeline.images import record_name

    write_issue(empty_project, white_page())
    assert build(empty_project).ok
    image = empty_project / "issues/images/bild.png"
    cache = Path(os.environ["KRASSE_CACHE_DIR"])
    names = [record_name(str(image), "facts"), record_name(str(image.resolve()), "type")]
    records = [cache / f"{name}.json" for name in names]
    for record in records:
        key = json.loads(record.read_text("utf-8"))["key"]
        record.write_text(json.dumps({"key": key, "value": {"answer": ["kaputt"]}}), encoding="utf-8")
    opened = _opens(monkeypatch)
    again = build(empty_project)
    assert again.ok and "img-dark-mode" in [f.rule for f in again.findings] and len(opened) == 2


def test_running_process_reads_an_image_replaced_with_the_same_size_and_time_again(empty_project: Path) -> None:
    """`watch` builds again in the same process: what it remembers about an image must not outlive the file."""
    path = empty_project / "issues/images/bild.png"
    write_issue(empty_project, Image.new("RGB", (100, 50), (30, 80, 160)))
    path.write_bytes(same_size_png(Image.new("RGB", (1200, 600), (30, 80, 160))))
    assert "img-dark-mode" not in [f.rule for f in build(empty_project).findings]
    replace_keeping_size_and_time(path, same_size_png(white_page()))
    assert "img-dark-mode" in [f.rule for f in build(empty_project).findings]
    size = path.stat().st_size
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    replace_keeping_size_and_time(path, svg + b" " * (size - len(svg)))
    assert "img-type" in [f.rule for f in build(empty_project).findings]


def test_records_no_build_used_for_a_month_are_swept(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    """Records about images that were moved or deleted would otherwise pile up in the user cache."""
    import time

    from pipeline.images import record_name

    cache = Path(os.environ["KRASSE_CACHE_DIR"])
    records = cache / "images"
    records.mkdir(parents=True, exist_ok=True)
    (records / ".swept").unlink(missing_ok=True)  # no sweep yet today
    month_ago = time.time() - 40 * 86400

    def orphan(name: str) -> Path:
        path = cache / f"{record_name(str(empty_project / 'issues/images' / name), 'facts')}.json"
        path.write_text('{"key": "-", "value": {"answer": null}}', encoding="utf-8")
        os.utime(path, (month_ago, month_ago))
        return path

    gone = orphan("weg.png")
    write_issue(empty_project, white_page())
    assert build(empty_project).ok
    assert not gone.exists()
    mine = cache / f"{record_name(str(empty_project / 'issues/images/bild.png'), 'facts')}.json"
    os.utime(mine, (month_ago, month_ago))
    later = orphan("auch-weg.png")
    _opens(monkeypatch)
    assert build(empty_project).ok
    assert mine.stat().st_mtime > month_ago + 86400  # read by this build: in use again
    assert later.exists()  # one sweep a day


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_cut_off_image_is_refused_not_published(empty_project: Path, fmt: str) -> None:
    """A file cut off mid-copy still has a valid header; the reader would see a broken or half image."""
    noise = Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3))
    path = write_issue(empty_project, noise, fmt)
    image = empty_project / f"issues/images/bild.{fmt.lower()}"
    image.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
    result = krasse(empty_project, "build")
    assert result.exit_code == 1, result.output
    assert f"{path.name}:10: error [img-broken] images/bild.{fmt.lower()} " in result.output
    assert not (empty_project / "outbox/001-bilder").exists()
    archive = krasse(empty_project, "archive")
    assert archive.exit_code == 1 and "[img-broken]" in archive.output
    assert not list((empty_project / "outbox").rglob(f"bild.{fmt.lower()}"))


def test_an_image_cut_off_after_its_page_was_built_is_not_copied_into_the_archive(empty_project: Path) -> None:
    """The issue is unchanged, so its page is not rendered again: the archive copied the cut-off file
    over the good one, exit 0."""
    noise = Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3))
    write_issue(empty_project, noise, "JPEG")
    assert krasse(empty_project, "archive").exit_code == 0
    published = empty_project / "outbox/archive/images/bild.jpeg"
    good = published.read_bytes()
    source = empty_project / "issues/images/bild.jpeg"
    source.write_bytes(good[: len(good) // 2])
    result = krasse(empty_project, "archive")
    assert result.exit_code == 1 and "[img-broken] images/bild.jpeg" in result.output, result.output
    assert published.read_bytes() == good


def test_image_over_pillows_pixel_limit_is_called_too_large_not_a_wrong_type(empty_project: Path) -> None:
    """Pillow refuses to open more than 2 × MAX_IMAGE_PIXELS (~178 Mpx) as a decompression bomb: the
    author has a real PNG and must be told to scale it down, not that it is not a PNG."""
    write_issue(empty_project, Image.new("1", (2 * Image.MAX_IMAGE_PIXELS // 9_000 + 1, 9_000)))
    found = rules(empty_project)
    assert "img-type" not in found
    assert found["img-size"]["line"] == 10 and "megapixels" in found["img-size"]["message"]
