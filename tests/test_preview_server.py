"""The preview server: routes, what it refuses to serve, the event stream, binding rules, Ctrl-C."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import krasse, visible_parts

from pipeline.errors import PipelineError
from pipeline.preview import Preview, check_host
from pipeline.preview.server import Route, route, size_text
from pipeline.preview.variants import email_view, force_dark, inject_head

STEM = "043-kurz-und-buendig"


# --- routes (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", Route("index")),
        ("/events", Route("events")),
        ("/events?issue=043%20x", Route("events", stem="043 x")),
        ("/assets/preview.js", Route("asset", name="preview.js")),
        ("/issue/043-x", Route("redirect", stem="043-x")),
        ("/issue/043-x/", Route("page", stem="043-x")),
        ("/issue/043-x/?foo=1", Route("page", stem="043-x")),
        ("/issue/043-x/email.html?view=dark&v=3", Route("email", stem="043-x", view="dark")),
        ("/issue/043-x/email.html?view=evil", Route("email", stem="043-x")),
        ("/issue/043-x/email.txt", Route("text", stem="043-x")),
        ("/issue/043-x/status.json", Route("status", stem="043-x")),
        ("/issue/043%20x/", Route("page", stem="043 x")),
        ("/issue/043-x/files/images/kurve.png", Route("file", stem="043-x", name="images/kurve.png")),
    ],
)
def test_routes(raw: str, expected: Route) -> None:
    assert route(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/issue/..%2f..%2fnewsletter.toml",
        "/issue/../newsletter.toml",
        "/issue/%2e%2e/",
        "/issue/x/files/../../../newsletter.toml",
        "/issue/x/files/images/%2e%2e/%2e%2e/newsletter.toml",
        "/issue/x/files/images%2f..%2f..%2fnewsletter.toml",
        "/issue/x/files/images%5c..%5cnewsletter.toml",
        "/issue/x/files/a%00.png",
        "/issue/x/files/",
        "/assets/../server.py",
        "/assets/server.py",
        "/issues/043-kurz-und-buendig.md",
        "/newsletter.toml",
        "/layouts/email.mjml.j2",
        "/outbox/043-kurz-und-buendig/email.html",
        "/issue/x/email.mjml",
        "/issue/x/meta.json",
        "/issue/%ff/",
        "//etc/passwd",
        "http://evil.example/",
        "\\..\\newsletter.toml",
    ],
)
def test_routes_refuse_everything_else(raw: str) -> None:
    assert route(raw) is None


def test_size_text_is_german() -> None:
    assert size_text(48770, 100000) == "48.770 von 100.000 Bytes (49\u00a0%)"


# --- email variants (pure) -----------------------------------------------------------------


def test_force_dark_makes_dark_rules_apply_and_light_rules_not() -> None:
    css = "@media (prefers-color-scheme: dark){.a{color:#fff}}@media (PREFERS-COLOR-SCHEME:light){.b{x:y}}"
    out = force_dark(css)
    assert out == "@media (min-width:0px){.a{color:#fff}}@media (max-width:0px){.b{x:y}}"


def test_injection_goes_into_the_head_only_when_serving() -> None:
    assert inject_head("<html><head><title>t</title></head><body>", "<X>") == (
        "<html><head><title>t</title><X></head><body>"
    )
    assert inject_head("<p>no head</p>", "<X>") == "<X><p>no head</p>"
    served = email_view("<html><head></head><body><img src=a.png></body></html>", "invert")
    assert '<base target="_blank">' in served and "invert(1)" in served


def test_gmx_view_serves_the_email_without_style_blocks() -> None:
    """GMX and WEB.DE strip <style>: the view shows only what inline styles carry."""
    html = (
        '<html><head><STYLE type="text/css">.a{color:red}</STYLE><style>\n@media x{}</style></head>'
        '<body style="margin:0">'
    )
    served = email_view(html, "gmx")
    assert "<style" not in served.lower() and 'style="margin:0"' in served and '<base target="_blank">' in served


# --- binding --------------------------------------------------------------------------------


def test_non_loopback_needs_an_explicit_host(project: Path) -> None:
    assert check_host("127.0.0.1", explicit=False) == []
    assert check_host("localhost", explicit=False) == []
    assert check_host("::1", explicit=False) == []
    with pytest.raises(PipelineError, match="not a loopback address"):
        Preview(project, host="0.0.0.0")
    [warning] = Preview(project, host="0.0.0.0", explicit_host=True).warnings  # not started
    assert not warning.is_error and "0.0.0.0" in warning.message


# --- over HTTP ------------------------------------------------------------------------------


@pytest.fixture
def preview(project: Path) -> Iterator[Preview]:
    with Preview(project, port=0) as running:
        yield running


def _get(preview: Preview, raw: str, host: str | None = None) -> tuple[int, dict, bytes]:
    """Send the raw path as-is (no client-side normalisation)."""
    port = preview.server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Host": host} if host else {}
    conn.putrequest("GET", raw, skip_host=bool(host), skip_accept_encoding=True)
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


@pytest.mark.parametrize(
    "raw",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/issue/..%2f..%2fnewsletter.toml",
        f"/issue/{STEM}/files/..%2f..%2f..%2fnewsletter.toml",
        f"/issue/{STEM}/files/../../../issues/{STEM}.md",
        f"/issue/{STEM}/email.mjml",
        f"/issue/{STEM}/meta.json",
        f"/issues/{STEM}.md",
        "/newsletter.toml",
        "/layouts/email.mjml.j2",
        "/pipeline/preview/server.py",
        "/assets/",
        "/issue/nicht-da/",
        "/issue/041-plattform-daemmerung/files/images/nicht-da.png",
    ],
)
def test_traversal_and_source_files_get_404(preview: Preview, raw: str) -> None:
    status, _, body = _get(preview, raw)
    assert status == 404
    assert b"number:" not in body and b"[newsletter]" not in body and b"root:" not in body


def test_pages_and_images_are_served(preview: Preview, project: Path) -> None:
    status, headers, body = _get(preview, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    order = [page.index(f"/issue/{stem}/") for stem in ("044-entwurf", STEM, "042-der-moment")]
    assert order == sorted(order)  # newest first
    assert "Entwurf</span>" in page and "16. November 2026" in page

    status, _, body = _get(preview, f"/issue/{STEM}/status.json")
    data = json.loads(body)
    assert status == 200 and data["title"] == "Kurz und bündig" and data["budget"] == 100000
    assert data["bytes"] == len((project / "outbox" / STEM / "email.html").read_bytes())

    status, headers, body = _get(preview, f"/issue/{STEM}/email.html")
    on_disk = (project / "outbox" / STEM / "email.html").read_text(encoding="utf-8")
    assert status == 200 and '<base target="_blank">' in body.decode()
    assert '<base target="_blank">' not in on_disk  # injected while serving only
    assert "script-src 'none'" in headers["Content-Security-Policy"]

    status, _, body = _get(preview, f"/issue/{STEM}/email.txt")
    assert body.decode() == (project / "outbox" / STEM / "email.txt").read_text(encoding="utf-8")

    status, headers, body = _get(preview, "/issue/041-plattform-daemmerung/files/images/kurve.png")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert body == (project / "issues" / "images" / "kurve.png").read_bytes()

    status, headers, _ = _get(preview, f"/issue/{STEM}")
    assert status == 301 and headers["Location"] == f"/issue/{STEM}/"


def test_foreign_host_header_is_refused(preview: Preview) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the issues."""
    assert _get(preview, "/", host="evil.example")[0] == 421
    assert _get(preview, "/", host=f"localhost:{preview.server.server_address[1]}")[0] == 200


