"""Reading an issue file: bytes → text → front matter + body → validated `Issue`.

A reader has one job (Pelican's lesson): it returns an Issue or the findings that say,
with file and line, why it could not. It never raises for bad input.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import os
import re
import reprlib
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from pipeline.errors import WARNING, Finding, display_path
from pipeline.headers import header_break
from pipeline.model import Issue, Meta
from pipeline.output import reserved_name

MAX_BYTES = 1024 * 1024  # 30× the longest example; bigger takes seconds to build and cannot be an email
_HANDLER = YAMLHandler()


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """`date: 2026-13-40` stays text for the date check to explain.

    PyYAML's own timestamp constructor raises a bare ValueError there, not a YAMLError.
    """
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


class _PyLoader(yaml.SafeLoader):
    """The pure-Python parser: slower, but its errors name the line where the problem began."""


# libyaml's parser where PyYAML was built with it: about 8× faster, which the archive's
# thousand-issue builds feel. Same safe constructors either way.
class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


MAX_DIGITS = 18  # an issue number never needs more; Python refuses to read ints past 4,300 digits


class _Digits(str):
    """A YAML integer too long to be a number here: kept as its text, so `title: 1984…` still works
    and `number:` can say why it is refused instead of PyYAML raising a bare ValueError."""


class _Int(int):
    """A YAML integer that keeps how it was typed: YAML 1.1 reads `0711` as octal 457 and `12:30`
    as 750, but `title: 0711` is text to an author and `number: 050` means 50."""

    typed: str


class _Float(float):
    """A YAML float that keeps how it was typed: `preheader: 3.10` is not 3.1."""

    typed: str


def _yaml_int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node.value, str) and len(node.value.replace("_", "").lstrip("+-")) > MAX_DIGITS:
        return _Digits(node.value)
    try:
        value = _Int(yaml.SafeLoader.construct_yaml_int(loader, node))
    except ValueError:  # e.g. a sexagesimal `1:99…9` with a huge part
        return _Digits(node.value)
    value.typed = node.value
    return value


def _yaml_float(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    value = _Float(yaml.SafeLoader.construct_yaml_float(loader, node))
    value.typed = node.value
    return value


for _loader in (_PyLoader, _FastLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _loader.add_constructor("tag:yaml.org,2002:int", _yaml_int)
    _loader.add_constructor("tag:yaml.org,2002:float", _yaml_float)


def _typed(value: Any) -> Any:
    """A number as the author typed it, anything else unchanged."""
    return value.typed if isinstance(value, (_Int, _Float)) else value


class _Bad(ValueError):
    rule = "fm-type"


class _Header(_Bad):
    rule = "fm-header"


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 60, 60, 5, 4, 2
SHOWN = 100  # characters of a value a message repeats


def show(value: Any) -> str:
    """A value as a message quotes it: never longer than SHOWN, however big the value is."""
    if isinstance(value, _Digits):
        return f"a number with {len(value):,} characters"
    text = _SHORT.repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _int(value: Any) -> int:
    if isinstance(value, _Digits):
        raise _Bad(f"{show(value)} is too large (at most {MAX_DIGITS} digits)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"expected a whole number like 23, got {show(value)}")
    if isinstance(value, _Int):  # digits are decimal, leading zeros or not; 0x32, 1_0, 1:20 are refused
        if value.typed.isascii() and value.typed.isdigit():
            value = int(value.typed)
        elif value > 0:
            raise _Bad(f"expected a whole number like 23, got {show(value.typed)}")
    if value <= 0:
        raise _Bad(f"expected a number above 0, got {value}")
    return int(value)


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise _Bad(f"expected text, got {show(value)}")
    text = str(_typed(value)).strip()  # `title: 1984` is text to an author, a number to YAML
    if not text:
        raise _Bad("must not be empty")
    return text


def _readable(text: str) -> str:
    """A YAML escape (`"\\v"`, `"\\x01"`) writes a control character the file check never sees."""
    if (bad := CONTROL.search(text)) is not None:
        raise _Bad(
            f"contains the control character U+{ord(bad.group()):04X} at position {bad.start() + 1} "
            "(a YAML escape?): no reader sees it; delete it"
        )
    return text


def _optional_text(value: Any) -> str | None:
    """`preheader: ""` (what `krasse new` writes) means: not written yet, derive it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _readable(_text(value))


