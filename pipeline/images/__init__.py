"""Local images: where they are, whether they exist, and the URL each output uses.

An image is written relative to its issue file (`images/chart.png`). It is published under the
same relative path everywhere: next to the email in `outbox/<issue>/`, and in the archive, so
the email can point at `<base_url>/images/chart.png`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import posixpath
import re
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from markdown_it.token import Token

from pipeline.images import border
from pipeline.output import write_atomic
from pipeline.usercache import installed, keep, recall, sweep, used

MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Raster formats every target inbox shows, by what the file is (Pillow reads the header), never by
# its name. SVG is not among them: Gmail and Outlook do not show it, and opened on its own it runs scripts.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# The widest an image is shown: the 600 px email minus 2 × 24 px text padding. Outlook for Windows
# ignores `max-width` on images (caniemail css-max-width), so the width attribute must not exceed it.
EMAIL_COLUMN = 552
HEAVY_BYTES = 300_000  # one image over this slows the email on a phone connection

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)


@dataclass(frozen=True)
class LocalImage:
    src: str  # as written in the Markdown
    rel: str  # normalised path below issues/, '' when it escapes the folder
    line: int  # body line (1-based)

    @property
    def safe(self) -> bool:
        return bool(self.rel)


def is_local(src: str) -> bool:
    return bool(src) and not _REMOTE.match(src) and not src.startswith("#")


def normalise(src: str) -> str:
    """`images/./a b.png` → `images/a b.png`; '' for anything leaving the issues folder."""
    path = unquote(src.split("#")[0].split("?")[0])
    if path.startswith("/") or "\\" in path:
        return ""
    norm = posixpath.normpath(path)
    if norm.startswith("..") or norm in (".", ""):
        return ""
    return norm


def image_tokens(tokens: Sequence[Token]) -> Iterator[tuple[Token, int]]:
    """Every image token with the body line of its block."""
    for tok in tokens:
        if tok.children:
            line = tok.map[0] + 1 if tok.map else 0
            for child in tok.children:
                if child.type == "image":
                    yield child, line
                    # an image's alt text is parsed too, images in it are rare but possible
                    yield from ((c, line) for c in (child.children or []) if c.type == "image")


def local_images(tokens: Sequence[Token]) -> list[LocalImage]:
    found = []
    for tok, line in image_tokens(tokens):
        src = tok.meta.get("src") or str(tok.attrGet("src") or "")
        if is_local(src):
            found.append(LocalImage(src, normalise(src), line))
    return found


def url_for(src: str, base: str) -> str:
    """The URL an output uses: remote stays, local becomes `<base>/<rel>`."""
    if not is_local(src):
        return src
    rel = normalise(src)
    if not rel:
        return ""  # refused path: the image is dropped, its alt text stays
    return f"{base.rstrip('/')}/{quote(rel)}" if base else quote(rel)


def sniff(path: Path) -> str | None:
    """The image format read from the file's header (PNG, JPEG, GIF, WEBP), or None."""
    try:
        stat = path.stat()
    except OSError:
        return None
    kind = _sniff(str(path), _stamp(stat))
    return kind if kind in FORMATS else None


@cache
def _pillow():  # type: ignore[no-untyped-def]
    """`PIL.Image`, imported where an image is opened (Pillow is 30 ms of a cold start), with the
    plugins of FORMATS loaded: `Image.open(formats=…)` runs `Image.init()`, which imports all of
    Pillow's ~45 plugins (up to 0.1 s of a cold build), whenever one of the formats asked for is not
    loaded yet; only the file extension's plugin is loaded before that."""
    from PIL import Image

    for name in ("Png", "Jpeg", "Gif", "WebP"):
        with contextlib.suppress(ImportError):  # Pillow without libwebp: then init() happens as before
            importlib.import_module(f"PIL.{name}ImagePlugin")
    return Image


@lru_cache(maxsize=256)
def _sniff(path: str, stamp: str) -> str | None:
    """Cached per file version (`_stamp`), like `_facts`: a build checks an image before it is
    rendered and again before it is copied, and Pillow's open is most of that check.
    TOO_MANY_PIXELS for an image Pillow refuses to open as a decompression bomb."""
    known = {*FORMATS, TOO_MANY_PIXELS}  # a set: a damaged record (a list) raises, so it is worked out again
    return _remembered("type", path, lambda: _read_type(path), lambda f: f, lambda f: f if f in known else None)