def test_event_stream_announces_every_rebuild(preview: Preview, project: Path) -> None:
    port = preview.server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/events")
    response = conn.getresponse()
    assert response.getheader("Content-Type").startswith("text/event-stream")
    assert response.readline() == b"retry: 500\n"
    assert response.readline() == b"event: hello\n"
    hello = int(response.readline().split(b":")[1])
    response.readline()
    path = project / "issues" / f"{STEM}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nNeu.\n", encoding="utf-8")
    assert response.readline() == b"event: reload\n"
    assert int(response.readline().split(b":")[1]) > hello
    conn.close()
    assert "Neu." in preview.state.get(STEM).text


def test_issue_event_stream_carries_the_issue_status(preview: Preview, project: Path) -> None:
    """The issue page repaints from the event alone: new version and findings, `null` once deleted."""
    port = preview.server.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/events?issue={STEM}")
    response = conn.getresponse()
    assert response.readline() == b"retry: 500\n" and response.readline() == b"event: hello\n"
    hello = int(response.readline().split(b":")[1])
    response.readline()
    before = preview.state.get(STEM).version
    path = project / "issues" / f"{STEM}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nNeu „hier“.\n", encoding="utf-8")

    def next_event() -> dict:
        while response.readline() != b"event: reload\n":
            pass
        line = response.readline()
        assert line.startswith(b"data: {") and line.endswith(b"}\n")  # one line of JSON
        response.readline()
        data = json.loads(line[len(b"data: ") :])
        assert data["epoch"] > hello
        return data

    def next_status() -> dict:
        return next_event()["status"]

    event = next_event()
    while event["status"]["version"] == before:  # an editor may save in two steps
        event = next_event()
    status = event["status"]
    assert status["stem"] == STEM and status["version"] == before + 1
    assert status["bytes"] == len((project / "outbox" / STEM / "email.html").read_bytes())
    assert status["errors"] == []
    # the new version's light view comes along, exactly as email.html serves it
    assert event["email"] == email_view(preview.state.get(STEM).html, "light")
    assert "Neu „hier“." in event["email"]

    # a failed build keeps the last good render: errors, same version, no email to swap in
    path.write_text(path.read_text(encoding="utf-8").replace("date:", "date: : :", 1), encoding="utf-8")
    event = next_event()
    while not event["status"]["errors"]:
        event = next_event()
    assert event["status"]["version"] == before + 1 and "email" not in event
    path.unlink()
    while next_status() is not None:  # a late event of the save may come first
        pass
    conn.close()


