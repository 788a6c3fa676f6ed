"""`.krasse-archive.json`: what the last build wrote, from which inputs, and what it learnt.

Per output file: the hash of its inputs, so a rebuild renders only what changed. Per issue
file: the source hash and the data the index, search and feed need (title, date, teaser,
words, …), so a no-op rebuild does not parse unchanged Markdown. Everything cached is tied to
the `site` hash (config, archive layouts, pipeline code); when that moves the cache is ignored,
but the list of outputs is still used to remove what is no longer wanted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pipeline.config import Config

NAME = ".krasse-archive.json"
FORMAT = 4  # 2: the search postings' words as one JSON text (search.Postings); 3: as differences;
# 4: with a digest of each issue's words
PACKAGE = Path(__file__).resolve().parent.parent


# json.dumps(…, ensure_ascii=False, sort_keys=True) builds an encoder per call: a thousand issues
# times four parts made that a tenth of a no-op rebuild. One encoder writes the same text.
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def dumps(data: Any) -> str:
    """`json.dumps(data, ensure_ascii=False, separators=(",", ":"))`, the same text, written by orjson
    (30 times faster on the manifest); json itself for what orjson refuses (a lone surrogate, a
    non-string key, an integer past 64 bits)."""
    try:
        return orjson.dumps(data).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def digest(*parts: Any) -> str:
    """Short content hash of anything JSON can write (bytes are hashed as they are)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part if isinstance(part, bytes) else _JSON.encode(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


def site_hash(config: Config) -> str:
    """Inputs every page shares: config values, the archive layouts and the pipeline's code."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"format {FORMAT}\n{config.fingerprint()}\n".encode())
    layouts = sorted(config.layouts_dir.glob("archive*")) if config.layouts_dir.is_dir() else []
    code = sorted(PACKAGE.glob("**/*.py"))
    # The whole package's code shapes the pages, not a hand-kept list: one missed language.py.
    for name, path in [(p.name, p) for p in layouts] + [(p.relative_to(PACKAGE).as_posix(), p) for p in code]:
        h.update(name.encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()


@dataclass
class Manifest:
    site: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # path below the site → input hash
    issues: dict[str, dict] = field(default_factory=dict)  # file name in issues/ → cached data
    images: dict[str, list[int]] = field(default_factory=dict)  # rel → [size, mtime_ns] of the source
    search: dict = field(default_factory=dict)  # search.Postings as JSON
    # file → [content hash, ISO time of its last change]: the feed's `updated`. Kept across site-hash
    # changes (it describes the issues, not our code), so a new version of krasse keeps the times.
    changes: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "site": self.site,
            "outputs": self.outputs,
            "issues": self.issues,
            "images": self.images,
            "search": self.search,
            "changes": self.changes,
        }
        # Every dict is filled in a fixed order (sorted files, issue numbers), so no sort_keys needed.
        return dumps(data) + "\n"


def load(out: Path) -> Manifest:
    """The last build's manifest; an empty one when missing, unreadable or of another format."""
    try:
        data = orjson.loads((out / NAME).read_bytes())
    except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
        return Manifest()
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return Manifest()
    return Manifest(
        site=str(data.get("site", "")),
        outputs=dict(data.get("outputs", {})),
        issues=dict(data.get("issues", {})),
        images=dict(data.get("images", {})),
        search=dict(data.get("search", {})),
        changes={k: list(v) for k, v in dict(data.get("changes", {})).items() if isinstance(v, list) and len(v) == 2},
    )
