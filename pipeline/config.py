"""`newsletter.toml`: one schema, one validator per field, every problem reported at once.

Like MkDocs' config: unknown keys get a did-you-mean, messages name the file and line.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.clients.support import DEFAULT_CLIENTS, support
from pipeline.errors import WARNING, Finding, PipelineError, display_path
from pipeline.headers import address_problem, header_break
from pipeline.layouts import project_layouts
from pipeline.load import CONTROL

CONFIG_NAME = "newsletter.toml"

Validator = Callable[[Any], Any]


class Invalid(ValueError):
    """A validator's complaint; the schema adds file and line."""


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected text, got {value!r}")
    if (bad := CONTROL.search(value)) is not None:  # TOML reads `C:\freiheit` as a form feed (`\f`)
        raise Invalid(
            f"contains the control character U+{ord(bad.group()):04X} at position {bad.start() + 1}: no reader "
            "sees it (a backslash in TOML starts an escape: write \\\\ or use single quotes)"
        )
    return value


def _nonempty(value: Any) -> str:
    if not _string(value).strip():
        raise Invalid("must not be empty")
    return value


def _one_line(value: Any) -> str:
    """Text that goes into an email header (`From`): a line break there would start a new header."""
    if isinstance(value, str) and header_break(value) is not None:  # before `_string`'s own, broader message
        raise Invalid("line breaks and control characters cannot go into an email header; write it on one line")
    return _nonempty(value)


def _email(value: Any) -> str:
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", _string(value)):
        raise Invalid(f"expected an e-mail address like post@example.org, got {value!r}")
    if (problem := address_problem(value)) is not None:
        raise Invalid(problem)
    return value


def _url(value: Any) -> str:
    if not re.fullmatch(r"https?://[^\s]+", _string(value)):
        raise Invalid(f"expected an absolute URL starting with https://, got {value!r}")
    return value.rstrip("/")


def _https_url(value: Any) -> str:
    """RFC 8058 one-click unsubscribe works over https only; an http URL would be silently useless."""
    if value == "":
        return ""
    if not _string(value).startswith("https://"):
        raise Invalid(f"expected an https:// URL (RFC 8058 one-click unsubscribe needs https), got {value!r}")
    return _url(value)


def _colour(value: Any) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", _string(value)):
        raise Invalid(f"expected a hex colour like #c2185b, got {value!r}")
    return value.lower()


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Invalid(f"expected a whole number above 0, got {value!r}")
    return value


def _port(value: Any) -> int:
    _positive_int(value)
    if value > 65535:
        raise Invalid(f"expected a port from 1 to 65535, got {value!r}")
    return value


def _choice(*choices: str) -> Validator:
    def check(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def _language(value: Any) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[A-Z]{2})?", _string(value)):
        raise Invalid(f"expected a language code like de or de-AT, got {value!r}")
    return value


def _env_name(value: Any) -> str:
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", _string(value)):
        raise Invalid(f"expected an environment variable name like KRASSE_SMTP_PASSWORD, got {value!r}")
    return value


