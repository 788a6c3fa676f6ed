"""Local images: where they are, whether they exist, and the URL each output uses.

An image is written relative to its issue file (`images/chart.png`). It is published under the
same relative path everywhere: next to the email in `outbox/<issue>/`, and in the archive, so
the email can point at `<base_url>/images/chart.png`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from markdown_it.token import Token

from pipeline.output import write_atomic

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


def copy_images(images: Sequence[LocalImage], source_dir: Path, target_dir: Path) -> list[Path]:
    """Copy the existing safe images; returns what was written. Missing ones are `check`'s job."""
    written = []
    for image in images:
        if not image.safe:
            continue
        src = source_dir / image.rel
        if src.is_file():
            dest = target_dir / image.rel
            write_atomic(dest, src.read_bytes())
            written.append(dest)
    return written
