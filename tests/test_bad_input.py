"""Bad input through the real CLI: a clear finding with file and line, or safe output; never a traceback.

`krasse()` runs with catch_exceptions=False, so any exception fails the test by itself.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from conftest import ROOT, krasse

from pipeline.load import MAX_BYTES

GOOD_HEAD = (
    '---\nnumber: 1\ntitle: "Test"\ndate: 2026-01-05\n'
    'preheader: "Ein Vorschautext, lang genug für jedes Postfach."\n---\n\n'
)
INTRO = "Willkommen bei der Prüfung.\n\n---\n\n"


def build(project: Path, name: str, content: str | bytes, *args: str):
    path = project / "issues" / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = krasse(project, "build", *args)
    assert "Traceback" not in result.output
    return result


def assert_finding(output: str, name: str, line: int, rule: str, *words: str) -> str:
    m = re.search(rf"{re.escape(name)}:{line}: (error|warning) \[{re.escape(rule)}\] (.*)", output)
    assert m, output
    for word in words:
        assert word in m.group(2), m.group(0)
    return m.group(2)


@pytest.mark.parametrize(
    ("content", "line", "rule", "words"),
    [
        ('---\nnumber: 1\ntitle: "offen\ndate: 2026-01-05\n---\n\nText\n', 3, "fm-yaml", ["not valid YAML"]),
        ("---\nnumber: 1\n\ttitle: T\n---\n\nText\n", 3, "fm-yaml", ["not valid YAML"]),
        ("---\nnumber: erste\ntitle: T\ndate: 2026-01-05\n---\n\nText\n", 2, "fm-type", ["number", "'erste'"]),
        ("---\nnumber: 1\ntitle: T\ndate: 2026-13-40\n---\n\nText\n", 4, "fm-type", ["date"]),
        ("---\nnumber: 1\ntitel: T\ndate: 2026-01-05\n---\n\nText\n", 3, "fm-unknown", ["did you mean 'title'"]),
        ("---\nnumber: 1\ndate: 2026-01-05\n---\n\nText\n", 1, "fm-missing", ["title"]),
        ("", 1, "file-empty", ["empty"]),
        ("\n\n   \n", 1, "file-empty", ["empty"]),
        ("Nur Text ohne Kopf.\n", 1, "fm-missing", ["front matter"]),
    ],
)
def test_front_matter_problems(empty_project: Path, content: str, line: int, rule: str, words: list[str]) -> None:
    result = build(empty_project, "001-test.md", content)
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", line, rule, *words)
    assert not (empty_project / "outbox/001-test").exists()


def test_bom_and_crlf_build_fine(empty_project: Path) -> None:
    source = (ROOT / "issues/043-kurz-und-buendig.md").read_text(encoding="utf-8")
    content = "\ufeff" + source.replace("\n", "\r\n")
    result = build(empty_project, "043-kurz-und-buendig.md", content.encode("utf-8"))
    assert result.exit_code == 0, result.output
    text = (empty_project / "outbox/043-kurz-und-buendig/email.txt").read_text(encoding="utf-8")
    html = (empty_project / "outbox/043-kurz-und-buendig/email.html").read_text(encoding="utf-8")
    assert "\r" not in text and "\ufeff" not in text + html
    assert "Kurz und bündig" in html and "Schonkost-Ausgabe" in text


def test_old_mac_line_endings(empty_project: Path) -> None:
    result = build(empty_project, "001-test.md", (GOOD_HEAD + INTRO + "Zeile eins\nZeile zwei\n").replace("\n", "\r"))
    assert result.exit_code == 0, result.output
    assert "Zeile eins Zeile zwei" in (empty_project / "outbox/001-test/email.txt").read_text()


def test_non_utf8_names_the_line(empty_project: Path) -> None:
    content = (GOOD_HEAD + INTRO).encode() + "Grüße aus Latin-1\n".encode("latin-1")
    result = build(empty_project, "001-test.md", content)
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", 12, "file-encoding", "UTF-8", "0xfc")


def test_largest_allowed_file_builds_in_reasonable_time(empty_project: Path) -> None:
    source = (ROOT / "issues/041-plattform-daemmerung.md").read_text(encoding="utf-8")
    body = re.sub(r"\[\^\d+\]", "", source.split("\n---\n", 2)[2].split("\n[^1]:")[0])
    copies = (MAX_BYTES - 1000) // (len(body.encode()) + 7)  # just under the file-size limit
    content = GOOD_HEAD + INTRO + "\n\n---\n\n".join([body] * copies)
    assert MAX_BYTES - 30_000 < len(content.encode()) <= MAX_BYTES
    start = time.perf_counter()
    result = build(empty_project, "001-riesig.md", content)
    seconds = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    assert seconds < 60, f"{len(content) / 2**20:.1f} MB took {seconds:.0f} s"
    assert_finding(result.output, "issues/001-riesig.md", 2, "clip-budget", "over the budget")
    text = (empty_project / "outbox/001-riesig/email.txt").read_text(encoding="utf-8")
    assert text.count("Gebt ihnen mehr Geld.") == copies  # every copy, every word


def test_largest_allowed_file_split(empty_project: Path) -> None:
    source = (ROOT / "issues/041-plattform-daemmerung.md").read_text(encoding="utf-8")
    body = re.sub(r"\[\^\d+\]", "", source.split("\n---\n", 2)[2].split("\n[^1]:")[0])
    copies = (MAX_BYTES - 1000) // (len(body.encode()) + 7)
    content = GOOD_HEAD.replace("date:", "clip: split\ndate:") + INTRO + "\n\n---\n\n".join([body] * copies)
    start = time.perf_counter()
    result = build(empty_project, "001-riesig.md", content)
    assert result.exit_code == 0 and time.perf_counter() - start < 60
    assert len((empty_project / "outbox/001-riesig/email.html").read_bytes()) <= 100_000
    assert "Weiterlesen im Web" in (empty_project / "outbox/001-riesig/email.html").read_text()


def test_script_and_javascript_links_are_removed(empty_project: Path) -> None:
    body = (
        'Vorher <script>document.cookie="x"</script> nachher.\n\n'
        "<script>\nfetch('https://evil.example')\n</script>\n\n"
        '[Klick mich](javascript:alert(1)) und <a href="javascript:alert(2)" onclick="x()">roh</a>.\n'
    )
    result = build(empty_project, "001-test.md", GOOD_HEAD + INTRO + body)
    assert result.exit_code == 0, result.output
    html = (empty_project / "outbox/001-test/email.html").read_text(encoding="utf-8")
    text = (empty_project / "outbox/001-test/email.txt").read_text(encoding="utf-8")
    for bad in ("<script", "document.cookie", "evil.example", 'href="javascript', "onclick"):
        assert bad not in html
    assert "[Klick mich](javascript:alert(1))" in text  # not a link: shown as typed, harmless
    for word in ("Vorher", "nachher.", "Klick mich", "roh"):
        assert word in html and word in text


def test_unknown_tags_are_text(empty_project: Path) -> None:
    body = "<Moment> am Zeilenanfang.\n\n## Die <Hardware-Wende>\n\nMitten im <Satz> und <Bärbel>.\n"
    result = build(empty_project, "001-test.md", GOOD_HEAD + INTRO + body)
    assert result.exit_code == 0, result.output
    html = (empty_project / "outbox/001-test/email.html").read_text(encoding="utf-8")
    text = (empty_project / "outbox/001-test/email.txt").read_text(encoding="utf-8")
    for word in ("Moment", "Hardware-Wende", "Satz", "Bärbel"):
        assert f"&lt;{word}&gt;" in html and f"<{word}>" in text


def test_broken_footnote_refs(empty_project: Path) -> None:
    body = "Text[^1] und\nein Verweis[^2] ins Leere.\n\n[^1]: Da.\n"
    result = build(empty_project, "001-test.md", GOOD_HEAD + INTRO + body)
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", 13, "footnote-undefined", "[^2]")


def test_duplicate_numbers(empty_project: Path) -> None:
    (empty_project / "issues/001-a.md").write_text(GOOD_HEAD + INTRO + "A.\n", encoding="utf-8")
    result = build(empty_project, "002-b.md", GOOD_HEAD + INTRO + "B.\n")
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-a.md", 2, "dup-number", "issues/001-a.md, ", "issues/002-b.md")
    assert_finding(result.output, "issues/002-b.md", 2, "dup-number")
    # asking for one file still checks the whole folder
    result = krasse(empty_project, "build", str(empty_project / "issues/002-b.md"))
    assert result.exit_code == 1 and "dup-number" in result.output and "001-a.md:2" not in result.output


def test_missing_image(empty_project: Path) -> None:
    result = build(empty_project, "001-test.md", GOOD_HEAD + INTRO + "Text.\n\n![Ein Bild](images/fehlt.png)\n")
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", 14, "img-missing", "images/fehlt.png")


def test_image_path_leaving_the_folder(empty_project: Path) -> None:
    (empty_project / "geheim.png").write_bytes(b"\x89PNG geheim")
    result = build(empty_project, "001-test.md", GOOD_HEAD + INTRO + "![Geheim](../geheim.png)\n")
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", 12, "img-path", "../geheim.png")
    assert not list((empty_project / "outbox").rglob("geheim.png"))


def test_absolute_and_backslash_image_paths(empty_project: Path) -> None:
    body = "![A](/etc/passwd.png)\n\n![B](images\\..\\..\\x.png)\n"
    result = build(empty_project, "001-test.md", GOOD_HEAD + INTRO + body)
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", 12, "img-path", "/etc/passwd.png")
    assert_finding(result.output, "issues/001-test.md", 14, "img-path", "x.png")


def test_broken_layout_names_the_layout_line(project: Path) -> None:
    layout = project / "layouts/email.mjml.j2"
    lines = layout.read_text(encoding="utf-8").split("\n")
    target = next(i for i, line in enumerate(lines) if "{%- for item in items %}" in line)
    lines[target] = lines[target].replace("{%- for item in items %}", "{%- for item in items %")
    layout.write_text("\n".join(lines), encoding="utf-8")
    result = krasse(project, "build")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    m = re.search(r"layouts/email\.mjml\.j2:(\d+): error \[layout-syntax\]", result.output)
    assert m, result.output
    assert abs(int(m.group(1)) - (target + 1)) <= 1  # Jinja reports the line where it noticed


def test_unknown_layout_variable(project: Path) -> None:
    layout = project / "layouts/email.txt.j2"
    layout.write_text(layout.read_text(encoding="utf-8") + "{{ gibtsnicht }}\n", encoding="utf-8")
    result = krasse(project, "build")
    assert result.exit_code == 1 and "layout-variable" in result.output and "gibtsnicht" in result.output


def test_mjml_that_mrml_rejects(project: Path) -> None:
    layout = project / "layouts/email.mjml.j2"
    layout.write_text(layout.read_text(encoding="utf-8").replace("</mj-body>", ""), encoding="utf-8")
    result = krasse(project, "build")
    assert result.exit_code == 1 and "[mjml]" in result.output


@pytest.mark.parametrize(
    ("old", "new", "rule", "words"),
    [
        ('name = "Krasse Links"\nlanguage', 'name = "Krasse Links\nlanguage', "config-syntax", []),
        ("clip_budget = 100000", 'clip_budget = "viel"', "config-value", ["email.clip_budget"]),
        ("port = 587", "port = 0", "config-value", ["smtp.port"]),
        ('brand_color = "#c2185b"', 'brand_color = "pink"', "config-value", ["hex colour"]),
    ],
)
def test_bad_newsletter_toml(project: Path, old: str, new: str, rule: str, words: list[str]) -> None:
    config = project / "newsletter.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1  # the line we broke
    result = krasse(project, "build")
    assert result.exit_code == 1
    assert_finding(result.output, "newsletter.toml", line, rule, *words)
    assert not list((project / "outbox").iterdir())


def test_unknown_newsletter_key_is_a_warning(project: Path) -> None:
    config = project / "newsletter.toml"
    text = config.read_text(encoding="utf-8").replace("clip_budget =", "clip_buget = 5\nclip_budget =")
    config.write_text(text, encoding="utf-8")
    line = text[: text.index("clip_buget")].count("\n") + 1
    result = krasse(project, "build")
    assert result.exit_code == 0
    assert_finding(result.output, "newsletter.toml", line, "config-unknown", "did you mean 'email.clip_budget'")


def test_dangling_link_is_named_not_skipped(empty_project: Path) -> None:
    (empty_project / "issues/048-verlinkt.md").symlink_to(empty_project / "gibt-es-nicht.md")
    result = krasse(empty_project, "check")
    assert result.exit_code == 1
    assert "issues/048-verlinkt.md: error [file-read] cannot read" in result.output
    assert "gibt-es-nicht" not in result.output  # named as the author named it


@pytest.mark.parametrize(("char", "hint"), [("\x0b", "line break"), ("\x1f", "delete"), ("\uffff", "delete")])
def test_control_character_names_the_file_line_and_column(empty_project: Path, char: str, hint: str) -> None:
    """Word pastes U+000B for a line break inside a paragraph; MJML cannot parse it (nor other C0
    controls or U+FFFE/U+FFFF), and the build failed naming the layout. Loading names the place."""
    content = GOOD_HEAD + INTRO + f"Ein Satz mit{char}weichem Umbruch.\n"
    result = build(empty_project, "001-test.md", content)
    assert result.exit_code == 1
    assert "mjml" not in result.output
    line = (GOOD_HEAD + INTRO).count("\n") + 1
    assert_finding(
        result.output, "issues/001-test.md", line, "file-control-char", f"U+{ord(char):04X}", "column 13", hint
    )


def test_numbers_in_front_matter_read_as_typed(empty_project: Path) -> None:
    """YAML 1.1 reads `050` as octal 40 and `12:30` as 750: the issue went out as No. 40 at /40/,
    titled "457", with exit 0. Digits with leading zeros are decimal; text keeps what was typed."""
    head = "---\nnumber: 050\ntitle: 0711\nsubject: 12:30\npreheader: 3.10\ndate: 2026-01-05\ntags: [0711, 1_000]\n"
    content = head + "---\n\n" + INTRO + "Text.\n"
    result = build(empty_project, "050-zahlen.md", content)
    assert result.exit_code == 0, result.output
    meta = json.loads((empty_project / "outbox/050-zahlen/meta.json").read_text(encoding="utf-8"))
    assert (meta["number"], meta["title"], meta["subject"], meta["preheader"]) == (50, "0711", "12:30", "3.10")
    assert meta["tags"] == ["0711", "1_000"] and meta["web_url"].endswith("/50/")
    html = (empty_project / "outbox/050-zahlen/email.html").read_text(encoding="utf-8")
    assert "No. 50" in html and ">0711<" in html
    assert krasse(empty_project, "archive").exit_code == 0
    assert (empty_project / "outbox/archive/50/index.html").is_file()


@pytest.mark.parametrize("number", ["0x32", "1_0", "1:20", "+5", "0b11"])
def test_number_in_another_notation_is_refused(empty_project: Path, number: str) -> None:
    """YAML 1.1 reads these as 50, 10, 80, 5, 3: an issue number is written in plain digits."""
    result = build(empty_project, "001-test.md", GOOD_HEAD.replace("number: 1", f"number: {number}") + "Text.\n")
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", 2, "fm-type", "number", repr(number))


def test_leading_zero_number_counts_for_duplicates_of_one_file(empty_project: Path) -> None:
    """Building one file looks at the others' `number:` lines only: `050` must read as 50 there too."""
    (empty_project / "issues/050-a.md").write_text(
        GOOD_HEAD.replace("number: 1", "number: 050") + INTRO + "A.\n", encoding="utf-8"
    )
    (empty_project / "issues/051-b.md").write_text(
        GOOD_HEAD.replace("number: 1", "number: 50") + INTRO + "B.\n", encoding="utf-8"
    )
    result = krasse(empty_project, "build", str(empty_project / "issues/051-b.md"))
    assert result.exit_code == 1 and "dup-number" in result.output and "050-a.md" in result.output


@pytest.mark.parametrize(
    ("line", "key"),
    [('preheader: "Ein Vorschautext,\\vder lang genug ist."', "preheader"), ('tags: ["a\\x01b"]', "tags")],
)
def test_control_character_from_a_yaml_escape_is_a_finding(empty_project: Path, line: str, key: str) -> None:
    """A YAML escape (`\\v`, `\\x01`) writes the control character the file check never sees: MJML failed
    naming the layout, and `krasse archive` crashed in lxml writing feed.xml."""
    content = f"---\nnumber: 1\ntitle: Test\ndate: 2026-01-05\n{line}\n---\n\n" + INTRO + "Text.\n"
    result = build(empty_project, "001-test.md", content)
    assert result.exit_code == 1
    assert_finding(result.output, "issues/001-test.md", 5, "fm-type", key, "control character")
    archive = krasse(empty_project, "archive")
    assert archive.exit_code == 1 and "[fm-type]" in archive.output
