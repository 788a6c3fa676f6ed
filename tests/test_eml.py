"""The .eml: parsed back with the stdlib, it must say exactly what was built, within RFC limits."""

from __future__ import annotations

import datetime as dt
import email
from dataclasses import replace
from email.policy import default

import pytest

from pipeline.errors import PipelineError
from pipeline.export.eml import Headers, build_eml, parse_recipients

HEADERS = Headers(
    subject="Krasse Links No. 41: Plattform-Dämmerung – „Grüße“ aus der Straße",
    from_name="Krasse Links",
    from_addr="post@krasse-links.example",
    reply_to="antwort@krasse-links.example",
    to="Jürgen Leser <juergen@example.invalid>, zweite@example.invalid",
    day=dt.date(2026, 10, 5),
    id_prefix="krasse-links-41",
)
TEXT = "Hallo, schöne Grüße!\n\n" + "Ein sehr langer Absatz ohne Umbruch. " * 80 + "\n\nAbmelden: *|UNSUB|*\n"
HTML = (
    "<!doctype html><html><body><p>Schöne Grüße – "
    + "<b>fett</b> " * 500
    + '</p><a href="*|UNSUB|*">x</a></body></html>'
)


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=default)


def test_headers_parts_and_bodies_survive_a_round_trip():
    data = build_eml(HEADERS, TEXT, HTML)
    msg = parsed(data)
    assert msg["Subject"] == HEADERS.subject
    assert "=?utf-8?" in data.decode("ascii").split("\r\n\r\n")[0]  # umlauts as encoded-words
    assert msg["From"].addresses[0].display_name == "Krasse Links"
    assert msg["From"].addresses[0].addr_spec == "post@krasse-links.example"
    assert msg["Reply-To"].addresses[0].addr_spec == "antwort@krasse-links.example"
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Jürgen Leser", "juergen@example.invalid"),
        ("", "zweite@example.invalid"),
    ]
    assert msg["Date"].datetime == dt.datetime(2026, 10, 5, 5, 0, tzinfo=dt.UTC)  # 07:00 CEST
    assert msg["Date"] == "Mon, 05 Oct 2026 07:00:00 +0200"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Message-ID"].startswith("<krasse-links-41.") and msg["Message-ID"].endswith("@krasse-links.example>")
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part, body in zip(parts, (TEXT, HTML), strict=True):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        # MIME's canonical line end is CRLF; a reader's client shows it as a plain line break.
        # The stdlib ends every body with a line break (HTML ignores it).
        assert part.get_content().replace("\r\n", "\n") == body.rstrip("\n") + "\n"


def test_every_line_is_crlf_ascii_and_short():
    data = build_eml(HEADERS, TEXT, HTML)
    data.decode("ascii")  # 7-bit: quoted-printable bodies, encoded-word headers
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert max(len(line) for line in data.split(b"\r\n")) <= 78  # folded and QP-wrapped well below the limit


def test_one_click_unsubscribe_only_with_an_https_url():
    without = parsed(build_eml(HEADERS, TEXT, HTML))
    assert without["List-Unsubscribe"] == "<mailto:post@krasse-links.example?subject=unsubscribe>"
    assert "List-Unsubscribe-Post" not in without
    url = "https://krasse-links.example/abmelden"
    with_url = parsed(build_eml(replace(HEADERS, unsubscribe_url=url), TEXT, HTML))
    assert with_url["List-Unsubscribe"] == f"<{url}>, <mailto:post@krasse-links.example?subject=unsubscribe>"
    assert with_url["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_identical_input_gives_identical_bytes_and_ids_follow_content():
    first, second = build_eml(HEADERS, TEXT, HTML), build_eml(HEADERS, TEXT, HTML)
    assert first == second
    other = build_eml(HEADERS, TEXT + "Nachtrag\n", HTML)
    assert parsed(other)["Message-ID"] != parsed(first)["Message-ID"]
    boundary = parsed(first).get_boundary()
    assert boundary.startswith("=_krasse_")
    assert boundary != parsed(other).get_boundary()


@pytest.mark.parametrize("value", ["keine-adresse", "a@b", "Leserin <>", ""])
def test_bad_recipients_are_findings(value):
    with pytest.raises(PipelineError) as caught:
        parse_recipients(value, "--to")
    assert caught.value.findings[0].file == "--to"
    assert caught.value.findings[0].rule == "eml-address"


def test_good_recipients():
    assert parse_recipients("Leserin <leserin@example.invalid>, b@example.org") == [
        ("Leserin", "leserin@example.invalid"),
        ("", "b@example.org"),
    ]
