"""`krasse import` of mail files: an mbox of several messages, text-only messages, inline images, bad files."""

from __future__ import annotations

import mailbox
import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import ROOT, krasse

from pipeline.load import parse_issue
from pipeline.markdown import parse

PNG = (ROOT / "issues" / "images" / "kurve.png").read_bytes()


def message(number: int, day: str, html: str | None, text: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Krasse Links <post@krasse-links.example>"
    msg["To"] = "leserin@example.invalid"
    msg["Subject"] = f"Krasse Links No. {number}: Ausgabe über Weichen"
    msg["Date"] = f"{day} 07:00:00 +0100"
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return msg


def issue_html(number: int) -> str:
    return (
        f"<html><body><p>Willkommen bei Krasse Links No. {number}. Die Weichen stehen auf Herbst.</p><hr>"
        '<p>Die <a href="https://bahnblog.example.de/weichen">Weichenheizung</a> ist <em>kaputt</em>.</p>'
        "<blockquote><p>Es zieht im Stellwerk.</p></blockquote><ul><li>Nordstrecke</li><li>Südstrecke</li></ul>"
        "</body></html>"
    )


def issues_of(project: Path) -> dict[int, str]:
    out = {}
    for path in sorted((project / "issues").glob("*.md")):
        issue, findings = parse_issue(path.read_text(encoding="utf-8"), path)
        assert issue is not None, findings
        out[issue.number] = issue
    return out


def test_mbox_with_several_messages_imports_each(empty_project: Path) -> None:
    path = empty_project / "alt.mbox"
    box = mailbox.mbox(str(path))
    box.add(message(7, "Sun, 05 Jan 2025", issue_html(7), "Textfassung, nicht genommen."))
    box.add(message(8, "Sun, 19 Jan 2025", None, "Willkommen bei Krasse Links No. 8. Nur Text.\n\n\n- eins\n- zwei\n"))
    box.add(message(9, "Sun, 02 Feb 2025", issue_html(9), None))
    box.flush()
    box.close()
    result = krasse(empty_project, "import", str(path))
    assert result.exit_code == 0, result.output
    issues = issues_of(empty_project)
    assert sorted(issues) == [7, 8, 9]
    seven = issues[7]
    assert seven.meta.title == "Ausgabe über Weichen" and seven.meta.date.isoformat() == "2025-01-05"
    assert "[Weichenheizung](https://bahnblog.example.de/weichen) ist *kaputt*." in seven.body
    assert "> Es zieht im Stellwerk." in seven.body and "- Nordstrecke" in seven.body
    assert "Textfassung" not in seven.body  # the HTML part wins
    eight = issues[8]  # no HTML part: imported from its text
    assert eight.body.strip().startswith("Willkommen bei Krasse Links No. 8. Nur Text.")
    assert "\n---\n" in eight.body and "- eins\n- zwei" in eight.body
    assert "alt.mbox#2 → issues/008-ausgabe-ueber-weichen.md" in result.output
    assert krasse(empty_project, "build").exit_code == 0


def test_inline_cid_image_is_copied_next_to_the_issue(empty_project: Path) -> None:
    msg = message(
        11,
        "Sun, 02 Mar 2025",
        '<p>Willkommen bei Krasse Links No. 11.</p><p><img src="cid:kurve1" alt="Eine Kurve"></p>',
        None,
    )
    msg.get_payload()  # single part so far
    msg.make_related()
    msg.add_related(PNG, "image", "png", cid="<kurve1>", filename="kurve.png")
    path = empty_project / "bild.eml"
    path.write_bytes(bytes(msg))
    result = krasse(empty_project, "import", str(path))
    assert result.exit_code == 0, result.output
    [issue] = issues_of(empty_project).values()
    assert "![Eine Kurve](images/kurve.png)" in issue.body
    assert (empty_project / "issues" / "images" / "kurve.png").read_bytes() == PNG
    assert krasse(empty_project, "build").exit_code == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("kein-mail.eml", b"Das hier ist nur ein Einkaufszettel.\nMilch\nBrot\n", "not an email message"),
        ("bild.eml", PNG, "not an email message"),
        ("leer.eml", b"", "file is empty"),
        ("leer.mbox", b"\n\n", "file is empty"),
        ("kaputt.mbox", b"Subject: ohne From-Zeile\n\nText\n", "no messages found"),
    ],
)
def test_bad_mail_files_name_the_file_and_write_nothing(
    empty_project: Path, name: str, content: bytes, message: str
) -> None:
    path = empty_project / name
    path.write_bytes(content)
    result = krasse(empty_project, "import", str(path), "--number", "5", "--date", "2025-01-01")
    assert result.exit_code == 1, result.output
    assert name in result.output and message in result.output
    assert not list((empty_project / "issues").glob("*.md"))