def test_watch_command_stops_cleanly_on_ctrl_c(project: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "-C", str(project), "watch", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("preview on http://127.0.0.1:"):
                break
        assert any("043-kurz-und-buendig:" in x and "bytes" in x for x in lines), lines
        url = lines[-1].split()[2]
        conn = http.client.HTTPConnection(url.split("/")[2], timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "preview stopped" in out and "Traceback" not in err


def test_watch_with_a_broken_config_fails_with_file_and_line(project: Path) -> None:
    config = project / "newsletter.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("port = 587", "port = 0"), encoding="utf-8")
    result = krasse(project, "watch", "--port", "0")
    assert result.exit_code == 1
    assert "newsletter.toml:" in result.output and "smtp.port" in result.output


def test_watch_on_a_busy_port_says_so(project: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = krasse(project, "watch", "--port", str(port))
    assert result.exit_code == 1
    assert f"cannot start the preview on 127.0.0.1:{port}" in result.output
    assert not (project / "outbox" / STEM).exists()  # nothing built before the port was checked


def test_dark_view_keeps_the_media_query_written_as_text() -> None:
    """The dark view rewrites `prefers-color-scheme` in the email's styles; an issue about CSS that
    writes it in prose or a code span shows it as written in that view too."""
    from pipeline.build import prepare
    from pipeline.config import load_config
    from pipeline.load import parse_issue

    source = (
        '---\nnumber: 9\ntitle: "Dunkel"\ndate: 2026-01-05\npreheader: "Ein Vorschautext, der lang genug ist."\n'
        "---\n\nEinleitung mit genug Wörtern für alles.\n\n---\n\n"
        "Die Abfrage (prefers-color-scheme: dark) wählt das dunkle Schema.\n\n"
        "Im Code: `@media (prefers-color-scheme: light)` für helle Fenster.\n"
    )
    issue, found = parse_issue(source, Path("issues/009-dunkel.md"))
    assert issue is not None, found
    built = prepare(issue, load_config(Path(__file__).resolve().parent.parent))
    assert built.email is not None, built.findings
    shown = " ".join("".join(visible_parts(email_view(built.email.html, "dark"))).split())
    assert "Die Abfrage (prefers-color-scheme: dark) wählt" in shown
    assert "Im Code: @media (prefers-color-scheme: light) für" in shown
    served = email_view(built.email.html, "dark")  # the email's own dark styles still always apply
    assert "@media (min-width:0px)" in served and "@media (prefers-color-scheme: dark)" not in served.split("<body")[0]