TOO_MANY_PIXELS = "too many pixels"  # over 2 × Pillow's MAX_IMAGE_PIXELS (~178 Mpx): a real image, too large


def _read_type(path: str) -> str | None:
    Image = _pillow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the header is all we read
            with Image.open(path, formats=list(FORMATS)) as image:
                return image.format if image.format in FORMATS else None
    except Image.DecompressionBombError:
        return TOO_MANY_PIXELS
    except Exception:  # Pillow raises several kinds for "not an image"; any of them means no
        return None


T = TypeVar("T")
UNUSED_DAYS = 30  # a record no build read for this long goes (its image was moved or deleted)
SETTLED_NS = 3_000_000_000  # a file changed more recently than this may change again unseen (FAT: 2 s stamps)


def _remembered(
    kind: str, path: str, compute: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]
) -> T:
    """`compute()`'s answer about the file at `path`, kept in the user cache (a small file per image and
    kind) while it is the same file unchanged -- device, inode, size, modification and change time: a
    rewrite changes the times, a replacement the inode, and even `cp -p` or an unpacked archive sets
    the change time -- and the same code and Pillow answer. A later cold build of an issue whose
    images are unchanged reads none of them with Pillow (Pillow is not even imported).
    Not kept for a file changed in the last seconds: a coarse time stamp could miss a second change.
    Records no build read for UNUSED_DAYS are swept (their image was moved or deleted)."""
    try:
        before = os.stat(path)
    except OSError:
        return compute()
    name = record_name(path, kind)
    key = f"{_stamp(before)}|{_code()}"
    kept = recall(name, key)
    if isinstance(kept, dict) and "answer" in kept:
        with contextlib.suppress(TypeError, ValueError):  # a damaged record: worked out again
            answer = decode(kept["answer"])
            used(name)
            return answer
    value = compute()
    with contextlib.suppress(OSError):
        settled = time.time_ns() - max(before.st_mtime_ns, before.st_ctime_ns) > SETTLED_NS
        if settled and _stamp(os.stat(path)) == _stamp(before):  # and unchanged while it was read
            keep(name, key, {"answer": encode(value)})
            sweep("images", UNUSED_DAYS)
    return value


def record_name(path: str, kind: str) -> str:
    """The user cache's name for what is known about one image file (`type` or `facts`)."""
    return f"images/{hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:32]}-{kind}"


def _stamp(stat: os.stat_result) -> str:
    """Which version of a file this is. Size and modification time alone miss a file replaced by
    `cp -p` or an archive (same size and time, other content); the inode or change time differ."""
    return f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}"


@cache
def _code() -> str:
    """What an answer was worked out with: the code that works it out and the installed Pillow."""
    code = Path(__file__).read_bytes() + Path(border.__file__).read_bytes()
    return hashlib.sha256(code).hexdigest()[:16] + "|" + installed("PIL")


@dataclass(frozen=True)
class Problem:
    rule: str  # img-missing | img-path | img-size | img-type
    message: str


def inspect(root: Path, source_dir: Path, rel: str, content: bool = True) -> Problem | None:
    """Why the image `rel` (below `source_dir`) must not be published, or None when it may.

    It must resolve inside the project, whatever symlinks say; be at most MAX_IMAGE_BYTES (checked
    before reading); and be a raster image by content (skipped with `content=False`, for a file
    already checked and unchanged since).
    """
    try:
        real = (source_dir / rel).resolve(strict=True)
    except (OSError, RuntimeError):
        return Problem("img-missing", f"image {rel} not found")
    if not real.is_relative_to(root.resolve()):
        return Problem("img-path", f"image {rel} resolves outside the project (a symlink?); copy the file into issues/")
    try:
        if not real.is_file():
            return Problem("img-missing", f"image {rel} is not a file")
        stat = real.stat()
    except OSError:
        return Problem("img-missing", f"image {rel} cannot be read")
    size = stat.st_size
    if size > MAX_IMAGE_BYTES:
        return Problem(
            "img-size",
            f"image {rel} is {size / 2**20:,.1f} MiB; the limit is {MAX_IMAGE_BYTES // 2**20} MiB "
            "(every reader downloads it)",
        )
    kind = _sniff(str(real), _stamp(stat)) if content else "unread"
    if kind == TOO_MANY_PIXELS:
        limit = 2 * _pillow().MAX_IMAGE_PIXELS // 1_000_000
        return Problem("img-size", f"image {rel} has more than {limit} megapixels; scale it down")
    if kind is None:
        return Problem("img-type", f"{rel} is not a PNG, JPEG, GIF or WebP image (SVG is not shown by most inboxes)")
    return None


