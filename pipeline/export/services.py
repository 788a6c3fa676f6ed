"""Mailing-service profiles: which merge tag replaces each neutral placeholder of the email.

The profiles are data (`services.toml`, extended by an optional `esp.toml` in the project), so a
new service needs no Python. The mapping functions are pure `str -> str`; in HTML they respect
attribute quoting, so a tag with spaces or quotes still lands in one intact attribute value.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.config import load_toml, toml_line
from pipeline.errors import WARNING, Finding, PipelineError, display_path
from pipeline.mail.placeholders import NAMES, live_pattern
from pipeline.model import Issue

BUILTIN = Path(__file__).with_name("services.toml")
USER_FILE = "esp.toml"

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass(frozen=True)
class Profile:
    key: str  # the name used on the command line and as the export folder's name
    name: str
    unsubscribe: str
    web: str = ""
    first_name: str = ""
    hosted_copy: bool = False
    import_: str = ""
    source: str = ""
    live: tuple[str, ...] = ()  # regexes: the template syntax the service evaluates (escaped in our HTML)
    string_literals: bool = False  # `{{ "{{" }}` prints `{{`: how typed syntax is escaped in the text part

    @property
    def generic(self) -> bool:
        return self.key == "generic"


_FIELDS = {"name": "name", "unsubscribe": "unsubscribe", "web": "web", "first_name": "first_name",
           "hosted_copy": "hosted_copy", "import": "import_", "source": "source", "live": "live",
           "string_literals": "string_literals"}  # fmt: skip
_REQUIRED = ("name", "unsubscribe")


def _check_tag(value: str) -> str | None:
    """Why a tag value cannot be used, or None."""
    if any(c in value for c in "<>\r\n"):
        return "must not contain <, > or line breaks"
    if '"' in value and "'" in value:
        return "must not contain both kinds of quote (it could not sit in an HTML attribute)"
    return None


def _check_live(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return "expected a list of regular expressions in quotes, like ['\\{\\{', '\\{%']"
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"{pattern!r} is not a regular expression: {exc}"
    return None


def parse_profiles(text: str, path: Path, base: dict[str, Profile] | None = None) -> dict[str, Profile]:
    """Validate one profiles file; its profiles add to or override `base` key by key."""
    name = display_path(path)
    data = load_toml(text, name, "esp-syntax")
    profiles = dict(base or {})
    problems: list[Finding] = []
    for key, table in data.items():
        line = toml_line(text, key)
        if not isinstance(table, dict):
            problems.append(
                Finding(
                    name, toml_line(text, "", key) or line, "esp-profile", f"{key}: expected a [{key}] table of tags"
                )
            )
            continue
        if not _NAME.fullmatch(key):
            problems.append(
                Finding(name, line, "esp-profile", f"[{key}]: profile names are lower-case letters, digits, - and _")
            )
            continue
        values: dict[str, Any] = {}
        if key in profiles:
            values = {f.name: getattr(profiles[key], f.name) for f in fields(Profile)}
        values["key"] = key
        for field, value in table.items():
            where = toml_line(text, key, field) or line
            if field not in _FIELDS:
                close = difflib.get_close_matches(field, _FIELDS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(_FIELDS)})"
                problems.append(Finding(name, where, "esp-key", f"{key}.{field}: unknown key{hint}"))
                continue
            if field == "live":
                if why := _check_live(value):
                    problems.append(Finding(name, where, "esp-value", f"{key}.{field}: {why}"))
                    continue
                value = tuple(value)
            elif field in ("hosted_copy", "string_literals"):
                if not isinstance(value, bool):
                    problems.append(Finding(name, where, "esp-value", f"{key}.{field}: expected true or false"))
                    continue
            elif not isinstance(value, str):
                problems.append(Finding(name, where, "esp-value", f"{key}.{field}: expected text in quotes"))
                continue
            elif field in NAMES and (why := _check_tag(value)):
                problems.append(Finding(name, where, "esp-value", f"{key}.{field}: {why}"))
                continue
            values[_FIELDS[field]] = value
        missing = [f for f in _REQUIRED if not str(values.get(f, "")).strip()]
        if missing:
            problems.append(
                Finding(
                    name,
                    line,
                    "esp-missing",
                    f"[{key}]: {', '.join(missing)} required (the unsubscribe tag of the service)",
                )
            )
            continue
        if "live" not in values:  # a new profile without `live`: its own tags' openings, like `{{` or `*|`
            tags = (values.get(t, "") for t in NAMES)
            values["live"] = tuple(sorted({re.escape(tag[:2]) for tag in tags if len(tag) >= 2}))
        profiles[key] = Profile(**values)
    if problems:
        raise PipelineError(problems)
    return profiles


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineError(Finding(display_path(path), 0, "esp-encoding", f"not UTF-8: {exc}")) from None


def load_profiles(root: Path) -> dict[str, Profile]:
    """The built-in profiles, extended and overridden by `<root>/esp.toml` when it exists."""
    profiles = parse_profiles(_read(BUILTIN), BUILTIN)
    user = root / USER_FILE
    if user.is_file():
        profiles = parse_profiles(_read(user), user, profiles)
    return profiles


@lru_cache(maxsize=8)
def _profiles_at(root: Path, stamp: tuple[int, int] | None) -> dict[str, Profile]:
    return load_profiles(root)


def current_profiles(root: Path) -> dict[str, Profile]:
    """load_profiles, read again only when esp.toml changed: `check` asks once per issue."""
    try:
        stat = (root / USER_FILE).stat()
        stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    return _profiles_at(root.resolve(), stamp)


def choose(profiles: dict[str, Profile], key: str, asked_in: str = "--esp") -> Profile:
    """The profile named `key`; `asked_in` says where the name came from, for the message."""
    if key.lower() in profiles:  # `--esp Mailchimp` is meant as mailchimp
        return profiles[key.lower()]
    close = difflib.get_close_matches(key, profiles, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise PipelineError(
        Finding(
            asked_in,
            0,
            "esp-unknown",
            f"no mailing-service profile '{key}': {hint}known: {', '.join(sorted(profiles))}",
        )
    )


def values(profile: Profile, web_url: str, hosted_copy: bool) -> dict[str, str]:
    """What fills each placeholder. The web link is the archive page unless the hosted copy is asked
    for and the service has one; the archive is also the fallback, so no placeholder is left dead."""
    return {
        "unsubscribe": profile.unsubscribe,
        "web": profile.web if hosted_copy and profile.web else web_url,
        "first_name": profile.first_name,
    }


def typed_syntax(issue: Issue, profile: Profile, severity: str = WARNING) -> list[Finding]:
    """Merge-tag syntax the author typed that `profile` would evaluate in the plain-text part or the
    subject, where no escape exists: the reader would get something other than what was typed."""
    live = live_pattern(profile.live, neutral=False)
    name = display_path(issue.path)
    hint = "reword it, or export with --force to send it as typed"
    found = []
    for key in ("subject", "title"):
        if m := live.search(getattr(issue.meta, key)):
            where = issue.line_of(key) if key in issue.meta_lines else issue.line_of("title")
            found.append(
                Finding(
                    name,
                    where,
                    "merge-tag-typed",
                    f"{profile.name} would fill in {m.group(0)!r} in the {key} (a subject has no escape): {hint}",
                    severity,
                )
            )
    if profile.string_literals:
        return found  # the text part is escaped with the service's own string literals
    for n, line in enumerate(issue.body.split("\n")):
        if m := live.search(line):
            snippet = re.match(r"[^\s`]*", line[m.start() :]).group(0)[:40] or m.group(0)  # type: ignore[union-attr]
            found.append(
                Finding(
                    name,
                    issue.body_line + n,
                    "merge-tag-typed",
                    f"{profile.name} would fill in {snippet!r} in email.txt, which has no escape for it "
                    f"(email.html is escaped): {hint}",
                    severity,
                )
            )
    return sorted(set(found))