def _header_text(value: Any) -> str:
    """Text that ends up in an email header (Subject): a line break there would start a new header."""
    text = _text(value)
    if (bad := header_break(text)) is not None:
        raise _Header(
            f"contains the control character {bad!r} at position {text.index(bad) + 1}: "
            "line breaks cannot go into an email header; write it on one line"
        )
    return text


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise _Bad(f"{exc}: {show(value)}") from None
    raise _Bad(f"expected a date like 2024-07-28, got {show(str(value))}")


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"expected true or false, got {show(value)}")
    return value


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, (str, int)) for t in value):
        raise _Bad(f"expected a list of words like [ki, medien], got {show(value)}")
    return tuple(_readable(str(_typed(t)).strip()) for t in value if str(_typed(t)).strip())


def _clip(value: Any) -> str:
    if value not in ("warn", "split"):
        raise _Bad(f"expected warn or split, got {show(value)}")
    return value


# key: (validator, required, what README says)
FIELDS: dict[str, tuple[Callable[[Any], Any], bool, str]] = {
    "number": (_int, True, "Issue number, unique across `issues/`."),
    "title": (_header_text, True, "Headline of the issue."),
    "date": (_date, True, "Send date, ISO format `2024-07-28`."),
    "subject": (_header_text, False, "Email subject; defaults to the title."),
    "preheader": (
        _optional_text,
        False,
        "Inbox preview text; empty or missing: the intro's first sentences after the greeting (~100 characters).",
    ),
    "draft": (_bool, False, "`true` keeps the issue out of `build`, `archive` and `export` unless `--drafts`."),
    "tags": (_tags, False, "List of tags, e.g. `[ki, medien]`."),
    "clip": (_clip, False, "`warn` or `split`: overrides `email.clip` for this issue."),
}


def too_big(name: str, size: int) -> Finding:
    return Finding(name, 0, "file-size", f"file is {size:,} bytes; the limit is {MAX_BYTES:,}")


