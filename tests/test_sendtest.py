"""`krasse send-test` against real SMTP servers on 127.0.0.1 (aiosmtpd), plain, with login, and STARTTLS."""

from __future__ import annotations

import email
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import krasse

STEM = "041-plattform-daemmerung"
SENDER = "post@krasse-links.example"
USER, PASSWORD = "redaktion", "Geheim-ß-123"


class Inbox:
    """An aiosmtpd handler that keeps what arrived."""

    def __init__(self) -> None:
        self.received: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(envelope)
        return "250 2.0.0 Ok: queued as KRASSE1"


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and (auth_data.password == PASSWORD.encode())
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(request) -> Iterator[tuple[Inbox, int]]:
    """Start a server; `request.param` holds extra Controller options (auth, TLS)."""
    inbox = Inbox()
    options = dict(getattr(request, "param", {}) or {})
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield inbox, port
    controller.stop()


def configure(project: Path, port: int, security: str = "none", user: str = "", cafile: str = "") -> None:
    """Point [smtp] of the project's newsletter.toml at the test server (and wait at most 3 s for it)."""
    config = project / "newsletter.toml"
    smtp = f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\nuser = "{user}"\n'
    smtp += f'cafile = "{cafile}"\ntimeout = 3\n\n'
    text, count = re.subn(r"\[smtp\]\n.*?\n\n", lambda _: smtp, config.read_text("utf-8"), count=1, flags=re.S)
    assert count == 1
    config.write_text(text, "utf-8")


def test_sends_the_message_to_exactly_the_test_addresses(project, smtp_server):
    inbox, port = smtp_server
    configure(project, port)
    result = krasse(
        project, "send-test", "41", "--to", "eins@example.org", "--to", "zwei@example.org", "--esp", "mailchimp"
    )
    assert result.exit_code == 0, result.output
    assert "250 2.0.0 Ok: queued as KRASSE1" in result.output
    assert len(inbox.received) == 1
    envelope = inbox.received[0]
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["eins@example.org", "zwei@example.org"]
    msg = email.message_from_bytes(envelope.content, policy=default)
    assert msg["To"] == "eins@example.org, zwei@example.org"
    assert "Cc" not in msg and "Bcc" not in msg
    # A test send reaches a real inbox: no service tag, no neutral placeholder, a working unsubscribe link.
    html = msg.get_body(("html",)).get_content()
    assert "*|UNSUB|*" not in html and "{{unsubscribe_url}}" not in html
    assert 'href="mailto:post@krasse-links.example?subject=unsubscribe"' in html
    assert "Abmelden: mailto:post@krasse-links.example?subject=unsubscribe" in msg.get_body(("plain",)).get_content()


def test_send_test_uses_the_same_gate(project, smtp_server):
    inbox, port = smtp_server
    configure(project, port)
    result = krasse(project, "send-test", "44", "--to", "eins@example.org")
    assert result.exit_code == 1
    assert "error [export-draft]" in result.output
    assert inbox.received == []
    result = krasse(project, "send-test", "41", "--to", "keine-adresse")
    assert result.exit_code == 1 and "--to: error [eml-address]" in result.output


@pytest.mark.parametrize("smtp_server", [{"authenticator": authenticator, "auth_require_tls": False}], indirect=True)
def test_login_with_the_password_from_the_environment(project, smtp_server, monkeypatch):
    inbox, port = smtp_server
    configure(project, port, user=USER)
    monkeypatch.delenv("KRASSE_SMTP_PASSWORD", raising=False)
    result = krasse(project, "send-test", "41", "--to", "eins@example.org")
    assert result.exit_code == 1
    assert "KRASSE_SMTP_PASSWORD is empty" in result.output

    monkeypatch.setenv("KRASSE_SMTP_PASSWORD", "falsch")
    result = krasse(project, "send-test", "41", "--to", "eins@example.org")
    assert result.exit_code == 1
    assert "error [smtp-auth]" in result.output and "refused the login of 'redaktion'" in result.output
    assert "Traceback" not in result.output
    assert inbox.received == []

    monkeypatch.setenv("KRASSE_SMTP_PASSWORD", PASSWORD)
    result = krasse(project, "send-test", "41", "--to", "eins@example.org")
    assert result.exit_code == 0, result.output
    assert [e.rcpt_tos for e in inbox.received] == [["eins@example.org"]]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[ssl.SSLContext, Path]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    cafile = tmp_path_factory.mktemp("ca") / "test-ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return server_context, cafile


def test_starttls_with_a_self_signed_certificate(project, tls_files, monkeypatch):
    server_context, cafile = tls_files
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        monkeypatch.setenv("KRASSE_SMTP_PASSWORD", PASSWORD)
        configure(project, port, security="starttls", user=USER)
        result = krasse(project, "send-test", "41", "--to", "eins@example.org")
        assert result.exit_code == 1
        assert "error [smtp-tls]" in result.output and "smtp.cafile" in result.output
        assert inbox.received == []

        configure(project, port, security="starttls", user=USER, cafile=str(cafile))
        result = krasse(project, "send-test", "41", "--to", "eins@example.org")
        assert result.exit_code == 0, result.output
        assert email.message_from_bytes(inbox.received[0].content, policy=default)["To"] == "eins@example.org"
    finally:
        controller.stop()


def test_a_closed_port_is_a_clear_error(project):
    configure(project, free_port())
    result = krasse(project, "send-test", "41", "--to", "eins@example.org")
    assert result.exit_code == 1
    assert "error [smtp-connect]" in result.output and "connection refused" in result.output
    assert "Traceback" not in result.output


def test_a_server_that_hangs_up_is_a_clear_error(project):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"220 bald weg\r\n")
            conn.recv(1024)  # EHLO, then the line goes dead

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        configure(project, port)
        result = krasse(project, "send-test", "41", "--to", "eins@example.org")
    finally:
        thread.join(5)
        listener.close()
    assert result.exit_code == 1
    assert "error [smtp-disconnected]" in result.output and "closed the connection" in result.output
    assert "Traceback" not in result.output


def test_implicit_tls(project, tls_files):
    server_context, cafile = tls_files
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=server_context)
    controller.start()
    try:
        configure(project, port, security="tls", cafile=str(cafile))
        result = krasse(project, "send-test", "41", "--to", "eins@example.org")
        assert result.exit_code == 0, result.output
        assert email.message_from_bytes(inbox.received[0].content, policy=default)["To"] == "eins@example.org"

        configure(project, port, security="starttls", cafile=str(cafile))  # wrong mode for an SMTPS port
        result = krasse(project, "send-test", "41", "--to", "eins@example.org")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "does smtp.security match the port" in result.output
    finally:
        controller.stop()


def test_non_ascii_address_is_a_finding_not_a_traceback(project, smtp_server):
    """smtplib raised UnicodeEncodeError on `RCPT TO:<jörg@…>` (no SMTPUTF8 here)."""
    inbox, port = smtp_server
    configure(project, port)
    result = krasse(project, "send-test", "41", "--to", "jörg@example.org")  # exceptions propagate
    assert result.exit_code == 1 and "--to: error [eml-address]" in result.output
    assert inbox.received == []
