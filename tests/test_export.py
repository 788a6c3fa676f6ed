"""`krasse export` end to end: the gate, the bundle per service, the zip, and idempotent writes."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import io
import json
import re
import shutil
import zipfile
from email.policy import default
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import krasse

STEM = "041-plattform-daemmerung"
ARCHIVE = "https://krasse-links.example/archiv/41/"
NEUTRAL = re.compile(r"\{\{(unsubscribe_url|web_url|first_name)\}\}")
UNSUBSCRIBE = {
    "generic": "{{unsubscribe_url}}",
    "mailchimp": "*|UNSUB|*",
    "brevo": "{{ unsubscribe }}",
    "mailerlite": "{$unsubscribe}",
    "kit": "{{ unsubscribe_url }}",
    "buttondown": "{{ unsubscribe_url }}",
    "listmonk": "{{ UnsubscribeURL }}",
    "sendy": "[unsubscribe]",
    "mailjet": "[[UNSUB_LINK_DE]]",
    "postmark": "{{{ pm:unsubscribe }}}",
    "keila": "{{ unsubscribe_link }}",
}


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}  # link text → href
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            self.links[data.strip()] = self._href

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def links(html: str) -> dict[str, str]:
    parser = Anchors()
    parser.feed(html)
    return parser.links


def folder(project: Path, esp: str = "generic") -> Path:
    return project / "outbox" / STEM / "export" / esp


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize("esp", sorted(UNSUBSCRIBE))
def test_every_profile_gives_a_complete_bundle(project, esp):
    result = krasse(project, "export", "41", "--esp", esp)
    assert result.exit_code == 0, result.output
    out = folder(project, esp)
    html = (out / "email.html").read_text("utf-8")
    text = (out / "email.txt").read_text("utf-8")
    assert links(html)["Abmelden"] == UNSUBSCRIBE[esp]
    assert links(html)["Im Browser lesen"] == ARCHIVE
    assert f"Abmelden: {UNSUBSCRIBE[esp]}" in text
    if esp != "generic":
        assert not NEUTRAL.search(html) and not NEUTRAL.search(text)

    # The .eml is sent as is: its unsubscribe link is filled from the config, never a service's tag.
    msg = email.message_from_bytes((out / "email.eml").read_bytes(), policy=default)
    mailto = "mailto:post@krasse-links.example?subject=unsubscribe"
    eml_html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert eml_html == html.replace(f'href="{UNSUBSCRIBE[esp]}"', f'href="{mailto}"')
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == text.replace(
        f"Abmelden: {UNSUBSCRIBE[esp]}", f"Abmelden: {mailto}"
    )
    assert msg["To"] == "Leserin <leserin@example.invalid>"
    assert msg["Subject"] == "Krasse Links No. 41: Plattform-Dämmerung"

    source = (project / "issues/images/kurve.png").read_bytes()
    assert (out / "images/kurve.png").read_bytes() == source
    with zipfile.ZipFile(out.parent / f"{STEM}-{esp}.zip") as archive:
        assert archive.namelist() == ["email.html", "images/kurve.png"]
        assert archive.read("email.html") == (out / "email.html").read_bytes()
        assert archive.read("images/kurve.png") == source

    meta = json.loads((out / "meta.json").read_text("utf-8"))
    assert meta["esp"] == esp and meta["subject"] == msg["Subject"]
    assert meta["from"] == "Krasse Links <post@krasse-links.example>"
    assert meta["reply_to"] == "antwort@krasse-links.example"
    assert meta["preheader"].startswith("Wenn die Feeds leiser werden")
    assert meta["bytes"] == len(html.encode("utf-8"))
    assert sorted(meta["files"]) == ["email.eml", "email.html", "email.txt", "images/kurve.png"]
    for name, entry in meta["files"].items():
        assert entry["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()


def test_layout_placeholders_and_hosted_copy(project):
    layout = project / "layouts/email.mjml.j2"
    edit(layout, "<p>{{ imprint }}</p>", '<p><a href="{{ web_url }}">Gehostete Kopie</a></p><p>{{ imprint }}</p>')
    edit(
        layout,
        "{%- for item in items %}\n",
        "<mj-text><p>Hallo {{ first_name }},</p></mj-text>\n{%- for item in items %}\n",
    )

    assert krasse(project, "export", "41", "--esp", "mailchimp").exit_code == 0
    html = (folder(project, "mailchimp") / "email.html").read_text("utf-8")
    assert links(html)["Gehostete Kopie"] == ARCHIVE  # default: the archive page
    assert links(html)["Im Browser lesen"] == ARCHIVE
    assert "Hallo *|FNAME|*," in html

    assert krasse(project, "export", "41", "--esp", "mailchimp", "--hosted-copy").exit_code == 0
    html = (folder(project, "mailchimp") / "email.html").read_text("utf-8")
    assert links(html)["Gehostete Kopie"] == "*|ARCHIVE|*"
    assert links(html)["Im Browser lesen"] == "*|ARCHIVE|*"  # the stock footer link follows it too
    assert json.loads((folder(project, "mailchimp") / "meta.json").read_text())["hosted_copy"] is True

    result = krasse(project, "export", "41", "--esp", "kit", "--hosted-copy")
    assert result.exit_code == 0
    assert "has no hosted-copy tag" in result.output
    html = (folder(project, "kit") / "email.html").read_text("utf-8")
    assert links(html)["Gehostete Kopie"] == ARCHIVE
    warnings = json.loads((folder(project, "kit") / "meta.json").read_text())["warnings"]
    assert any("esp-hosted-copy" in w for w in warnings)


def test_user_profile_from_esp_toml_with_quotes_and_spaces(project):
    (project / "esp.toml").write_text(
        '# the mailing service of our house\n[hauspost]\nname = "Hauspost"\n'
        'unsubscribe = \'{% link "abmelden" %}\'\nfirst_name = "{{ vorname }}"\n',
        "utf-8",
    )
    result = krasse(project, "export", "41", "--esp", "hauspost")
    assert result.exit_code == 0, result.output
    html = (folder(project, "hauspost") / "email.html").read_text("utf-8")
    assert links(html)["Abmelden"] == '{% link "abmelden" %}'
    assert "href='{% link \"abmelden\" %}'" in html
    assert 'Abmelden: {% link "abmelden" %}' in (folder(project, "hauspost") / "email.txt").read_text("utf-8")


def test_broken_esp_toml_names_file_and_line(project):
    (project / "esp.toml").write_text('[hauspost]\nname = "Hauspost"\nunsubscibe = "[x]"\n', "utf-8")
    result = krasse(project, "export", "41", "--esp", "hauspost")
    assert result.exit_code == 1
    assert "esp.toml:3: error [esp-key] hauspost.unsubscibe: unknown key (did you mean 'unsubscribe'?)" in result.output
    assert "esp.toml:1: error [esp-missing]" in result.output
    assert "Traceback" not in result.output
    assert not (project / "outbox" / STEM / "export").exists()


def test_unknown_profile_and_issue(project):
    result = krasse(project, "export", "41", "--esp", "mailchamp")
    assert result.exit_code == 2 and "did you mean 'mailchimp'" in result.output  # wrong usage (issue 8)
    result = krasse(project, "export", "99")
    assert result.exit_code == 1 and "no issue with number 99" in result.output


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda p: edit(p / "issues" / f"{STEM}.md", "draft: false", "draft: true"), "export-draft"),
        (
            lambda p: edit(p / "issues" / f"{STEM}.md", 'subject: "Krasse Links No. 41: Plattform-Dämmerung"\n', ""),
            "export-subject",
        ),
        (lambda p: edit(p / "newsletter.toml", "clip_budget = 100000", "clip_budget = 20000"), "clip-budget"),
        (lambda p: (p / "issues/images/kurve.png").unlink(), "img-missing"),
        (
            lambda p: edit(p / "layouts/email.mjml.j2", 'href="{{ unsubscribe_url }}"', 'href="#"'),
            "unsubscribe-missing",
        ),
    ],
)
def test_the_gate_refuses_with_a_clear_list(project, change, rule):
    change(project)
    result = krasse(project, "export", "41", "--esp", "mailchimp")
    assert result.exit_code == 1
    assert f"error [{rule}]" in result.output
    assert "Traceback" not in result.output
    assert not (project / "outbox" / STEM / "export").exists()


def test_drafts_pass_the_gate_when_asked(project):
    edit(project / "issues" / f"{STEM}.md", "draft: false", "draft: true")
    assert krasse(project, "export", str(project / "issues" / f"{STEM}.md"), "--drafts").exit_code == 0
    assert (folder(project) / "email.eml").is_file()


def test_split_issue_is_not_refused(project):
    edit(project / "newsletter.toml", "clip_budget = 100000", "clip_budget = 20000")
    edit(project / "issues" / f"{STEM}.md", "draft: false", "draft: false\nclip: split")
    result = krasse(project, "export", "41")
    assert result.exit_code == 0, result.output
    assert "warning [clip-split]" in result.output
    meta = json.loads((folder(project) / "meta.json").read_text())
    assert any("clip-split" in w for w in meta["warnings"])
    assert meta["bytes"] <= 20000


def test_to_header_from_option_and_config(project):
    assert krasse(project, "export", "41", "--to", "Test Leserin <test@example.org>").exit_code == 0
    msg = email.message_from_bytes((folder(project) / "email.eml").read_bytes(), policy=default)
    assert msg["To"] == "Test Leserin <test@example.org>"
    edit(project / "newsletter.toml", 'esp = "generic"', 'esp = "generic"\nto = "Liste <liste@example.org>"')
    assert krasse(project, "export", "41").exit_code == 0
    msg = email.message_from_bytes((folder(project) / "email.eml").read_bytes(), policy=default)
    assert msg["To"] == "Liste <liste@example.org>"
    result = krasse(project, "export", "41", "--to", "nobody")
    assert result.exit_code == 1 and "--to: error [eml-address]" in result.output


def test_one_click_header_follows_the_config(project):
    krasse(project, "export", "41")
    msg = email.message_from_bytes((folder(project) / "email.eml").read_bytes(), policy=default)
    assert "List-Unsubscribe-Post" not in msg
    edit(project / "newsletter.toml", 'unsubscribe_url = ""', 'unsubscribe_url = "https://krasse-links.example/ab"')
    krasse(project, "export", "41")
    msg = email.message_from_bytes((folder(project) / "email.eml").read_bytes(), policy=default)
    assert msg["List-Unsubscribe"].startswith("<https://krasse-links.example/ab>")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_exports_are_byte_identical_and_not_rewritten(project, tmp_path):
    assert krasse(project, "export", "41", "--esp", "brevo").exit_code == 0
    export_root = project / "outbox" / STEM / "export"
    first = snapshot(export_root)
    mtimes = {p: p.stat().st_mtime_ns for p in export_root.rglob("*")}
    result = krasse(project, "export", "41", "--esp", "brevo")
    assert result.exit_code == 0 and "unchanged" in result.output
    assert snapshot(export_root) == first
    assert {p: p.stat().st_mtime_ns for p in export_root.rglob("*")} == mtimes

    # The same input in another folder (another day, another machine) gives the same bytes.
    other = tmp_path / "elsewhere"
    shutil.copytree(project, other, ignore=shutil.ignore_patterns("outbox"))
    (other / "outbox").mkdir()
    assert krasse(other, "export", "41", "--esp", "brevo").exit_code == 0
    assert snapshot(other / "outbox" / STEM / "export") == first
    with zipfile.ZipFile(io.BytesIO(first[f"{STEM}-brevo.zip"])) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_changed_issue_is_reexported_without_force(project):
    krasse(project, "export", "41")
    edit(project / "issues" / f"{STEM}.md", "Macht das Fenster auf", "Macht die Tür auf")
    result = krasse(project, "export", "41")
    assert result.exit_code == 0 and "written" in result.output
    assert "Macht die Tür auf" in (folder(project) / "email.html").read_text("utf-8")
    assert not [p for p in folder(project).parent.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_hand_edits_are_never_silently_overwritten(project):
    krasse(project, "export", "41")
    html = folder(project) / "email.html"
    original = html.read_bytes()
    html.write_bytes(original.replace(b"Abmelden", b"Austragen"))
    (folder(project) / "notiz.txt").write_text("meine Notiz", "utf-8")

    result = krasse(project, "export", "41")
    assert result.exit_code == 1
    assert "email.html: error [export-edited]" in result.output
    assert "notiz.txt: error [export-edited]" in result.output
    assert "--force" in result.output
    assert b"Austragen" in html.read_bytes()

    result = krasse(project, "export", "41", "--force")
    assert result.exit_code == 0, result.output
    assert html.read_bytes() == original
    assert not (folder(project) / "notiz.txt").exists()


def test_a_folder_without_meta_json_is_not_ours(project):
    folder(project).mkdir(parents=True)
    (folder(project) / "email.html").write_text("von Hand", "utf-8")
    result = krasse(project, "export", "41")
    assert result.exit_code == 1 and "no readable meta.json" in result.output
    assert (folder(project) / "email.html").read_text("utf-8") == "von Hand"


def test_out_dir(project, tmp_path):
    out = tmp_path / "versand"
    assert krasse(project, "export", "41", "--esp", "sendy", "--out", str(out)).exit_code == 0
    assert (out / STEM / "sendy" / "email.html").is_file()
    assert (out / STEM / f"{STEM}-sendy.zip").is_file()
    assert not (project / "outbox" / STEM).exists()


@pytest.mark.parametrize(
    ("to", "ascii_form"), [("jörg@example.org", ""), ("Leserin <post@bücher.example>", "post@xn--bcher-kva.example")]
)
def test_non_ascii_address_is_refused_not_encoded_into_the_address(project, to, ascii_form):
    """The stdlib wrote `To: =?utf-8?q?j=C3=B6rg?=@example.org`: an encoded word inside the address, which
    no server delivers, with exit 0. A 7-bit message has no way to carry it; the author is told."""
    result = krasse(project, "export", "41", "--to", to)
    assert result.exit_code == 1 and "--to: error [eml-address]" in result.output, result.output
    assert "ASCII" in result.output and ascii_form in result.output
    assert not (folder(project) / "email.eml").exists()


def test_a_long_newsletter_name_keeps_every_eml_line_within_998_octets(project):
    """The Message-ID carried the whole name as one word: a 1,200-character name made a 1,255-octet line."""
    edit(project / "newsletter.toml", 'name = "Krasse Links"\nlanguage', f'name = "{"N" * 1200}"\nlanguage')
    result = krasse(project, "export", "41")
    assert result.exit_code == 0, result.output
    raw = (folder(project) / "email.eml").read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert email.message_from_bytes(raw, policy=default)["Message-ID"].startswith("<nnnn")


def test_a_header_line_over_998_octets_is_refused(project):
    """A 1,100-character sender name without a space cannot be folded: the From line had 1,130 octets."""
    edit(project / "newsletter.toml", 'name = "Krasse Links"\naddress', f'name = "{"S" * 1100}"\naddress')
    result = krasse(project, "export", "41")
    assert result.exit_code == 1 and "error [eml-line-length]" in result.output and "From" in result.output
    assert not (folder(project) / "email.eml").exists()


def test_a_date_before_1893_still_gives_a_date_header(project):
    """Berlin's clocks ran on local mean time (+00:53:28) before April 1893: `date: 1026-11-02` (a typo)
    gave `Date: … +005328`, which is no RFC 5322 offset; the stdlib wrote an empty Date header, exit 0."""
    edit(project / "issues/041-plattform-daemmerung.md", "date: 2026-10-05", "date: 1026-10-05")
    assert krasse(project, "export", "41").exit_code == 0
    msg = email.message_from_bytes((folder(project) / "email.eml").read_bytes(), policy=default)
    assert not msg["Date"].defects and msg["Date"].datetime.date() == dt.date(1026, 10, 5)
