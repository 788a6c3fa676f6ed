"""Mailing-service profiles: which merge tag replaces each neutral placeholder of the email.

The profiles are data (`services.toml`, extended by an optional `esp.toml` in the project), so a
new service needs no Python. The mapping functions are pure `str -> str`; in HTML they respect
attribute quoting, so a tag with spaces or quotes still lands in one intact attribute value.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pipeline.config import load_toml, toml_line
from pipeline.errors import Finding, PipelineError, display_path

BUILTIN = Path(__file__).with_name("services.toml")
USER_FILE = "esp.toml"

# The neutral placeholders the layouts may use. Exactly these spellings: `{{ unsubscribe_url }}`
# (with spaces) is Kit's and Buttondown's real tag and must not be mistaken for ours.
PLACEHOLDERS = {"unsubscribe": "{{unsubscribe_url}}", "web": "{{web_url}}", "first_name": "{{first_name}}"}
_NEUTRAL = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))
_BY_TEXT = {text: key for key, text in PLACEHOLDERS.items()}
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

    @property
    def generic(self) -> bool:
        return self.key == "generic"


_FIELDS = {"name": "name", "unsubscribe": "unsubscribe", "web": "web", "first_name": "first_name",
           "hosted_copy": "hosted_copy", "import": "import_", "source": "source"}  # fmt: skip
_REQUIRED = ("name", "unsubscribe")
_TAGS = ("unsubscribe", "web", "first_name")


def _check_tag(value: str) -> str | None:
    """Why a tag value cannot be used, or None."""
    if any(c in value for c in "<>\r\n"):
        return "must not contain <, > or line breaks"
    if '"' in value and "'" in value:
        return "must not contain both kinds of quote (it could not sit in an HTML attribute)"
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
            if field == "hosted_copy":
                if not isinstance(value, bool):
                    problems.append(Finding(name, where, "esp-value", f"{key}.{field}: expected true or false"))
                    continue
            elif not isinstance(value, str):
                problems.append(Finding(name, where, "esp-value", f"{key}.{field}: expected text in quotes"))
                continue
            elif field in _TAGS and (why := _check_tag(value)):
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


def choose(profiles: dict[str, Profile], key: str, asked_in: str = "--esp") -> Profile:
    """The profile named `key`; `asked_in` says where the name came from, for the message."""
    if key in profiles:
        return profiles[key]
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


def tags(profile: Profile, web_url: str, hosted_copy: bool) -> dict[str, str]:
    """What replaces each placeholder. The web link is the archive page unless the hosted copy is asked
    for and the service has one; the archive is also the fallback, so no placeholder is left dead."""
    return {
        PLACEHOLDERS["unsubscribe"]: profile.unsubscribe,
        PLACEHOLDERS["web"]: profile.web if hosted_copy and profile.web else web_url,
        PLACEHOLDERS["first_name"]: profile.first_name,
    }


def map_text(text: str, mapping: dict[str, str]) -> str:
    """Plain text: one pass, so a tag is never mapped twice."""
    return _NEUTRAL.sub(lambda m: mapping[m.group(0)], text)


_TAG = re.compile(r"<[A-Za-z][^>]*>")
_ATTR = re.compile(r"""(\s[^\s"'=<>/]+\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")


def _attribute(m: re.Match, mapping: dict[str, str]) -> str:
    raw = next(v for v in m.group(2, 3, 4) if v is not None)
    if not _NEUTRAL.search(raw):
        return m.group(0)
    value = map_text(raw, mapping)
    quote = '"' if '"' not in value else "'"  # parse_profiles refuses tags with both quotes
    return f"{m.group(1)}{quote}{value}{quote}"


def map_html(html: str, mapping: dict[str, str]) -> str:
    """HTML: inside tags every attribute value is re-quoted so the tag fits; text between tags as is."""
    out, last = [], 0
    for tag in _TAG.finditer(html):
        out.append(map_text(html[last : tag.start()], mapping))
        out.append(_ATTR.sub(lambda m: _attribute(m, mapping), tag.group(0)))
        last = tag.end()
    out.append(map_text(html[last:], mapping))
    return "".join(out)


def leftovers(text: str, profile: Profile) -> list[str]:
    """Neutral placeholders still in a mapped text that are not the service's own tag (should be none)."""
    own = {getattr(profile, key) for key in _TAGS}
    return sorted({m.group(0) for m in _NEUTRAL.finditer(text) if m.group(0) not in own})


def used(text: str) -> set[str]:
    """Which placeholder kinds (unsubscribe, web, first_name) a layout's output uses."""
    return {_BY_TEXT[m.group(0)] for m in _NEUTRAL.finditer(text)}
