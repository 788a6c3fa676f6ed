"""Hostile or huge input (issue 11): a clear finding with file and line, never a crash, a leak or a deletion.

Every test here reproduces a defect found on main with tight sizes, so the suite stays fast.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import krasse
from test_bad_input import INTRO, assert_finding

from pipeline.load import parse_issue, read_issue


def head(**fields: str) -> str:
    lines = {"number": "1", "title": '"Test"', "date": "2026-01-05", **fields}
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in lines.items()) + "---\n\n"


def write(project: Path, name: str, content: str | bytes) -> Path:
    path = project / "issues" / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- YAML: alias bombs, huge integers, header injection -------------------------------------------

ALIAS_BOMB = (
    "---\nnumber: 2\ntitle: Bombe\ndate: 2026-01-05\n"
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "tags: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "---\n\nText.\n"
)


def test_alias_bomb_is_refused_at_parse_time_with_a_short_message() -> None:
    start = time.perf_counter()
    issue, found = parse_issue(ALIAS_BOMB, Path("issues/002-x.md"))
    assert time.perf_counter() - start < 1
    assert issue is None
    assert [f.rule for f in found] == ["fm-yaml"], found
    assert found[0].line == 6  # the first alias: `b:` names `*a`
    assert "alias" in found[0].message and len(found[0].message) < 300


def test_building_one_issue_never_parses_the_others(empty_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On main every command parsed every file in issues/ (for duplicate numbers): one alias bomb
    there made `krasse build issues/002-x.md` take 47 s. Now only the number line is peeked at."""
    import pipeline.load

    write(empty_project, "001-bombe.md", ALIAS_BOMB.replace("number: 2", "number: 1"))
    write(empty_project, "002-gut.md", head(number="2") + INTRO + "Alles gut.\n")
    parsed: list[str] = []
    real = pipeline.load.parse_issue

    def spy(text: str, path: Path):
        parsed.append(path.name)
        return real(text, path)

    monkeypatch.setattr(pipeline.load, "parse_issue", spy)
    from pipeline.build import load_issues
    from pipeline.config import load_config

    loaded = load_issues(load_config(empty_project), [empty_project / "issues/002-gut.md"])
    assert parsed == ["002-gut.md"]
    assert [i.stem for i in loaded.issues] == ["002-gut"] and loaded.findings == []
    monkeypatch.undo()
    result = krasse(empty_project, "build", str(empty_project / "issues/002-gut.md"))
    assert result.exit_code == 0, result.output
    assert "001-bombe" not in result.output  # only the issue asked for is reported


def test_values_in_messages_are_truncated() -> None:
    text = head(number="[" + ", ".join(["wort"] * 5000) + "]") + "Text.\n"
    issue, found = parse_issue(text, Path("issues/001-x.md"))
    assert issue is None and found[0].rule == "fm-type"
    assert len(found[0].message) < 300 and "..." in found[0].message


def test_duplicate_numbers_still_found_across_the_folder(empty_project: Path) -> None:
    write(empty_project, "001-a.md", head(number="5") + INTRO + "A.\n")
    write(empty_project, "002-b.md", head(number="5") + INTRO + "B.\n")
    result = krasse(empty_project, "build", str(empty_project / "issues/001-a.md"))
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-a.md", 2, "dup-number", "002-b.md")


@pytest.mark.parametrize("command", ["build", "check"])
def test_huge_integer_is_a_finding_with_the_line(empty_project: Path, command: str) -> None:
    write(empty_project, "001-gross.md", head(number="9" * 5000) + INTRO + "Text.\n")
    result = krasse(empty_project, command)
    assert result.exit_code == 1
    message = assert_finding(result.output, "issues/001-gross.md", 2, "fm-type", "number")
    assert len(message) < 300