def test_one_bad_file_means_nothing_is_written(empty_project: Path) -> None:
    good = empty_project / "gut.eml"
    good.write_bytes(bytes(message(3, "Sun, 05 Jan 2025", issue_html(3), None)))
    bad = empty_project / "schlecht.eml"
    bad.write_bytes(b"")
    result = krasse(empty_project, "import", str(good), str(bad))
    assert result.exit_code == 1
    assert "schlecht.eml" in result.output
    assert not list((empty_project / "issues").glob("*.md"))


def test_text_part_of_our_own_email_keeps_items_notes_and_title(project: Path) -> None:
    """A message without HTML part: the text part's title, items, footnotes and link targets survive."""
    assert krasse(project, "build", "-q").exit_code == 0
    original = (project / "issues" / "042-der-moment.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    txt = (project / "outbox" / "042-der-moment" / "email.txt").read_text(encoding="utf-8")
    msg = message(42, "Mon, 19 Oct 2026", None, txt)
    for path in (project / "issues").glob("*.md"):
        path.unlink()
    (project / "outbox" / "042-der-moment" / "email.txt").unlink()
    eml = project / "nur-text.eml"
    eml.write_bytes(bytes(msg))
    result = krasse(project, "import", str(eml), "--verbose")
    assert result.exit_code == 0, result.output
    assert "boilerplate dropped: 'Im Browser lesen: https://krasse-links.example/archiv/42/'" in result.output
    [issue] = issues_of(project).values()
    assert issue.meta.title == "Der Moment" and issue.meta.subject == "Krasse Links No. 42: Ausgabe über Weichen"
    doc = parse(issue.body)
    assert len(doc.items) == len(parse(original).items) and doc.footnote_count == 45
    assert "## Der \\<Moment\\> um die Sprachmodelle" in issue.body
    assert "<https://politik-quartal.example.de/maas-verzoegerung>" in issue.body
    assert "Abmelden" not in issue.body and "Redaktion Beispiel" not in issue.body
    assert krasse(project, "build").exit_code == 0


def test_same_source_gives_byte_identical_issues(tmp_path: Path, empty_project: Path) -> None:
    path = tmp_path / "zwei.mbox"
    box = mailbox.mbox(str(path))
    box.add(message(7, "Sun, 05 Jan 2025", issue_html(7), None))
    box.add(message(8, "Sun, 19 Jan 2025", None, "Willkommen bei Krasse Links No. 8.\n\n\n- eins\n"))
    box.flush()
    box.close()
    outputs = []
    for run in ("a", "b"):
        project = tmp_path / run
        shutil.copytree(empty_project, project)
        assert krasse(project, "import", str(path)).exit_code == 0
        outputs.append({p.name: p.read_bytes() for p in (project / "issues").glob("*.md")})
    assert len(outputs[0]) == 2 and outputs[0] == outputs[1]


def test_text_part_with_two_issue_headings_imports_as_one_with_distinct_notes(empty_project: Path) -> None:
    """Each heading's part numbers its notes from 1: merged, the later part's notes follow on (not two `[^1]`)."""
    text = (
        "Krasse Links No. 8\n\nDie Weichenheizung im Norden fällt wieder aus.¹\n\n\n"
        "Anmerkungen\n¹ Laut Stellwerksbericht vom Dienstag.\n\n\n"
        "Krasse Links No. 9\n\nIm Süden frieren die Signale ein.¹ Und die Schranken.²\n\n\n"
        "Anmerkungen\n¹ So schreibt es die Bahnmeisterei.\n² Gemeldet am Donnerstag.\n"
    )
    eml = empty_project / "doppelt.eml"
    eml.write_bytes(bytes(message(8, "Sun, 05 Jan 2025", None, text)))
    result = krasse(empty_project, "import", str(eml))
    assert result.exit_code == 0, result.output
    assert (
        "text part holds 2 issue headings (No. 8, No. 9): imported as one issue" in result.output
    )  # the author is told why one issue holds both
    [issue] = issues_of(empty_project).values()
    assert issue.number == 8
    body = issue.body
    assert "Norden fällt wieder aus.[^1]" in body and "Signale ein.[^2] Und die Schranken.[^3]" in body
    # the notes all stand at the end, in order, as in any other import
    assert body.rstrip().endswith(
        "[^1]: Laut Stellwerksbericht vom Dienstag.\n\n"
        "[^2]: So schreibt es die Bahnmeisterei.\n\n"
        "[^3]: Gemeldet am Donnerstag."
    )
    doc = parse(body)
    assert len(doc.items) == 2 and doc.footnote_count == 3
    assert krasse(empty_project, "build").exit_code == 0