def decode(raw: bytes, name: str) -> tuple[str | None, list[Finding]]:
    """UTF-8 (with or without BOM), CRLF or CR line ends; anything else is a clear finding."""
    if len(raw) > MAX_BYTES:
        return None, [too_big(name, len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            Finding(name, line, "file-encoding", f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
        ]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (bad := CONTROL.search(text)) is not None:
        return None, [_control_char(name, text, bad.start())]
    return text, []


# C0 controls other than tab and line feed, and the noncharacters U+FFFE/U+FFFF: no reader sees them,
# and MJML's parser stops at them (the build failed naming the layout), as does lxml writing the feed.
# NUL is markdown-it's to replace. The Markdown stage keeps character references from producing them.
CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _control_char(name: str, text: str, at: int) -> Finding:
    line_start = text.rfind("\n", 0, at) + 1
    char = text[at]
    what = (
        "Word writes it for a line break inside a paragraph: use a line break (two spaces or a backslash "
        "at the end of the line) or a space"
        if char == "\x0b"
        else "no reader sees it; delete it"
    )
    more = len(CONTROL.findall(text)) - 1
    return Finding(
        name,
        text.count("\n", 0, at) + 1,
        "file-control-char",
        f"the control character U+{ord(char):04X} at column {at - line_start + 1}: {what}"
        + (f" ({more} more in the file)" if more else ""),
    )


def _colon_hint(fm: str, mark: Any) -> str:
    """`title: Teil 2: Die Rückkehr` breaks YAML at the second colon; say how to write it."""
    if mark is None:
        return ""
    lines = fm.split("\n")
    if not 0 <= mark.line < len(lines):
        return ""
    m = re.match(r"\s*([A-Za-z_][\w-]*):\s+(.*:\s.*)$", lines[mark.line])
    if not m or m.group(2)[:1] in "\"'[{":
        return ""
    value = m.group(2).strip().replace("\\", "\\\\").replace('"', '\\"')
    return f'; a value with a colon needs quotes: {m.group(1)}: "{value}"'


class _Alias(ValueError):
    """An alias (`*name`) in the front matter: refused before anything is built from it."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line  # 0-based, in the front matter block


def _refuse_aliases(root: yaml.Node | None) -> None:
    """Anchors and aliases (`&a`, `*a`) let 400 bytes stand for billions of values (an alias bomb).

    Issue front matter never needs them, so the first node reached twice ends the walk: the walk
    stays as cheap as the text is long. The line is that of the top-level key holding the alias.
    """
    if root is None:
        return
    seen: set[int] = set()
    tops = root.value if isinstance(root, yaml.MappingNode) else [(root, root)]
    for key, value in tops:
        stack = [key, value] if key is not value else [value]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                raise _Alias(key.start_mark.line)
            seen.add(id(node))
            if isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                stack.extend(n for pair in node.value for n in pair)


def _parse_yaml(fm: str, loader_class: type) -> tuple[Any, yaml.Node | None]:
    loader = loader_class(fm)
    try:
        node = loader.get_single_node()
        _refuse_aliases(node)
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def _read_yaml(fm: str) -> tuple[Any, yaml.Node | None]:
    """One parse gives both the values and the node tree (for line numbers)."""
    try:
        return _parse_yaml(fm, _FastLoader)
    except yaml.YAMLError:
        return _parse_yaml(fm, _PyLoader)  # raises again, with the clearer message and line


def _node_lines(node: yaml.Node | None, name: str, offset: int) -> tuple[dict[str, int], list[Finding]]:
    """Line of every top-level key, and duplicate keys (PyYAML would silently keep the last)."""
    lines: dict[str, int] = {}
    found: list[Finding] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + offset
            if key in lines:
                found.append(Finding(name, line, "fm-duplicate", f"{key}: given twice (first on line {lines[key]})"))
            lines[key] = line
    return lines, found


def _unclosed(name: str, text: str) -> Finding:
    """The front matter never ends: say where it opened and how to close it."""
    dots = next((n for n, line in enumerate(text.split("\n"), 1) if line.rstrip() == "..."), 0)
    hint = f" (line {dots} ends it with YAML's '...'; use '---' instead)" if dots else ""
    return Finding(name, 1, "fm-unclosed", f"front matter opened here is never closed: end it with a '---' line{hint}")


def parse_issue(text: str, path: Path) -> tuple[Issue | None, list[Finding]]:
    """Split and validate; returns the issue (None when unusable) and every problem found."""
    name = display_path(path)
    if not text.strip():
        return None, [Finding(name, 1, "file-empty", "file is empty: an issue needs front matter and text")]
    if not _HANDLER.detect(text):
        return None, [
            Finding(name, 1, "fm-missing", "no front matter: start the file with a '---' line, number, title, date")
        ]
    try:
        fm, body = _HANDLER.split(text)
    except ValueError:  # python-frontmatter unpacks three parts; an unclosed block has two
        return None, [_unclosed(name, text)]
    body_line = text[: len(text) - len(body)].count("\n") + 1
    offset = 1  # PyYAML counts from 0; the block starts with the newline after the first ---
    try:
        data, node = _read_yaml(fm)  # a safe loader: no arbitrary objects
        lines, findings = _node_lines(node, name, offset)
    except RecursionError:
        return None, [Finding(name, 1, "fm-yaml", "front matter is nested too deeply to read")]
    except _Alias as exc:
        return None, [
            Finding(
                name,
                exc.line + offset,
                "fm-yaml",
                "front matter uses a YAML alias (*name): anchors and aliases are not supported, write the value out",
            )
        ]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)[:SHOWN]
        line = mark.line + offset if mark else 1
        if mark is not None and ("end of stream" in problem or "<stream end>" in problem):
            # An unclosed quote or bracket: the end of the block says little; where it opened, or
            # the last line written, says more.
            last = len(fm.rstrip().split("\n")) - 1 + offset
            line = context.line + offset if context is not None and context.line < mark.line else min(line, last)
            problem = f"{exc.context}: {problem}" if getattr(exc, "context", None) else problem
        message = f"front matter is not valid YAML: {problem}{_colon_hint(fm, mark)}"
        return None, [Finding(name, line, "fm-yaml", message)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Finding(name, 2, "fm-yaml", "front matter must be 'key: value' lines")]
    values: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        line = lines.get(key, 1)
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(FIELDS)})"
            findings.append(Finding(name, line, "fm-unknown", f"{key[:SHOWN]}: unknown key{hint}"))
            continue
        try:
            values[key] = FIELDS[key][0](value)
        except _Bad as exc:
            findings.append(Finding(name, line, exc.rule, f"{key}: {exc}"))
    for key, (_, required, _) in FIELDS.items():
        if required and key not in data:
            findings.append(Finding(name, 1, "fm-missing", f"{key}: required key is missing"))
    if not body.strip():
        findings.append(Finding(name, body_line, "body-empty", "the issue has no text below the front matter"))
    if findings:
        return None, findings
    meta = Meta(
        number=values["number"],
        title=values["title"],
        date=values["date"],
        subject=values.get("subject", values["title"]),
        preheader=values.get("preheader"),
        draft=values.get("draft", False),
        tags=values.get("tags", ()),
        clip=values.get("clip"),
    )
    return Issue(path=path, body=body, body_line=body_line, meta=meta, meta_lines=lines), []


def body_only(text: str, path: Path) -> Issue | None:
    """The body of a file whose front matter is broken (`text`, as `read_text` gave it), in a
    stand-in Issue, so the body checks can still run; None when there is no body to check (no
    front matter block)."""
    if not _HANDLER.detect(text):
        return None
    try:
        _, body = _HANDLER.split(text)
    except ValueError:
        return None
    if not body.strip():
        return None
    body_line = text[: len(text) - len(body)].count("\n") + 1
    meta = Meta(number=0, title=path.stem, date=dt.date(1970, 1, 1), subject=path.stem)
    return Issue(path=path, body=body, body_line=body_line, meta=meta)


def read_text(path: Path) -> tuple[str | None, list[Finding]]:
    """An issue file's text, or None and the findings that say why it cannot be read."""
    name = display_path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # never a 10 GB file whole into memory
            if len(raw) > MAX_BYTES:
                return None, [too_big(name, os.fstat(handle.fileno()).st_size)]
    except OSError as exc:
        return None, [Finding(name, 0, "file-read", f"cannot read: {exc.strerror}")]
    return decode(raw, name)


def issue_from_text(text: str, path: Path) -> tuple[Issue | None, list[Finding]]:
    try:
        return parse_issue(text, path)
    except (ValueError, TypeError, OverflowError) as exc:  # a loader corner we did not foresee: still name the file
        return None, [Finding(display_path(path), 1, "fm-yaml", f"front matter cannot be read: {type(exc).__name__}")]


def read_issue(path: Path) -> tuple[Issue | None, list[Finding]]:
    text, found = read_text(path)
    if text is None:
        return None, found
    return issue_from_text(text, path)


def _candidates(issues_dir: Path) -> list[Path]:
    """The folder's `*.md` and `*.markdown` files (and dangling links), from one listing.

    One folder, so sorting by name gives the paths' own order (normcase: as Path compares on
    Windows); comparing Path objects made this sort a third of a one-issue archive rebuild. The
    suffix test matches as `Path.glob` does (case-insensitive only where the platform is).
    """
    found = []
    try:
        with os.scandir(issues_dir) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith((".", "_")) or not os.path.normcase(name).endswith((".md", ".markdown")):
                    continue
                if _is_file(entry) or (entry.is_symlink() and not os.path.exists(entry.path)):
                    found.append(issues_dir / name)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []  # as `Path.glob` did: nothing to list
    return sorted(found, key=lambda p: os.path.normcase(p.name))


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a link loop: `Path.is_file` says False, DirEntry raises
        return False


def _is_md(path: Path) -> bool:
    return os.path.normcase(path.name).endswith(".md")


def issue_paths(issues_dir: Path) -> list[Path]:
    """Every issue file: `<number>-<slug>.md`. A dangling link is kept so reading it reports the
    problem by name; misnamed files are left to `scan`, which says so."""
    return [p for p in _candidates(issues_dir) if _is_md(p) and p.name[:1].isdigit()]


def scan(issues_dir: Path, reserved: Collection[str] = ()) -> tuple[list[Path], list[Finding]]:
    """`issue_paths`, and the files that look like issues but are not read as one, from one listing:
    never skipped without a word. A `reserved` name (one the outputs use) is an error, as it is when
    named on the command line."""
    candidates = _candidates(issues_dir)
    return [p for p in candidates if _is_md(p) and p.name[:1].isdigit()], _misnamed(candidates, reserved)


def _misnamed(candidates: Sequence[Path], reserved: Collection[str]) -> list[Finding]:
    found = []
    for path in (p for p in candidates if _is_md(p)):
        if path.stem in reserved:
            found.append(reserved_name(path))
        elif not path.name[:1].isdigit():
            found.append(
                Finding(
                    display_path(path),
                    0,
                    "file-name",
                    "not built: an issue file starts with its number, like 045-titel.md; rename it "
                    "(a name starting with _ marks a file to leave alone)",
                    WARNING,
                )
            )
    for path in (p for p in candidates if not _is_md(p)):
        found.append(
            Finding(
                display_path(path),
                0,
                "file-name",
                f"not built: issue files end in .md; rename it to {path.stem}.md",
                WARNING,
            )
        )
    return found


_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.M)
_NUMBER_LINE = re.compile(rf"^number:[ \t]*0*([1-9][0-9]{{0,{MAX_DIGITS - 1}}})[ \t]*(?:#.*)?$", re.M)
_DRAFT_LINE = re.compile(r"^[\"']?draft[\"']?[ \t]*:[ \t]*([^#\n]*?)[ \t]*(?:#.*)?$", re.M)
PEEK_BYTES = 64 * 1024


def _peek_front_matter(path: Path) -> str | None:
    """The front matter's text from the head of the file, without parsing it; None when it has none."""
    try:
        with path.open("rb") as handle:
            head = handle.read(PEEK_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    head = head.replace("\r\n", "\n").replace("\r", "\n")
    # the first two `---` lines only: an issue's items are separated by more of them further down
    bounds = list(itertools.islice(_BOUNDARY.finditer(head), 2)) if head.startswith("---") else []
    if len(bounds) < 2 or bounds[0].start() != 0:
        return None
    return head[bounds[0].end() : bounds[1].start()]


def peek_number(path: Path) -> int | None:
    """An issue's `number:` read from the head of its front matter, without parsing it.

    Duplicate numbers are checked across the whole folder on every command; reading only this
    line keeps one huge or hostile file from slowing down (or breaking) work on another.
    None when the line is not a plain number: that file reports its own problem when built.
    """
    return peek(path)[0]


def peek_not_draft(path: Path) -> bool:
    """True when the front matter plainly says `draft: false` (or has no draft line): no need to parse it.

    False means "maybe a draft": the caller reads the file properly.
    """
    return peek(path)[1]


def peek(path: Path) -> tuple[int | None, bool]:
    """`peek_number` and `peek_not_draft` from one read of the file's head."""
    fm = _peek_front_matter(path)
    m = _NUMBER_LINE.search(fm) if fm is not None else None
    if m is None:
        return None, False  # not plain block-style front matter: only a real parse can tell
    lines = _DRAFT_LINE.findall(fm or "")
    return int(m.group(1)), not lines or lines == ["false"]


def duplicate_numbers(issues: list[Issue], others: Sequence[tuple[Path, int]] = ()) -> list[Finding]:
    """Numbers are the issues' permalinks: two files with one number is an error on both.

    `others` are (path, number) of the folder's remaining files: they count, but get no finding.
    """
    by_number: dict[int, list[Issue]] = {}
    taken: dict[int, list[Path]] = {}
    for issue in issues:
        by_number.setdefault(issue.number, []).append(issue)
    for path, number in others:
        taken.setdefault(number, []).append(path)
    found = []
    for number, same in sorted(by_number.items()):
        paths = sorted([i.path for i in same] + taken.get(number, []))
        if len(paths) > 1:
            names = ", ".join(display_path(p) for p in paths)
            for issue in same:
                found.append(
                    Finding(
                        display_path(issue.path),
                        issue.line_of("number"),
                        "dup-number",
                        f"number: {number} is used by {names}",
                    )
                )
    return found