def read_image(root: Path, source_dir: Path, rel: str) -> bytes | None:
    """The bytes of a publishable image, None for anything `inspect` refuses."""
    if inspect(root, source_dir, rel) is not None:
        return None
    with (source_dir / rel).resolve(strict=True).open("rb") as handle:
        return handle.read(MAX_IMAGE_BYTES + 1)[:MAX_IMAGE_BYTES]


def copy_images(images: Sequence[LocalImage], source_dir: Path, target_dir: Path, root: Path) -> list[Path]:
    """Copy the publishable images; returns what was written. Refused and missing ones are `check`'s job."""
    written = []
    for image in images:
        if not image.safe:
            continue
        data = read_image(root, source_dir, image.rel)
        if data is not None:
            dest = target_dir / image.rel
            write_atomic(dest, data, root=target_dir)
            written.append(dest)
    return written


@dataclass(frozen=True)
class ImageFacts:
    """What the layout and `check` need to know about one image file (Pillow reads it)."""

    width: int
    height: int
    bytes: int
    white_edge: bool  # opaque and near-white at the border: a bright slab in dark mode

    def shown(self, column: int = EMAIL_COLUMN) -> tuple[int, int]:
        """Width and height attributes: the real size, scaled down to fit the column."""
        if self.width <= column:
            return self.width, self.height
        return column, max(1, round(self.height * column / self.width))


MAX_EDGE_PIXELS = 20_000_000  # decoding more than this just to look at the border is not worth it


@lru_cache(maxsize=256)
def _facts(path: str, stamp: str, size: int) -> ImageFacts | None:
    return _remembered("facts", path, lambda: _read_facts(path, size), _facts_json, _facts_from_json)


def _read_facts(path: str, size: int) -> ImageFacts | None:
    Image = _pillow()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the pixel guard below decides
            with Image.open(path, formats=list(FORMATS)) as image:
                edge = image.width * image.height <= MAX_EDGE_PIXELS and border.white_border(image)
                return ImageFacts(image.width, image.height, size, edge)
    except Exception:  # Pillow raises several kinds for "not an image": then no size attributes, no hints
        return None


def _facts_json(facts: ImageFacts | None) -> list | None:
    return None if facts is None else [facts.width, facts.height, facts.bytes, facts.white_edge]


def _facts_from_json(kept: list | None) -> ImageFacts | None:
    return None if kept is None else ImageFacts(*kept)


def image_facts(images: Sequence[LocalImage], source_dir: Path) -> dict[str, ImageFacts]:
    """Facts per normalised path for the existing safe images inside `source_dir` (symlinks out of
    it are left to `inspect`); cached while the file is unchanged."""
    found = {}
    inside = source_dir.resolve()
    for image in images:
        path = source_dir / image.rel
        if not image.safe or not path.is_file() or not path.resolve().is_relative_to(inside):
            continue
        stat = path.stat()
        if stat.st_size <= MAX_IMAGE_BYTES:
            facts = _facts(str(path), _stamp(stat), stat.st_size)
            if facts is not None:
                found[image.rel] = facts
    return found


def undecodable(images: Sequence[LocalImage], source_dir: Path, facts: Mapping[str, ImageFacts]) -> list[LocalImage]:
    """The images with a valid PNG/JPEG/GIF/WebP header whose pixels Pillow cannot decode: a file cut off
    mid-copy, which readers would see broken or half grey. Only images `image_facts` found no facts for
    are looked at, with its cached answer: an ordinary build reads no image again. (Images over
    MAX_EDGE_PIXELS are not decoded for their facts, so not checked either.)"""
    found = []
    for image in images:
        path = source_dir / image.rel
        if not image.safe or image.rel in facts or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_size > MAX_IMAGE_BYTES or _sniff(str(path), _stamp(stat)) not in FORMATS:
            continue  # too big, or no image at all: `inspect` says so
        if _facts(str(path), _stamp(stat), stat.st_size) is None:
            found.append(image)
    return found


def broken_message(image: LocalImage) -> str:
    return (
        f"{unquote(image.src)} has an image header but its pixels cannot be read: the file is cut off "
        "or damaged; save or copy it again"
    )
