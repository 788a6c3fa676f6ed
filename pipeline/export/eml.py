"""The exported message as an RFC 5322 `.eml`, built with the stdlib `email` package.

Everything that usually varies per run is derived from the content instead: the Date is the issue's
send date at 07:00 Berlin time, the Message-ID and the MIME boundary come from a hash of the message,
so two exports of the same issue are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.errors import Finding, PipelineError
from pipeline.headers import address_problem

SEND_HOUR = 7
TIMEZONE = "Europe/Berlin"
PLACEHOLDER_TO = "Leserin <leserin@example.invalid>"
_ADDR = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+")


@dataclass(frozen=True)
class Headers:
    subject: str
    from_name: str
    from_addr: str
    reply_to: str
    to: str  # a header value: one or more addresses, with or without display names
    day: dt.date
    id_prefix: str  # e.g. "krasse-links-41"
    unsubscribe_url: str = ""  # https endpoint: enables RFC 8058 one-click
    sent_at: dt.datetime | None = None  # a real send: this Date and a fresh Message-ID, not the derived ones


def send_date(day: dt.date) -> dt.datetime:
    try:
        zone = ZoneInfo(TIMEZONE)
    except ZoneInfoNotFoundError:
        raise PipelineError(
            Finding("email.eml", 0, "eml-timezone", f"time zone {TIMEZONE} unknown: install the tzdata package")
        ) from None
    return dt.datetime(day.year, day.month, day.day, SEND_HOUR, tzinfo=zone)


def _date_header(when: dt.datetime) -> str:
    """RFC 5322 offsets are whole minutes: before April 1893 Berlin kept local mean time (+00:53:28),
    which `format_datetime` writes as `+005328` and the stdlib then drops, leaving `Date:` empty."""
    if (when.utcoffset() or dt.timedelta()).seconds % 60:
        when = when.astimezone(dt.UTC)
    return format_datetime(when)


def parse_recipients(value: str, where: str = "--to") -> list[tuple[str, str]]:
    """(display name, address) pairs; a clear finding for anything that is not a plain address."""
    pairs = getaddresses([value])
    bad = [addr or value for _, addr in pairs if not _ADDR.fullmatch(addr)]
    if not pairs or bad:
        raise PipelineError(
            Finding(
                where,
                0,
                "eml-address",
                f"not an e-mail address: {', '.join(bad) or value!r} (expected name@example.org)",
            )
        )
    for _, addr in pairs:
        if (problem := address_problem(addr)) is not None:
            raise PipelineError(Finding(where, 0, "eml-address", problem))
    return pairs


def _address(name: str, addr: str) -> Address:
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def unsubscribe_mailto(sender: str) -> str:
    """The unsubscribe link of a message no service fills: a mail to the sender."""
    return f"mailto:{sender}?subject=unsubscribe"


def list_unsubscribe(headers: Headers) -> str:
    """The https endpoint (when configured) and a mailto to the sender with subject "unsubscribe"."""
    links = [f"<{headers.unsubscribe_url}>"] if headers.unsubscribe_url.startswith("https://") else []
    links.append(f"<{unsubscribe_mailto(headers.from_addr)}>")
    return ", ".join(links)


def build_eml(headers: Headers, text: str, html: str) -> bytes:
    """multipart/alternative, text/plain first, UTF-8 quoted-printable, CRLF: lines stay under 998."""
    digest = hashlib.sha256(
        json.dumps([asdict(headers) | {"sent_at": None}, text, html], default=str).encode("utf-8")
    ).hexdigest()
    domain = headers.from_addr.rpartition("@")[2]
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _address(headers.from_name, headers.from_addr)
    msg["Reply-To"] = _address("", headers.reply_to)
    msg["To"] = [_address(name, addr) for name, addr in parse_recipients(headers.to)]
    msg["Subject"] = headers.subject
    if headers.sent_at is not None:  # every test send is its own message
        msg["Date"] = format_datetime(headers.sent_at)
        msg["Message-ID"] = make_msgid(idstring=headers.id_prefix, domain=domain)
    else:
        msg["Date"] = _date_header(send_date(headers.day))
        msg["Message-ID"] = f"<{headers.id_prefix}.{digest[:16]}@{domain}>"
    msg["List-Unsubscribe"] = list_unsubscribe(headers)
    if headers.unsubscribe_url.startswith("https://"):
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # "=_" never occurs in quoted-printable bodies, so this boundary cannot clash with the content.
    msg.set_boundary(f"=_krasse_{digest[:32]}")
    raw = msg.as_bytes()
    _refuse_long_lines(raw)
    return raw


MAX_LINE = 998  # octets per line, RFC 5322 2.1.1; servers may cut or refuse longer ones


def _refuse_long_lines(raw: bytes) -> None:
    """The stdlib folds headers at white space and encodes bodies as quoted-printable, but cannot fold
    one long word (a 1,100-character sender name without a space): judge the bytes that would leave."""
    name, in_head = "", True
    for line in raw.split(b"\r\n"):
        if in_head and not line:
            in_head = False
        elif in_head and line[:1] not in (b" ", b"\t"):
            name = line.split(b":", 1)[0].decode("ascii", "replace")
        if len(line) > MAX_LINE:
            raise PipelineError(
                Finding(
                    "email.eml",
                    0,
                    "eml-line-length",
                    f"the {name if in_head else 'body'} line of the message would be {len(line):,} octets long; "
                    f"mail allows {MAX_LINE} (a word that long cannot be folded): shorten it or put spaces in it",
                )
            )