def test_huge_integer_in_another_file_does_not_break_a_build(empty_project: Path) -> None:
    write(empty_project, "001-gross.md", head(number="9" * 5000) + INTRO + "Text.\n")
    write(empty_project, "002-gut.md", head(number="2") + INTRO + "Alles gut.\n")
    result = krasse(empty_project, "build", str(empty_project / "issues/002-gut.md"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", '"Hallo\\r\\nBcc: victim@evil.example"'),
        ("subject", '"Hallo\\nWelt"'),
        ("title", '"Zeile\\rzwei"'),
        ("subject", '"Null\\0Byte"'),
    ],
)
def test_line_breaks_in_header_fields_are_a_check_error(empty_project: Path, field: str, value: str) -> None:
    write(empty_project, "001-kopf.md", head(**{field: value}) + INTRO + "Text.\n")
    result = krasse(empty_project, "check")
    assert result.exit_code == 1
    line = 2 + list(head(**{field: value}).split("\n")).index(f"{field}: {value}") - 1
    assert_finding(result.output, "issues/001-kopf.md", line, "fm-header", field)


def test_crlf_subject_never_reaches_export(empty_project: Path) -> None:
    write(empty_project, "001-kopf.md", head(subject='"Hallo\\r\\nBcc: victim@evil.example"') + INTRO + "Text.\n")
    result = krasse(empty_project, "export", "1")
    assert result.exit_code == 1
    assert "fm-header" in result.output


def test_read_issue_names_the_file_for_any_value_problem(tmp_path: Path) -> None:
    path = tmp_path / "001-x.md"
    path.write_text(head(date="2026-01-05T99:99:99") + "Text.\n", encoding="utf-8")
    issue, found = read_issue(path)
    assert issue is None and found and all(f.file.endswith("001-x.md") for f in found)


def test_peek_number_reads_only_a_plain_number_line(tmp_path: Path) -> None:
    from pipeline.load import peek_number

    path = tmp_path / "001-x.md"
    path.write_text(head(number="42") + "Text.\n", encoding="utf-8")
    assert peek_number(path) == 42
    path.write_bytes(head(number="42").replace("\n", "\r\n").encode())
    assert peek_number(path) == 42
    path.write_text(head(number="9" * 5000) + "Text.\n", encoding="utf-8")
    assert peek_number(path) is None
    path.write_text("Text ohne Kopf\nnumber: 3\n", encoding="utf-8")
    assert peek_number(path) is None


# --- Raw HTML nested so deep that MJML's parser overflows its stack -------------------------------


