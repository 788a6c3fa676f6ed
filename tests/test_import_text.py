"""`krasse import` of plain text: issues split by their heading line, items, lists, superscript footnotes.

Texts are generated from the benchmark generator's word lists; the shared sample is read from
../shared/samples/ and never copied into the project.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import generate
import pytest
from conftest import krasse

from pipeline.importer.draft import words
from pipeline.importer.plain import convert_text
from pipeline.load import parse_issue
from pipeline.markdown import parse

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
SUPER = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def paragraph(rng: random.Random, sentences: int = 3) -> str:
    return " ".join(rng.choice(generate.REMARKS) for _ in range(sentences))


def plain_issue(number: int, items: int, seed: int) -> str:
    """A web copy of one issue: heading line, intro, items two blank lines apart, a list in one item."""
    rng = random.Random(seed)
    intro = f"Willkommen bei Krasse Links No. {number}. " + rng.choice(generate.INTROS).format(topic="Plattformen")
    blocks = [intro]
    for k in range(items):
        parts = [paragraph(rng), paragraph(rng, 2)]
        if k == 1:
            parts.insert(1, "\n".join(f"  • {rng.choice(generate.LIST_ITEMS)}" for _ in range(3)))
        if k == 2:
            parts.insert(1, "\n".join(f"  {n}. {rng.choice(generate.LIST_ITEMS)}" for n in range(1, 4)))
        blocks.append("\n\n".join(parts))
    return f"Krasse Links No {number}.\n\n" + "\n\n\n".join(blocks) + "\n"


def body_of(path: Path) -> str:
    issue, findings = parse_issue(path.read_text(encoding="utf-8"), path)
    assert issue is not None, findings
    return issue.body.lstrip()


def test_three_issues_in_one_text_become_three_issues(empty_project: Path) -> None:
    text = "\n\n".join(plain_issue(n, 3 + n % 2, seed=n) for n in (20, 21, 22))
    source = empty_project / "copy.txt"
    source.write_text(text, encoding="utf-8")
    result = krasse(empty_project, "import", str(source), "--date", "2024-06-01")
    assert result.exit_code == 0, result.output
    made = sorted((empty_project / "issues").glob("*.md"))
    assert [p.name[:3] for p in made] == ["020", "021", "022"]
    for path, items in zip(made, (3, 4, 3), strict=True):
        body = body_of(path)
        assert body.startswith(f"Willkommen bei Krasse Links No. {path.name[1:3]}.")
        assert body.count("\n---\n") == items  # the intro, then one separator per item
        assert "\n- " in body and "\n1. " in body and "\n3. " in body
    assert krasse(empty_project, "check").exit_code == 0


def test_superscript_footnotes_become_numbered_notes_in_order(empty_project: Path) -> None:
    rng = random.Random(90)
    count = 95
    paragraphs, notes = [], []
    for k in range(1, count + 1):
        paragraphs.append(f"{paragraph(rng, 2).rstrip('.')}.{str(k).translate(SUPER)} {paragraph(rng, 1)}")
        note = rng.choice(generate.FOOTNOTE_SENTENCES).format(k=k)
        # Plain digits or superscripts start a note line: copies from PDFs have both.
        notes.append(f"{k if k % 2 else str(k).translate(SUPER)} {note}")
    text = (
        "Krasse Links No 30: Ein Essay\n\nWillkommen bei Krasse Links No. 30. Heute nur ein langer Text.\n\n\n"
        + "\n\n".join(paragraphs)
        + "\n\n\nAnmerkungen\n\n"
        + "\n".join(notes)
        + "\n"
    )
    [draft] = convert_text(text, "essay.txt", "Krasse Links")
    refs = [int(n) for n in re.findall(r"\[\^(\d+)\](?!:)", draft.body)]
    defs = [int(n) for n in re.findall(r"(?m)^\[\^(\d+)\]:", draft.body)]
    assert refs == list(range(1, count + 1))
    assert defs == list(range(1, count + 1))
    assert draft.title == "Ein Essay" and draft.number == 30
    assert "Anmerkungen" in draft.dropped
    source = empty_project / "essay.txt"
    source.write_text(text, encoding="utf-8")
    assert krasse(empty_project, "import", str(source), "--date", "2024-06-01").exit_code == 0
    built = krasse(empty_project, "build")
    assert built.exit_code == 0, built.output
    assert parse(body_of(next((empty_project / "issues").glob("030-*.md")))).footnote_count == count


def test_superscripts_without_notes_stay_text() -> None:
    [draft] = convert_text("Krasse Links No 5\n\nDie Wohnung hat 80 m² und E = mc².\n", "x.txt", "Krasse Links")
    assert "m²" in draft.body and "[^" not in draft.body


def test_markdown_characters_in_plain_text_stay_literal(empty_project: Path) -> None:
    text = "Krasse Links No 6\n\nNutzer*innen lesen <Moment> und [1] & _so_ weiter.\n# keine Überschrift\n"
    [draft] = convert_text(text, "x.txt", "Krasse Links")
    assert "Nutzer\\*innen" in draft.body and "\\<Moment\\>" in draft.body and "\\# keine" in draft.body
    source = empty_project / "x.txt"
    source.write_text(text, encoding="utf-8")
    assert krasse(empty_project, "import", str(source), "--date", "2024-06-01").exit_code == 0
    assert krasse(empty_project, "build").exit_code == 0
    txt = next((empty_project / "outbox").glob("006-*/email.txt")).read_text(encoding="utf-8")
    assert "Nutzer*innen lesen <Moment> und [1] & _so_ weiter." in re.sub(r"\s+", " ", txt)


def test_page_break_artefacts_are_reported_with_their_line(empty_project: Path) -> None:
    rng = random.Random(3)
    pages = [paragraph(rng, 4) for _ in range(3)]
    text = (
        "Krasse Links No 7\n\nWillkommen bei Krasse Links No. 7.\n\n\n"
        f"{pages[0]}\n\n12\n\n{pages[1]}\n\n\nDas Archiv der Woche\n{pages[2]}\n\nDas Archiv der Woche\n\n"
        "Das Archiv der Woche\n"
    )
    source = empty_project / "pdf.txt"
    source.write_text(text, encoding="utf-8")
    result = krasse(empty_project, "import", str(source), "--date", "2024-06-01")
    assert result.exit_code == 0, result.output
    assert "pdf.txt:8: warning [import-notice] page-break artefact taken out: '12'" in result.output
    assert result.output.count("'Das Archiv der Woche'") == 3
    body = body_of(next((empty_project / "issues").glob("007-*.md")))
    assert "12" not in body and "Archiv der Woche" not in body
    assert all(p in body for p in pages)


def test_sample_imports_with_number_intro_items_and_every_word(empty_project: Path) -> None:
    sample = SAMPLES / "krasse-links-no-23.txt"
    if not sample.exists():
        pytest.skip(f"shared sample not present at {SAMPLES}")
    text = sample.read_text(encoding="utf-8")
    result = krasse(empty_project, "import", str(sample), "--date", "2024-07-27")
    assert result.exit_code == 0, result.output
    [path] = (empty_project / "issues").glob("*.md")
    assert path.name.startswith("023-")
    body = body_of(path)
    blocks = [b for b in re.split(r"\n[ \t]*\n[ \t]*\n\s*", text.split("\n", 1)[1].strip()) if b.strip()]
    assert body.count("\n---\n") + 1 == len(blocks)
    assert body.startswith(blocks[0].split("\n")[0][:40])
    assert krasse(empty_project, "build").exit_code == 0
    txt = next((empty_project / "outbox").glob("023-*/email.txt")).read_text(encoding="utf-8")
    missing = words(text) - words(txt)
    assert missing == Counter()


def test_dry_run_writes_nothing(empty_project: Path) -> None:
    source = empty_project / "one.txt"
    source.write_text(plain_issue(12, 2, seed=1), encoding="utf-8")
    result = krasse(empty_project, "import", str(source), "--date", "2024-06-01", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would write issues/012-krasse-links-no-12.md" in result.output
    assert "number: 12" in result.output
    assert not list((empty_project / "issues").glob("*.md"))


def test_text_without_number_or_date_names_the_option(empty_project: Path) -> None:
    source = empty_project / "bare.txt"
    source.write_text("Ein Text ohne Kopfzeile.\n", encoding="utf-8")
    result = krasse(empty_project, "import", str(source))
    assert result.exit_code == 1
    assert "bare.txt: error [import-number]" in result.output and "--number" in result.output
    assert "bare.txt: error [import-date]" in result.output and "--date" in result.output
    assert not list((empty_project / "issues").glob("*.md"))
    result = krasse(empty_project, "import", str(source), "--number", "3", "--date", "2024-06-01")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "file is empty"),
        ("latin.txt", "Krasse Links No 9\n\nGrüße aus Köln\n".encode("latin-1"), "not UTF-8"),
        ("notes.doc", b"Krasse Links No 9\n", "unknown file type .doc"),
    ],
)
def test_bad_text_files_name_the_file_and_write_nothing(
    empty_project: Path, name: str, content: bytes, message: str
) -> None:
    source = empty_project / name
    source.write_bytes(content)
    result = krasse(empty_project, "import", str(source), "--date", "2024-06-01")
    assert result.exit_code == 1
    assert name in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not list((empty_project / "issues").glob("*.md"))


def test_taken_number_is_refused_unless_force(project: Path) -> None:
    before = sorted(p.name for p in (project / "issues").glob("*.md"))
    source = project / "old.txt"
    source.write_text(plain_issue(41, 2, seed=4), encoding="utf-8")
    result = krasse(project, "import", str(source), "--date", "2024-06-01")
    assert result.exit_code == 1
    assert "number 41 is taken by" in result.output and "041-plattform-daemmerung.md" in result.output
    assert sorted(p.name for p in (project / "issues").glob("*.md")) == before
    result = krasse(project, "import", str(source), "--date", "2024-06-01", "--force")
    assert result.exit_code == 0, result.output
    assert not (project / "issues" / "041-plattform-daemmerung.md").exists()
    assert (project / "issues" / "041-krasse-links-no-41.md").exists()


def test_date_found_only_in_the_text_is_said(empty_project: Path) -> None:
    source = empty_project / "datum.txt"
    source.write_text("Krasse Links Nr. 8\n\nGeschrieben am 3. Mai 2024 im Zug nach Kassel.\n", encoding="utf-8")
    result = krasse(empty_project, "import", str(source))
    assert result.exit_code == 0, result.output
    assert "datum.txt: warning [import-notice] date 2024-05-03 is the first date in the text" in result.output
    assert "date: 2024-05-03" in next((empty_project / "issues").glob("008-*.md")).read_text(encoding="utf-8")
    dated = empty_project / "kopf.txt"
    dated.write_text("Krasse Links #9 – 17.05.2024\n\nIm Juni 2023 war das anders.\n", encoding="utf-8")
    result = krasse(empty_project, "import", str(dated))
    assert result.exit_code == 0, result.output
    assert "first date" not in result.output
    text = next((empty_project / "issues").glob("009-*.md")).read_text(encoding="utf-8")
    assert "date: 2024-05-17" in text and 'title: "Krasse Links No. 9"' in text


def test_wrapped_lines_that_look_like_list_items_stay_text() -> None:
    text = (
        "Krasse Links No 10\n\nDie Anhörung ist für den\n19. Oktober 2026 angesetzt, und die Stadt\n"
        "- so heißt es - plant nichts.\n\nDrei Punkte:\n1. eins\n2. zwei\n\n- drei\n  • vier\n"
    )
    [draft] = convert_text(text, "x.txt", "Krasse Links")
    assert "für den\n19\\. Oktober 2026 angesetzt, und die Stadt\n\\- so heißt es" in draft.body
    assert "Drei Punkte:\n\n1. eins\n2. zwei\n\n- drei\n- vier\n" in draft.body


def test_a_quote_of_several_paragraphs_in_our_text_part_imports_as_one_quote(project: Path) -> None:
    """email.txt marks a quote's blank lines with `>` (`> >` when nested): importing that text part
    gives one quote with its paragraphs again, not a literal `\\>` that joins them."""
    from pipeline.build import prepare
    from pipeline.config import load_config

    quote = "> Erster Absatz.\n>\n> Zweiter Absatz.\n>\n> > Innen.\n> >\n> > Auch innen.\n"
    head = '---\nnumber: 998\ntitle: "Zitate"\ndate: 2026-11-02\n---\n\n'
    issue, found = parse_issue(head + "Einleitung.\n\n---\n\nSie schreibt:\n\n" + quote, Path("issues/998-zitate.md"))
    assert issue is not None, found
    email = prepare(issue, load_config(project)).email
    assert email is not None and ">\n> Zweiter Absatz.\n>\n> > Innen.\n> >\n" in email.text
    [draft] = convert_text(email.text, "x.txt", "Krasse Links")
    assert "> Erster Absatz.\n>\n> Zweiter Absatz.\n>\n> > Innen.\n> >\n> > Auch innen.\n" in draft.body
    assert "\\>" not in draft.body


def test_a_nested_quote_of_our_text_part_imports_as_a_nested_quote(empty_project: Path) -> None:
    """`> > Innen` in our email.txt came back from `krasse import` as `> \\> Innen`: the inner quote
    turned into a literal `>` in the text of the outer one."""
    issue = empty_project / "issues/051-zitate.md"
    issue.write_text(
        '---\nnumber: 51\ntitle: "Zitate"\ndate: 2026-11-02\n---\n\nEinleitung.\n\n---\n\nSie schreibt:\n\n'
        "> Draußen.\n>\n> > Innen <Moment>, Nutzer*innen.\n> > Zweite Zeile.\n>\n> Wieder draußen.\n",
        encoding="utf-8",
    )
    assert krasse(empty_project, "build").exit_code == 0
    source = empty_project / "ausgabe.txt"
    source.write_bytes((empty_project / "outbox/051-zitate/email.txt").read_bytes())
    sent = source.read_text("utf-8")
    assert "> > Innen <Moment>, Nutzer*innen." in sent
    issue.unlink()
    result = krasse(empty_project, "import", str(source))
    assert result.exit_code == 0, result.output
    body = body_of(next((empty_project / "issues").glob("051-*.md")))
    assert "> Draußen.\n>\n> > Innen \\<Moment\\>, Nutzer\\*innen. Zweite Zeile.\n>\n> Wieder draußen.\n" in body
    from pipeline.markdown import parse

    types = [t.type for t in parse(body).items[-1]]
    assert types.count("blockquote_open") == 2
