"""The preview's HTTP side: pages, the email frames, and one event stream per browser tab.

It serves only what the preview state holds and its own two assets. Routes are matched on the
raw request path, segment by segment; a stem is a key of the state, an image a member of the
issue's own image list, so no request can name a file the server did not produce.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote

import jinja2
from babel.numbers import format_decimal, format_percent

from pipeline.errors import Finding
from pipeline.images import FORMATS, MAX_IMAGE_BYTES, sniff
from pipeline.model import german_date
from pipeline.output import inside
from pipeline.preview.state import IssueView, PreviewState
from pipeline.preview.variants import VIEWS, email_view

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ASSETS = {"preview.js": "text/javascript; charset=utf-8", "preview.css": "text/css; charset=utf-8"}
# Raw files get a policy that lets nothing run, even if one were opened on its own in a tab.
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
IDLE_TIMEOUT = 10.0  # seconds a connection may take to send its request
MAX_CONNECTIONS = 64  # open connections (event streams included); more are closed at once
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
NOT_FOUND = b"Nicht gefunden.\n"  # German: the author reads it
KEEPALIVE = 15.0  # seconds between comment lines on an idle event stream (finds closed tabs)


@dataclass(frozen=True)
class Route:
    kind: str  # index | events | asset | redirect | page | email | text | status | file
    stem: str = ""  # for events: the issue whose status each `reload` carries (the issue page's stream)
    name: str = ""  # asset name, or image path below the issue's output folder
    view: str = "light"


_ISSUE_FILES = {"": "page", "email.html": "email", "email.txt": "text", "status.json": "status"}


def _segment(raw: str, separators: str = "/\\") -> str | None:
    """One decoded path segment, or None when it could climb or smuggle a separator."""
    text = unquote(raw, errors="strict") if "%" in raw else raw
    if text in (".", "..") or any(c in text for c in separators + "\x00"):
        return None
    return text


def route(raw_path: str) -> Route | None:
    """Map a raw request target to a route; None means 404."""
    path, _, query = raw_path.partition("?")
    if not path.startswith("/") or "\\" in path:
        return None
    try:
        raw_parts = path[1:].split("/")
        # An issue's stem is only a key of the preview state, never a path: a file named
        # `a\b.md` is listed on the index, so its page must open too.
        parts = [_segment(p, "/" if i == 1 and raw_parts[0] == "issue" else "/\\") for i, p in enumerate(raw_parts)]
    except UnicodeDecodeError:
        return None
    if any(p is None for p in parts):
        return None
    segs: list[str] = parts  # type: ignore[assignment]
    params = parse_qs(query)
    view = params.get("view", ["light"])[0]
    match segs:
        case [""]:
            return Route("index")
        case ["events"]:
            return Route("events", stem=params.get("issue", [""])[0])
        case ["assets", name] if name in ASSETS:
            return Route("asset", name=name)
        case ["issue", stem] if stem:
            return Route("redirect", stem=stem)
        case ["issue", stem, file] if stem and file in _ISSUE_FILES:
            return Route(_ISSUE_FILES[file], stem=stem, view=view if view in VIEWS else "light")
        case ["issue", stem, "files", *rest] if stem and rest and all(rest):
            return Route("file", stem=stem, name="/".join(rest))
    return None


def is_loopback(host: str) -> bool:
    """True when every address the name resolves to is on this machine."""
    if host.strip("[]") in LOOPBACK_NAMES:
        return True
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0].split("%")[0]).is_loopback for i in infos)


def _host_name(header: str) -> str:
    """`127.0.0.1:8000` → `127.0.0.1`, `[::1]:8000` → `::1`."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _finding(f: Finding) -> dict:
    return {"file": f.file, "line": f.line, "rule": f.rule, "message": f.message, "severity": f.severity}


def size_text(size: int, budget: int) -> str:
    if not budget:
        return "noch nicht gebaut"
    share = format_percent(size / budget, locale="de")
    return f"{format_decimal(size, locale='de')} von {format_decimal(budget, locale='de')} Bytes ({share})"


def status(view: IssueView, state: PreviewState) -> dict:
    """Everything the issue page shows besides the frames, as JSON for its script."""
    return {
        "epoch": state.epoch,
        "stem": view.stem,
        "number": view.number,
        "title": view.title or view.stem,
        "date": german_date(view.date) if view.date else "",
        "draft": view.draft,
        "version": view.version,
        "rendered": view.html is not None,
        "bytes": view.bytes,
        "budget": view.budget,
        "size": size_text(view.bytes, view.budget),
        "ms": round(view.ms),
        "warnings": [_finding(f) for f in view.warnings],
        "errors": [_finding(f) for f in (*state.errors, *view.errors)],
    }


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["de_number"] = lambda n: format_decimal(n, locale="de")
    env.filters["de_date"] = lambda d: german_date(d) if d else ""
    env.filters["url"] = lambda s: quote(s)
    return env


NOT_YET = (
    '<!doctype html><html lang="de"><meta charset="utf-8"><body style="font:16px sans-serif;padding:2em;color:#555">'
    "<p>Noch keine gelungene Fassung dieser Ausgabe. Die Fehler stehen im Kasten unten.</p></body></html>"
)


class PreviewServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with daemon threads: an open event stream never blocks shutdown."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # listen backlog: a burst of tabs and assets never waits on the default 5

    def __init__(self, address: tuple[str, int], state: PreviewState, *, loopback_only: bool = True):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)
        self.state = state
        self.loopback_only = loopback_only
        self.templates = _templates()
        self.idle_timeout = IDLE_TIMEOUT
        self.max_connections = MAX_CONNECTIONS
        self._open = 0
        self._open_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        """One thread per connection, but never more than `max_connections` at once."""
        with self._open_lock:
            full = self._open >= self.max_connections
            if not full:
                self._open += 1
        if full:
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._open_lock:
            self._open -= 1

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    def handle_error(self, request, client_address) -> None:
        log.exception("preview request from %s failed", client_address[0])


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "krasse-preview"
    sys_version = ""

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout  # a silent or slow client is dropped, its thread freed
        super().setup()

    def log_message(self, format: str, *args) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self._get()  # a tab that went away mid-answer is no error

    def _get(self) -> None:
        if self.server.loopback_only and not self._local_host():
            return self._send(HTTPStatus.MISDIRECTED_REQUEST, b"unknown host\n", "text/plain; charset=utf-8")
        target = route(self.path)
        state = self.server.state
        if target is None:
            return self._not_found()
        if target.kind == "index":
            page = self.server.templates.get_template("index.html.j2").render(
                views=state.views(), epoch=state.epoch, errors=[_finding(f) for f in state.errors]
            )
            return self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")
        if target.kind == "events":
            return self._events(target.stem)
        if target.kind == "asset":
            data = (HERE / "assets" / target.name).read_bytes()
            return self._send(HTTPStatus.OK, data, ASSETS[target.name])
        view = state.get(target.stem)
        if view is None:
            return self._not_found()
        if target.kind == "redirect":
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", f"/issue/{quote(target.stem)}/")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if target.kind == "page":
            page = self.server.templates.get_template("issue.html.j2").render(
                view=view, status=status(view, state), epoch=state.epoch
            )
            return self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")
        if target.kind == "status":
            body = json.dumps(status(view, state), ensure_ascii=False).encode()
            return self._send(HTTPStatus.OK, body, "application/json; charset=utf-8")
        if target.kind == "email":
            html = email_view(view.html, target.view) if view.html is not None else NOT_YET
            return self._send(HTTPStatus.OK, html.encode(), "text/html; charset=utf-8", frame=True)
        if target.kind == "text":
            text = view.text if view.text is not None else "Noch keine gelungene Fassung.\n"
            return self._send(HTTPStatus.OK, text.encode(), "text/plain; charset=utf-8", frame=True)
        return self._file(view, target.name)

    def _local_host(self) -> bool:
        """Refuse other Host names on a loopback server: a web page cannot rebind a DNS name to it."""
        header = self.headers.get("Host", "")
        return not header or _host_name(header) in LOOPBACK_NAMES

    def _file(self, view: IssueView, rel: str) -> None:
        """Only images the issue itself uses, from its own output folder."""
        if rel not in view.images or view.out_dir is None:
            return self._not_found()
        try:
            path = inside(view.out_dir, view.out_dir / rel)
            kind = FORMATS.get(sniff(path) or "")  # by content, like the build checked it
            if kind is None or path.stat().st_size > MAX_IMAGE_BYTES:
                return self._not_found()
            data = path.read_bytes()
        except Exception:
            return self._not_found()
        self._send(HTTPStatus.OK, data, kind, filename=Path(rel).name)

    def _events(self, stem: str = "") -> None:
        """Server-sent events: `hello` with the current epoch, then `reload` on every rebuild.

        An issue page's stream (`?issue=stem`) gets that issue's status in each `reload` (JSON,
        `null` once the file is gone), so the page repaints without asking for status.json first,
        and, whenever the version differs from the last one this stream sent, the desktop/mobile
        frames' document, so the page swaps it in without fetching email.html.
        """
        state = self.server.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        if self.command == "HEAD":
            return
        epoch = state.epoch
        sent: int | None = None  # the email version this stream sent last
        self._write(f"retry: 500\nevent: hello\ndata: {epoch}\n\n")
        while not state.closed:
            now = state.wait(epoch, KEEPALIVE)
            if state.closed:
                break
            if now != epoch:
                epoch = now
                data, sent = self._reload_data(stem, epoch, sent)
                self._write(f"event: reload\ndata: {data}\n\n")
            else:
                self._write(": keep-alive\n\n")
        self.close_connection = True

    def _reload_data(self, stem: str, epoch: int, sent: int | None) -> tuple[str, int | None]:
        """The epoch, or for an issue page one line of JSON: epoch, the issue's status, and the
        email's light view when its version is new to this stream. Returns the version sent."""
        if not stem:
            return str(epoch), sent
        state = self.server.state
        view = state.get(stem)
        data: dict = {"epoch": epoch, "status": status(view, state) if view is not None else None}
        if view is not None and view.html is not None and view.version != sent:
            data["email"] = email_view(view.html, "light")
            sent = view.version
        return json.dumps(data, ensure_ascii=False), sent  # one line: JSON escapes every line break

    def _write(self, text: str) -> None:
        self.wfile.write(text.encode())
        self.wfile.flush()

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, NOT_FOUND, "text/plain; charset=utf-8")

    def _send(self, code: HTTPStatus, body: bytes, kind: str, frame: bool = False, filename: str = "") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if frame:
            self.send_header("Content-Security-Policy", "script-src 'none'; object-src 'none'")
        if filename:
            self.send_header("Content-Security-Policy", FILE_POLICY)
            self.send_header("Content-Disposition", f"inline; filename*=UTF-8''{quote(filename)}")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
