"""`krasse send-test`: send the issue's `.eml` to a few test addresses over SMTP.

The message is built in memory with the same gate as `export` and never touches the export folder,
which stays the send-ready bundle. Each send carries the time of sending and its own Message-ID.

smtplib with `ssl.create_default_context()`; the password only ever comes from the environment.
The envelope recipients are exactly the given addresses, nothing from the message's headers.
Every failure becomes a finding with a hint, never a traceback.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline.errors import WARNING, Finding, PipelineError
from pipeline.export.bundle import Exported, plan_export
from pipeline.export.eml import parse_recipients

CONFIG = "newsletter.toml"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | tls | none
    user: str = ""
    password_env: str = "KRASSE_SMTP_PASSWORD"
    cafile: Path | None = None
    timeout: float = 30.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_settings(config: Config) -> SmtpSettings:
    cafile = config.get("smtp.cafile") or ""
    return SmtpSettings(
        host=config["smtp.host"],
        port=config["smtp.port"],
        security=config["smtp.security"],
        user=config["smtp.user"],
        password_env=config["smtp.password_env"],
        cafile=(config.root / cafile) if cafile else None,
        timeout=config.get("smtp.timeout") or 30,
    )


def _fail(rule: str, message: str) -> PipelineError:
    return PipelineError(Finding(CONFIG, 0, rule, message))


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    if settings.cafile is not None and not settings.cafile.is_file():
        raise _fail("smtp-tls", f"smtp.cafile: {settings.cafile} not found")
    try:
        return ssl.create_default_context(cafile=str(settings.cafile) if settings.cafile else None)
    except ssl.SSLError as exc:
        raise _fail("smtp-tls", f"smtp.cafile: {settings.cafile} is not a PEM certificate file ({exc})") from None


def _password(settings: SmtpSettings, env: Mapping[str, str]) -> str:
    password = env.get(settings.password_env, "")
    if not password:
        raise _fail(
            "smtp-auth",
            f"smtp.user is {settings.user!r} but the environment variable "
            f"{settings.password_env} is empty: export {settings.password_env}=… first",
        )
    if settings.security == "none" and not _loopback(settings.host):
        raise _fail(
            "smtp-auth",
            f"refusing to send the password unencrypted to {settings.host}: set smtp.security to starttls or tls",
        )
    return password


def _connect(settings: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    if settings.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.security == "starttls":
        client.ehlo()
        client.starttls(context=context)
    client.ehlo()
    return client


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib sends credentials as ASCII only; RFC 4616 PLAIN carries UTF-8, so umlauts still work."""
    try:
        client.login(user, password)
    except UnicodeEncodeError:
        if "PLAIN" not in client.esmtp_features.get("auth", "").upper().split():
            raise _fail(
                "smtp-auth",
                "the user name or password has non-ASCII characters and the server offers no AUTH PLAIN to carry them",
            ) from None
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        code, reply = client.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply) from None


def _deliver(client: smtplib.SMTP, message: bytes, sender: str, recipients: list[str]) -> str:
    """MAIL, RCPT for each test address, DATA; the server's final reply as text."""
    code, reply = client.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for rcpt in recipients:
        code, reply = client.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, reply)
    if refused:
        client.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = client.data(message)
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    return f"{code} {reply.decode('utf-8', 'replace')}"


def send(
    message: bytes, sender: str, recipients: list[str], settings: SmtpSettings, env: Mapping[str, str] | None = None
) -> str:
    """Send `message` as is to exactly `recipients`; returns the server's reply to DATA."""
    if not recipients:
        raise _fail("smtp-recipients", "no test address: give at least one --to")
    env = os.environ if env is None else env
    password = _password(settings, env) if settings.user else ""
    context = _tls_context(settings) if settings.security != "none" else None
    where = settings.where
    try:
        client = _connect(settings, context)
        try:
            if settings.user:
                _login(client, settings.user, password)
            return _deliver(client, message, sender, recipients)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPAuthenticationError as exc:
        raise _fail(
            "smtp-auth",
            f"{where} refused the login of {settings.user!r}: {_reply(exc)} "
            f"(check smtp.user and the password in {settings.password_env})",
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise _fail("smtp-security", f"{where}: {exc} (check smtp.security: starttls, tls or none)") from None
    except ssl.SSLCertVerificationError as exc:
        raise _fail(
            "smtp-tls",
            f"{where}: the server's certificate is not trusted ({exc.verify_message}); "
            "for a self-signed certificate set smtp.cafile",
        ) from None
    except ssl.SSLError as exc:
        raise _fail(
            "smtp-tls",
            f"{where}: TLS failed ({exc.reason or exc}); does smtp.security match the port (465: tls, 587: starttls)?",
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(f"{addr}: {_text(code, reply)}" for addr, (code, reply) in exc.recipients.items())
        raise _fail("smtp-refused", f"{where} refused the test address(es): {refused}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise _fail("smtp-refused", f"{where} refused the sender {exc.sender}: {_reply(exc)}") from None
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError):  # smtplib reports a read timeout as a hang-up
            raise _fail(
                "smtp-timeout",
                f"{where} stopped answering: no reply within {settings.timeout:.0f} s (smtp.timeout); "
                "does smtp.security match the port (465: tls, 587: starttls)?",
            ) from None
        raise _fail(
            "smtp-disconnected",
            f"{where} closed the connection ({exc or 'no reason given'}); is it an "
            "SMTP server, and does smtp.security match the port?",
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise _fail("smtp-error", f"{where} answered {_reply(exc)}") from None
    except TimeoutError:
        raise _fail(
            "smtp-connect",
            f"{where} did not answer within {settings.timeout:.0f} s (smtp.timeout); "
            "does smtp.security match the port (465: tls, 587: starttls)?",
        ) from None
    except ConnectionRefusedError:
        raise _fail(
            "smtp-connect",
            f"cannot connect to {where}: connection refused; is the SMTP server "
            "running, and are smtp.host and smtp.port right?",
        ) from None
    except OSError as exc:
        raise _fail("smtp-connect", f"cannot connect to {where}: {exc.strerror or exc}") from None


def _text(code: int, reply: bytes | str) -> str:
    return f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return _text(exc.smtp_code, exc.smtp_error)


def send_test(
    config: Config,
    target: str,
    addresses: list[str],
    esp_name: str | None = None,
    force: bool = False,
    drafts: bool = False,
    env: Mapping[str, str] | None = None,
) -> tuple[Exported, str]:
    """Build the message with the test addresses in `To` (same gate as `export`), in memory, and send it.
    Returns what was sent and the server's reply."""
    recipients = [addr for value in addresses for _, addr in parse_recipients(value, "--to")]
    now = dt.datetime.now().astimezone()
    planned = plan_export(config, target, esp_name, force=force, drafts=drafts, to=", ".join(addresses), sent_at=now)
    reply = send(planned.files["email.eml"], config["sender.address"], recipients, smtp_settings(config), env)
    if not config["footer.unsubscribe_url"]:
        note = (
            f"the test mail's unsubscribe link is a mailto: to {config['sender.address']}; set "
            "footer.unsubscribe_url to your own https page (a mailing service fills in its own link)"
        )
        planned.findings.append(Finding(CONFIG, 0, "eml-unsubscribe", note, WARNING))
    return planned, reply
