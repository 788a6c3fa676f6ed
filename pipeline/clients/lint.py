"""The client-support lint: every feature of the final HTML that a configured client does not
support (caniemail data), reported at the layout file and line it comes from.

A layout marks a deliberate progressive enhancement with a comment next to it:
`caniemail-allow: css-at-media-prefers-color-scheme — why`. Allowed features are not reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.clients.features import Use, features_of
from pipeline.clients.support import support
from pipeline.errors import WARNING, Finding, display_path

_ALLOW = re.compile(r"caniemail-allow:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)")
LAYOUT_SOURCES = ("email.mjml.j2", "email.css.j2", "email-dark.css.j2")


@dataclass(frozen=True)
class Gap:
    """One feature some configured clients do not support."""

    slug: str
    title: str
    snippet: str
    pattern: str
    clients: tuple[str, ...]


def gaps(html: str, clients: Sequence[str]) -> list[Gap]:
    """Features of `html` that caniemail lists as unsupported by any of `clients`.

    A use inside a container a client already ignores (a <style> block in GMX, a media query in
    Outlook for Windows) is not counted for that client."""
    data = support()
    wanted = tuple(clients)
    missing_for = _missing(wanted)
    found = []
    for slug, uses in sorted(features_of(html).items()):
        missing = missing_for.get(slug)
        if not missing:
            continue
        hurt: set[str] = set()
        first: Use | None = None
        for use in uses:
            ignored = _ignored(use.within, wanted) if use.within else frozenset()
            if missing - ignored:
                hurt |= missing - ignored
                first = first or use
        if hurt and first is not None:
            ordered = tuple(c for c in wanted if c in hurt)
            found.append(Gap(slug, data.title(slug), first.snippet, first.pattern, ordered))
    return found


@lru_cache(maxsize=8)
def _missing(clients: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Per caniemail slug, which of `clients` do not support it: the same for every email."""
    data = support()
    return {slug: frozenset(data.unsupported(slug, clients)) for slug in data.features}


@lru_cache(maxsize=256)
def _ignored(within: tuple[str, ...], clients: tuple[str, ...]) -> frozenset[str]:
    """The clients that never see what sits inside these containers."""
    missing_for = _missing(clients)
    return frozenset().union(*(missing_for.get(outer, ()) for outer in within))


def _stamps(layouts: Path) -> tuple:
    stamps = []
    for name in LAYOUT_SOURCES:
        try:
            st = (layouts / name).stat()
        except OSError:
            stamps.append(None)
            continue
        stamps.append((st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(stamps)


@lru_cache(maxsize=8)
def _layouts(layouts: Path, stamps: tuple) -> tuple[frozenset[str], tuple[tuple[Path, tuple[str, ...]], ...]]:
    """The slugs the layout files explicitly allow (`caniemail-allow: …` in a comment) and each
    layout's lines with comments blanked, for `lint` to place a gap: read once, and again whenever a
    layout file changes (the stamps), as during `watch`."""
    allowed: set[str] = set()
    lines = []
    for name in LAYOUT_SOURCES:
        path = layouts / name
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for m in _ALLOW.finditer(text):
                allowed |= {s.strip() for s in m.group(1).split(",")}
            lines.append((path, tuple(_code_only(text).splitlines())))
    return frozenset(allowed), tuple(lines)


_COMMENTS = re.compile(r"/\*.*?\*/|\{#.*?#\}", re.S)


def _code_only(text: str) -> str:
    """Comments blanked out (line breaks kept): a feature named in a comment is not a use."""
    return _COMMENTS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _locate(pattern: str, sources: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, int] | None:
    regex = re.compile(pattern, re.I)
    for name, lines in sources:
        for number, line in enumerate(lines, 1):
            if regex.search(line):
                return name, number
    return None


def lint(html: str, clients: Sequence[str], layouts: Path, issue_file: Path | None = None) -> list[Finding]:
    """Findings for every unsupported feature that no layout comment allows."""
    allowed, layout_lines = _layouts(layouts, _stamps(layouts))
    data = support()
    found = []
    sources: list[tuple[str, Sequence[str]]] = []
    for gap in gaps(html, clients):
        if gap.slug in allowed:
            continue
        if not sources:  # the layouts as read for `allowed`; the issue file only now
            sources = [(display_path(p), lines) for p, lines in layout_lines]
            if issue_file and issue_file.is_file():
                sources.append(
                    (display_path(issue_file), _code_only(issue_file.read_text(encoding="utf-8")).splitlines())
                )
        where = _locate(gap.pattern, sources)
        origin = "" if where else " (not in the layouts: MJML's output or the issue's Markdown)"
        file, line = where or (display_path(layouts / "email.mjml.j2"), 0)
        names = ", ".join(data.name(c) for c in gap.clients)
        found.append(
            Finding(
                file,
                line,
                "client-support",
                f"{gap.title} ({gap.snippet}){origin} is not supported by {names} (caniemail {gap.slug}); "
                "change it, or mark it 'caniemail-allow: " + gap.slug + "' with a reason",
                WARNING,
            )
        )
    return found