def _clients(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Invalid(f'expected a list of clients like ["gmail:desktop-webmail", "outlook:windows"], got {value!r}')
    known = support().clients
    for client in value:
        if client not in known:
            close = difflib.get_close_matches(client, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
            raise Invalid(f"unknown client {client!r}{hint}")
    return tuple(value)


@dataclass(frozen=True)
class Option:
    validate: Validator
    default: Any = None
    required: bool = False
    doc: str = ""


# The schema. README.md documents every key (a test holds it to that).
SCHEMA: dict[str, Option] = {
    "newsletter.name": Option(_one_line, required=True, doc="Name shown in header, title and feed."),
    "newsletter.language": Option(_language, "de", doc="Language of the issues (`lang` attribute)."),
    "newsletter.base_url": Option(
        _url, required=True, doc="Public URL of the web archive; issue pages live at `<base_url>/<number>/`."
    ),
    "newsletter.brand_color": Option(_colour, "#c2185b", doc="Accent colour for links, rules and quotes."),
    "newsletter.description": Option(_string, "", doc="One sentence about the newsletter (archive, feed)."),
    "sender.name": Option(_one_line, required=True, doc="Display name in `From`."),
    "sender.address": Option(_email, required=True, doc="Address in `From`."),
    "sender.reply_to": Option(_email, doc="Address in `Reply-To`; defaults to `sender.address`."),
    "footer.imprint": Option(
        _nonempty, required=True, doc="Imprint with postal address (required for German newsletters)."
    ),
    "footer.unsubscribe_url": Option(
        _https_url,
        "",
        doc="Your own https unsubscribe endpoint, if any: the `.eml`'s unsubscribe link and `List-Unsubscribe` "
        "(with `List-Unsubscribe-Post`); empty: a `mailto:` to `sender.address`. `http://` is refused.",
    ),
    "email.clip_budget": Option(
        _positive_int, 100_000, doc="Byte budget for the email HTML (Gmail clips at about 102 KB)."
    ),
    "email.clip": Option(
        _choice("warn", "split"),
        "warn",
        doc="Over budget: `warn`, or `split` at the last item that fits with a link to the web version.",
    ),
    "email.preheader_length": Option(_positive_int, 100, doc="Longest preheader before `check` warns."),
    "email.clients": Option(
        _clients,
        DEFAULT_CLIENTS,
        doc="Mail clients (caniemail `family:platform`) whose support `check` holds the final HTML to.",
    ),
    "smtp.host": Option(_nonempty, "127.0.0.1", doc="SMTP server for `krasse send-test`."),
    "smtp.port": Option(_port, 587, doc="SMTP port."),
    "smtp.security": Option(_choice("starttls", "tls", "none"), "starttls", doc="`starttls`, `tls` or `none`."),
    "smtp.user": Option(_string, "", doc="SMTP user name; empty for no login."),
    "smtp.password_env": Option(
        _env_name, "KRASSE_SMTP_PASSWORD", doc="Environment variable that holds the SMTP password."
    ),
    "smtp.timeout": Option(_positive_int, 30, doc="Seconds to wait for the SMTP server before giving up."),
    "smtp.cafile": Option(
        _string, "", doc="PEM file of extra CA certificates to trust (a self-signed test server); empty: system CAs."
    ),
    "export.esp": Option(_nonempty, "generic", doc="Default mailing service profile for `krasse export`."),
    "export.to": Option(_string, "", doc="`To` header of exported `.eml` files; defaults to a placeholder."),
    "export.max_message_bytes": Option(
        _positive_int,
        500_000,
        doc="Largest whole `.eml` (HTML, text, headers) `export` lets through; services accept more, "
        "inboxes read less.",
    ),
    "archive.out": Option(_nonempty, "outbox/archive", doc="Output folder of `krasse archive`."),
    "archive.title": Option(_string, "", doc="Title of the archive index; defaults to `newsletter.name`."),
    "archive.feed_entries": Option(
        _positive_int, 20, doc="How many of the newest issues `feed.xml` carries, each with its full text."
    ),
}


@dataclass
class Config:
    """Validated settings; `root` is the project folder the paths are relative to."""

    root: Path
    values: dict[str, Any] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def layouts_dir(self) -> Path:
        """The project's layouts/, or the packaged stock layouts when it has none."""
        return project_layouts(self.root)

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def issue_url(self, number: int) -> str:
        return f"{self['newsletter.base_url']}/{number}/"

    def fingerprint(self) -> str:
        """A stable text of every value, for content hashes of derived output."""
        return repr(sorted(self.values.items()))


def _flatten(data: dict, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


_TOML_HEADER = re.compile(r"\[\s*\"?([^\]\"]+?)\"?\s*\]")


@lru_cache(maxsize=16)
def _toml_sections(text: str) -> tuple[dict[str, int], dict[str, list[tuple[int, str]]]]:
    """The first line of each `[section]`, and each section's other lines (number, stripped text).

    Worked out once per text: a profiles file asks for the line of every key it has, and scanning
    the whole file for each one was 70 ms of every `krasse build`."""
    headers: dict[str, int] = {}
    lines: dict[str, list[tuple[int, str]]] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if m := _TOML_HEADER.fullmatch(stripped):
            current = m.group(1)
            headers.setdefault(current, number)
        else:
            lines.setdefault(current, []).append((number, stripped))
    return headers, lines


def toml_line(text: str, section: str, key: str | None = None) -> int:
    """Line of `[section]`, or of `key = …` inside it (quoted or not); 0 when not found."""
    headers, lines = _toml_sections(text)
    if key is None:
        return headers.get(section, 0)
    if not key:
        return 0
    written = re.compile(rf"\"?{re.escape(key)}\"?\s*=")
    return next((number for number, stripped in lines.get(section, ()) if written.match(stripped)), 0)


def _line_of(text: str, dotted: str) -> int:
    """Line of a config key, written in its `[section]` or as a dotted key at the top."""
    section, _, key = dotted.rpartition(".")
    return toml_line(text, section, key) or toml_line(text, "", dotted)


def load_toml(text: str, name: str, rule: str) -> dict[str, Any]:
    """Parse TOML; a syntax error becomes a finding with the line tomllib names."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise PipelineError(Finding(name, int(m.group(1)) if m else 0, rule, str(exc))) from None


def parse_config(text: str, path: Path) -> Config:
    """Validate config text; raise PipelineError listing every problem."""
    name = display_path(path)
    data = load_toml(text, name, "config-syntax")
    flat = _flatten(data)
    problems: list[Finding] = []
    warnings: list[Finding] = []
    values: dict[str, Any] = {}
    for key, value in flat.items():
        if key not in SCHEMA:
            close = difflib.get_close_matches(key, SCHEMA, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            warnings.append(Finding(name, _line_of(text, key), "config-unknown", f"{key}: unknown key{hint}", WARNING))
            continue
        try:
            values[key] = SCHEMA[key].validate(value)
        except Invalid as exc:
            problems.append(Finding(name, _line_of(text, key), "config-value", f"{key}: {exc}"))
    for key, option in SCHEMA.items():
        if key in values or key in {p.message.split(":")[0] for p in problems}:
            continue
        if option.required:
            problems.append(Finding(name, 0, "config-missing", f"{key}: required, add it to [{key.split('.')[0]}]"))
        else:
            values[key] = option.default
    if problems:
        # The did-you-mean warnings often explain the errors (a misspelt required key): show both.
        raise PipelineError(sorted(problems + warnings, key=lambda f: (f.line == 0, f.line)))
    if not values.get("sender.reply_to"):
        values["sender.reply_to"] = values["sender.address"]
    if not values.get("archive.title"):
        values["archive.title"] = values["newsletter.name"]
    return Config(root=path.parent.resolve(), values=values, warnings=warnings)


def load_config(root: Path | str = ".") -> Config:
    path = Path(root) / CONFIG_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        hint = f"no {CONFIG_NAME} here: run krasse in the project folder (or -C DIR); to start one: krasse init DIR"
        raise PipelineError(Finding(display_path(path), 0, "config-missing", hint)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PipelineError(Finding(display_path(path), 0, "config-encoding", f"not UTF-8: {exc}")) from None
    return parse_config(text, path)