def run_cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    """In a child process: on main this input killed the process with signal 11."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "-C", str(project), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project,
    )


DEEP = "<div>" * 12000 + "x" + "</div>" * 12000


@pytest.mark.parametrize("command", [["build"], ["check"], ["export", "1"]], ids=["build", "check", "export"])
def test_deep_raw_html_is_a_nesting_error_not_a_segfault(empty_project: Path, command: list[str]) -> None:
    write(empty_project, "001-tief.md", head(subject='"Betreff"')[:-1] + INTRO + "Davor.\n\n" + DEEP + "\n")
    result = run_cli(empty_project, *command)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert_finding(result.stdout + result.stderr, "issues/001-tief.md", 13, "nesting-depth", "HTML")


def test_raw_html_nesting_is_counted_across_blocks_and_reports_its_line(empty_project: Path) -> None:
    from pipeline.build import prepare
    from pipeline.config import load_config
    from pipeline.load import read_issue

    body = INTRO + "<div>\n\n" * 60 + "Mitte\n\n" + "<span>" * 60 + "tief" + "</span>" * 60 + "\n\n" + "</div>\n\n" * 60
    path = write(empty_project, "001-tief.md", head() + body)
    issue, found = read_issue(path)
    assert issue is not None, found
    built = prepare(issue, load_config(empty_project))
    assert built.email is None
    deep = [f for f in built.findings if f.rule == "nesting-depth"]
    assert len(deep) == 1 and deep[0].line == 6 + 4 + 120 + 2 + 1, deep


def test_shallow_raw_html_still_builds(empty_project: Path) -> None:
    write(empty_project, "001-flach.md", head() + INTRO + "<div>" * 40 + "flach" + "</div>" * 40 + "\n")
    result = krasse(empty_project, "build")
    assert result.exit_code == 0, result.output


# --- Images: only real raster images from inside the project are published -------------------------

SECRET = "streng-geheimes-passwort-4711"


def image_issue(project: Path, src: str) -> Path:
    return write(project, "001-bild.md", head() + INTRO + f"Vorher.\n\n![Ein Bild]({src})\n")


def outputs_contain(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and needle in p.read_bytes()]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    outside = tmp_path / "draussen"
    outside.mkdir()
    (outside / "leak.png").write_text(SECRET)
    (outside / "echt.png").write_bytes((Path(__file__).parent.parent / "issues/images/kurve.png").read_bytes())
    return outside


@pytest.mark.parametrize("how", ["file", "folder", "real-image"])
def test_symlinked_image_outside_the_project_is_refused(empty_project: Path, secret: Path, how: str) -> None:
    if how == "file":
        (empty_project / "issues/images/leak.png").symlink_to(secret / "leak.png")
        src = "images/leak.png"
    elif how == "folder":
        (empty_project / "issues/etclink").symlink_to(secret)
        src = "etclink/leak.png"
    else:  # even a real image: nothing outside the project is published
        (empty_project / "issues/images/echt.png").symlink_to(secret / "echt.png")
        src = "images/echt.png"
    image_issue(empty_project, src)
    check = krasse(empty_project, "check")
    assert check.exit_code == 1
    assert_finding(check.output, "issues/001-bild.md", 13, "img-path", "outside the project")
    krasse(empty_project, "build")
    krasse(empty_project, "archive")
    assert not outputs_contain(empty_project / "outbox", SECRET.encode())
    assert not list((empty_project / "outbox").rglob(Path(src).name))


def test_symlink_to_an_image_inside_the_project_is_fine(empty_project: Path) -> None:
    (empty_project / "issues/images/link.png").symlink_to(empty_project / "issues/images/kurve.png")
    image_issue(empty_project, "images/link.png")
    result = krasse(empty_project, "build")
    assert result.exit_code == 0, result.output
    assert (empty_project / "outbox/001-bild/images/link.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("060-other.md", b"---\nnumber: 60\ntitle: Geheimer Entwurf\n---\n\nstreng-geheimes-passwort-4711\n"),
        ("images/fake.png", b"streng-geheimes-passwort-4711 is not a PNG"),
        (
            "images/bild.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/")</script>'
            b"<text>streng-geheimes-passwort-4711</text></svg>",
        ),
    ],
)
def test_only_raster_images_are_published(empty_project: Path, name: str, content: bytes) -> None:
    (empty_project / "issues" / name).write_bytes(content)
    image_issue(empty_project, name)
    check = krasse(empty_project, "check")
    assert check.exit_code == 1
    assert_finding(check.output, "issues/001-bild.md", 13, "img-type", "PNG")
    krasse(empty_project, "build")
    archive = krasse(empty_project, "archive")
    assert archive.exit_code == 1
    assert not outputs_contain(empty_project / "outbox", SECRET.encode())


def test_huge_image_is_refused_without_reading_it(empty_project: Path) -> None:
    big = empty_project / "issues/images/riesig.png"
    with big.open("wb") as handle:
        handle.write((empty_project / "issues/images/kurve.png").read_bytes())
        handle.truncate(1 << 30)  # sparse: 1 GiB on paper, nothing on disk
    image_issue(empty_project, "images/riesig.png")
    start = time.perf_counter()
    check = krasse(empty_project, "check")
    assert time.perf_counter() - start < 10
    assert_finding(check.output, "issues/001-bild.md", 13, "img-size", "MiB")
    krasse(empty_project, "build")
    assert not (empty_project / "outbox/001-bild/images/riesig.png").exists()


def test_export_zip_never_holds_a_refused_image(empty_project: Path, secret: Path) -> None:
    (empty_project / "issues/images/leak.png").symlink_to(secret / "leak.png")
    path = image_issue(empty_project, "images/leak.png")
    path.write_text(path.read_text().replace('title: "Test"', 'title: "Test"\nsubject: "Betreff"'))
    result = krasse(empty_project, "export", "1")
    assert result.exit_code == 1
    assert not outputs_contain(empty_project / "outbox", SECRET.encode())


# --- Nothing is written or deleted outside outbox/ (or the archive folder), whatever links say ------


def image_count(folder: Path) -> int:
    return len([p for p in folder.iterdir() if p.is_file()])


@pytest.mark.parametrize("target", ["sources", "elsewhere"])
def test_build_never_deletes_through_a_linked_output_folder(project: Path, tmp_path: Path, target: str) -> None:
    if target == "sources":
        pointed = project / "issues/images"
    else:
        pointed = tmp_path / "fremd"
        pointed.mkdir()
        (pointed / "wichtig.txt").write_text("bleibt")
    before = sorted(p.name for p in pointed.iterdir())
    out = project / "outbox/043-kurz-und-buendig"
    out.mkdir(parents=True)
    (out / "images").symlink_to(pointed)
    result = krasse(project, "build")
    assert sorted(p.name for p in pointed.iterdir()) == before
    assert result.exit_code == 1
    assert "output-path" in result.output and "symbolic link" in result.output


def test_build_writes_no_file_through_a_linked_subfolder(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "fremd"
    elsewhere.mkdir()
    out = project / "outbox/043-kurz-und-buendig"
    out.mkdir(parents=True)
    (out / "images").symlink_to(elsewhere)
    krasse(project, "build")
    assert list(elsewhere.iterdir()) == []


def test_archive_never_writes_or_deletes_through_a_linked_folder(project: Path, tmp_path: Path) -> None:
    site = project / "outbox/archive"
    assert krasse(project, "archive").exit_code == 0
    elsewhere = tmp_path / "fremd"
    elsewhere.mkdir()
    (elsewhere / "wichtig.txt").write_text("bleibt")
    import shutil

    shutil.rmtree(site / "images")
    (site / "images").symlink_to(elsewhere)
    (project / "issues/images/kurve.png").touch()  # the image must be copied again
    result = krasse(project, "archive")
    assert result.exit_code == 1 and "symbolic link" in result.output
    assert [p.name for p in elsewhere.iterdir()] == ["wichtig.txt"]


def test_stale_temp_files_are_removed_on_the_next_run(project: Path) -> None:
    import os

    assert krasse(project, "archive").exit_code == 0
    site = project / "outbox/archive"
    stale = site / ".index.html.k3j4h5g6.tmp"
    stale.write_text("halb")
    fresh = site / ".feed.xml.a1b2c3d4.tmp"  # someone else's write in progress: keep
    fresh.write_text("gerade")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    (site / ".krasse-archive.json").unlink()  # a killed run removed it first, as every writing run does
    assert krasse(project, "archive").exit_code == 0
    assert not stale.exists() and fresh.exists()
    out = project / "outbox/043-kurz-und-buendig"
    krasse(project, "build")
    old = out / ".email.html.x9y8z7w6.tmp"
    old.write_text("halb")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    (project / "issues/043-kurz-und-buendig.md").write_text(
        (project / "issues/043-kurz-und-buendig.md").read_text() + "\nNoch ein Satz.\n"
    )
    krasse(project, "build")
    assert not old.exists()


# --- The preview server: raw files cannot run, idle and surplus connections are bounded ------------


@pytest.fixture
def running(project: Path):
    from pipeline.preview import Preview

    with Preview(project, port=0) as preview:
        yield preview


def test_preview_raw_files_cannot_run_anything(running) -> None:
    from test_preview_server import _get

    status, headers, body = _get(running, "/issue/041-plattform-daemmerung/files/images/kurve.png")
    assert status == 200 and body[:4] == b"\x89PNG" and headers["Content-Type"] == "image/png"
    policy = headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "kurve.png" in headers["Content-Disposition"]


def test_preview_never_serves_svg(project: Path) -> None:
    from test_preview_server import _get

    from pipeline.preview import Preview

    (project / "issues/images/bild.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/")</script></svg>'
    )
    image_issue(project, "images/bild.svg")
    with Preview(project, port=0) as preview:
        status, _, body = _get(preview, "/issue/001-bild/files/images/bild.svg")
    assert status == 404 and b"<script>" not in body


def test_preview_drops_a_silent_connection(running) -> None:
    import socket

    running.server.idle_timeout = 0.5
    with socket.create_connection(running.server.server_address[:2], timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")  # and then nothing more
        start = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server
        assert time.monotonic() - start < 4


def test_preview_caps_open_connections_and_keeps_answering(running) -> None:
    import socket
    import threading

    from test_preview_server import _get

    running.server.max_connections = 8
    before = threading.active_count()
    socks = [socket.create_connection(running.server.server_address[:2], timeout=5) for _ in range(40)]
    try:
        time.sleep(0.5)
        assert threading.active_count() - before <= 8
    finally:
        for sock in socks:
            sock.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if _get(running, "/")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        pytest.fail("the preview stopped answering")
    assert running.server.request_queue_size >= 128


# --- Budgets: far too much work is refused at once, with the line where it starts -----------------


def footnotes(count: int) -> str:
    refs = "".join(f"Satz {i}[^{i}].\n" for i in range(count))
    return refs + "\n" + "".join(f"[^{i}]: Anmerkung {i}.\n" for i in range(count))


def test_too_many_footnotes_are_refused_quickly(empty_project: Path) -> None:
    from pipeline.budgets import MAX_FOOTNOTES

    write(empty_project, "001-noten.md", head() + INTRO + footnotes(MAX_FOOTNOTES + 1))
    start = time.perf_counter()
    result = krasse(empty_project, "check")
    assert time.perf_counter() - start < 5
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-noten.md", 11 + MAX_FOOTNOTES, "footnote-budget", "1,000")


def test_footnotes_within_the_budget_build(empty_project: Path) -> None:
    write(empty_project, "001-noten.md", head() + INTRO + footnotes(60))
    result = krasse(empty_project, "check")
    assert "footnote-budget" not in result.output


def test_huge_table_is_refused_quickly(empty_project: Path) -> None:
    row = "|" + "x|" * 40 + "\n"
    table = "|" + "a|" * 40 + "\n|" + "-|" * 40 + "\n" + row * 60
    write(empty_project, "001-tabelle.md", head() + INTRO + table)
    start = time.perf_counter()
    result = krasse(empty_project, "build")
    assert time.perf_counter() - start < 5
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-tabelle.md", 11 + 2000 // 41, "table-budget", "2,000")
    assert not (empty_project / "outbox/001-tabelle/email.html").exists()


def test_output_size_budget(empty_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.budgets

    monkeypatch.setattr(pipeline.budgets, "MAX_EMAIL_BYTES", 20_000)
    write(empty_project, "001-lang.md", head() + INTRO + "Ein Satz mit Inhalt, der sich wiederholt. " * 600 + "\n")
    result = krasse(empty_project, "build")
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-lang.md", 6, "output-size", "20,000")
    assert not (empty_project / "outbox/001-lang/email.html").exists()


def test_oversized_file_is_refused_before_parsing(empty_project: Path) -> None:
    from pipeline.load import MAX_BYTES

    write(empty_project, "001-riesig.md", head() + INTRO + ("Absatz mit Text. " * 20 + "\n\n") * (MAX_BYTES // 300))
    assert (empty_project / "issues/001-riesig.md").stat().st_size > MAX_BYTES
    assert MAX_BYTES <= 1024 * 1024  # about 3 s of building on a quiet machine; more is no email
    start = time.perf_counter()
    result = krasse(empty_project, "build")
    assert time.perf_counter() - start < 5
    assert "file-size" in result.output


# --- watch: the saved issue first, and no file starves the others ----------------------------------


def test_watch_shows_the_saved_issue_before_rebuilding_the_rest(project: Path) -> None:
    from pipeline.preview.builder import Builder
    from pipeline.preview.state import PreviewState
    from pipeline.preview.watcher import Batch

    state = PreviewState()
    builder = Builder(project.resolve(), state)
    builder.run(Batch(everything=True))
    published: list[list[str]] = []
    original = state.publish

    def spy(views, *args, **kwargs):
        published.append([v.stem for v in views])
        return original(views, *args, **kwargs)

    state.publish = spy  # type: ignore[method-assign]
    saved = project.resolve() / "issues/042-der-moment.md"
    saved.write_text(saved.read_text(encoding="utf-8") + "\nNeu dazu.\n", encoding="utf-8")
    builder.run(Batch(frozenset({saved}), everything=True))  # e.g. a layout and an issue saved together
    assert published[0] == ["042-der-moment"]
    assert sorted(s for group in published for s in group) == sorted(p.stem for p in (project / "issues").glob("*.md"))


def test_watch_is_not_starved_by_a_huge_file(project: Path) -> None:
    from pipeline.load import MAX_BYTES
    from pipeline.preview.builder import Builder
    from pipeline.preview.state import PreviewState
    from pipeline.preview.watcher import Batch

    huge = "Absatz mit etwas Text darin. " * 30 + "\n\n"
    write(project, "050-riesig.md", head(number="50") + INTRO + huge * (2 * 2**20 // len(huge)))  # 2 MiB
    assert MAX_BYTES < 2 * 2**20
    state = PreviewState()
    start = time.perf_counter()
    outcomes = Builder(project.resolve(), state).run(Batch(everything=True))
    assert time.perf_counter() - start < 15  # main: about a minute for this 2 MiB file alone
    big = next(o for o in outcomes if o.stem == "050-riesig")
    assert big.errors and big.errors[0].rule == "file-size"
    assert state.get("043-kurz-und-buendig").html is not None


def test_symlinked_issue_is_listed_under_its_own_name(project: Path, tmp_path: Path) -> None:
    from pipeline.preview.builder import Builder
    from pipeline.preview.state import PreviewState
    from pipeline.preview.watcher import Batch

    source = tmp_path / "entwurf-woanders.md"
    source.write_text(head(number="77") + INTRO + "Verlinkt.\n", encoding="utf-8")
    (project / "issues/077-verlinkt.md").symlink_to(source)
    state = PreviewState()
    Builder(project.resolve(), state).run(Batch(everything=True))
    assert state.get("077-verlinkt") is not None and state.get("entwurf-woanders") is None
    assert krasse(project, "build").exit_code == 0
    assert (project / "outbox/077-verlinkt/email.html").exists()


# --- archive workers end with the parent ------------------------------------------------------------


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find the workers")
def test_archive_workers_die_with_a_killed_parent(empty_project: Path) -> None:
    import os
    import signal

    from generate import write_corpus

    from pipeline.archive.sources import PARALLEL_MIN

    write_corpus(empty_project / "issues", PARALLEL_MIN * 4, target_bytes=12_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "-C", str(empty_project), "archive", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not workers and proc.poll() is None and time.monotonic() < deadline:
            workers = children(proc.pid)
            time.sleep(0.01)
        if not workers:
            pytest.skip("the archive finished before its worker pool could be seen (one core?)")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while workers and time.monotonic() < deadline:
            workers = {pid for pid in workers if Path(f"/proc/{pid}").exists() and _alive(pid)}
            time.sleep(0.05)
        assert not workers, f"workers still running: {workers}"
    finally:
        for pid in workers:  # only the ones this test started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# --- consistency: deleted while building, odd names ------------------------------------------------


def test_file_deleted_while_building_gets_no_output(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.build
    from pipeline.config import load_config
    from pipeline.load import read_issue

    path = project / "issues/043-kurz-und-buendig.md"
    issue, _ = read_issue(path)
    real_prepare = pipeline.build.prepare

    def prepare_then_delete(*args, **kwargs):
        built = real_prepare(*args, **kwargs)
        path.unlink()  # the author deletes the file while it renders
        return built

    monkeypatch.setattr(pipeline.build, "prepare", prepare_then_delete)
    built = pipeline.build.build_one(issue, load_config(project))
    assert not (project / "outbox/043-kurz-und-buendig").exists()
    assert any(f.rule == "file-read" and "deleted" in f.message for f in built.findings)


def test_backslash_in_a_file_name_is_listed_and_served(project: Path) -> None:
    from test_preview_server import _get

    from pipeline.preview import Preview

    write(project, "050-a\\b.md", head(number="50") + INTRO + "Schräg.\n")
    with Preview(project, port=0) as preview:
        status, _, body = _get(preview, "/")
        assert status == 200 and "/issue/050-a%5Cb/" in body.decode()
        status, _, body = _get(preview, "/issue/050-a%5Cb/")
        assert status == 200 and "<title>" in body.decode() and "Test" in body.decode()
        status, _, body = _get(preview, "/issue/050-a%5Cb/email.html")
        assert status == 200 and "Schräg" in body.decode()
        assert _get(preview, "/issue/050-a%5Cb/files/..%5C..%5Cnewsletter.toml")[0] == 404


@pytest.mark.parametrize("key", ["sender.name", "newsletter.name"])
def test_line_breaks_in_header_settings_are_refused(project: Path, key: str) -> None:
    config = project / "newsletter.toml"
    text = config.read_text(encoding="utf-8")
    section, name = key.split(".")
    lines = text.splitlines()
    start = lines.index(f"[{section}]")
    index = next(i for i in range(start, len(lines)) if lines[i].startswith(f"{name} ="))
    lines[index] = f'{name} = "Redaktion\\r\\nBcc: victim@evil.example"'
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = krasse(project, "check")
    assert result.exit_code == 1
    assert_finding(result.output, "newsletter.toml", index + 1, "config-value", "header")


def test_deeply_quoted_text_still_wraps(empty_project: Path) -> None:
    """Found by the fuzz test: 36 nested quotes left textwrap a width of 0 (ValueError on main)."""
    write(empty_project, "001-zitate.md", head() + INTRO + "> " * 36 + "ganz tief zitiert\n")
    result = krasse(empty_project, "build")
    assert result.exit_code == 0, result.output
    assert "ganz tief zitiert" in (empty_project / "outbox/001-zitate/email.txt").read_text(encoding="utf-8")


def test_a_huge_link_makes_a_short_message(empty_project: Path) -> None:
    write(empty_project, "001-link.md", head() + INTRO + "[](https://example.org/" + "x" * 100_000 + ")\n")
    result = krasse(empty_project, "check")
    message = assert_finding(result.output, "issues/001-link.md", 11, "link-text-empty")
    assert len(message) <= 500


def test_huge_file_is_never_read_whole(empty_project: Path) -> None:
    import tracemalloc

    from pipeline.load import MAX_BYTES

    path = write(empty_project, "001-riesig.md", head())
    with path.open("r+b") as handle:
        handle.truncate(8 * MAX_BYTES)  # sparse: nothing on disk
    tracemalloc.start()
    try:
        issue, found = read_issue(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert issue is None and found[0].rule == "file-size" and f"{8 * MAX_BYTES:,}" in found[0].message
    assert peak < 2 * MAX_BYTES
    result = krasse(empty_project, "archive")
    assert result.exit_code == 1 and "file-size" in result.output


def test_preview_names_the_file_with_a_huge_integer(project: Path) -> None:
    from pipeline.preview.builder import Builder
    from pipeline.preview.state import PreviewState
    from pipeline.preview.watcher import Batch

    write(project, "050-gross.md", head(number="9" * 5000) + INTRO + "Text.\n")
    state = PreviewState()
    outcomes = Builder(project.resolve(), state).run(Batch(everything=True))
    assert state.errors == ()  # no project-wide "preview-internal" failure
    big = next(o for o in outcomes if o.stem == "050-gross")
    assert big.errors[0].rule == "fm-type" and big.errors[0].file.endswith("issues/050-gross.md")
    assert state.get("043-kurz-und-buendig").html is not None


def test_budgets_hold_when_the_front_matter_is_broken_too(empty_project: Path) -> None:
    """`check` still reads the body of a file whose front matter fails: the budgets apply there too."""
    write(empty_project, "001-kaputt.md", "---\nnumber: 1\ntitle: Teil 2: Kaputt\n---\n\n" + DEEP + "\n")
    result = krasse(empty_project, "check")
    assert result.exit_code == 1
    assert "fm-yaml" in result.output and "nesting-depth" in result.output


def test_archive_checks_an_image_again_once_it_changed(empty_project: Path, secret: Path) -> None:
    image = empty_project / "issues/images/bild.png"
    image.write_bytes((empty_project / "issues/images/kurve.png").read_bytes())
    image_issue(empty_project, "images/bild.png")
    assert krasse(empty_project, "archive").exit_code == 0
    assert krasse(empty_project, "archive").exit_code == 0  # unchanged: not sniffed again, still fine
    image.write_text(SECRET)
    result = krasse(empty_project, "archive")
    assert result.exit_code == 1 and "img-type" in result.output
    image.unlink()
    image.symlink_to(secret / "echt.png")
    result = krasse(empty_project, "archive")
    assert result.exit_code == 1 and "img-path" in result.output
    assert not outputs_contain(empty_project / "outbox", SECRET.encode())
