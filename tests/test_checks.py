"""`krasse check`: every rule id triggered once, with the file and the line it points at verified."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import krasse
from test_send_safety import RULES_TESTED as SEND_SAFETY_RULES

from pipeline.checks import RULE_IDS
from pipeline.load import MAX_BYTES
from pipeline.markdown import MAX_NESTING

HEAD = """---
number: 1
title: Prüfstand
date: 2026-01-05
preheader: "Ein Vorschautext, der lang genug ist, um nicht zu warnen."
---

Willkommen zur Prüfung der Regeln.

---

"""
OK_ITEM = "Ein ganz normaler Absatz mit einem [Link zum Bericht](https://example.org/bericht).\n"

# rule id → (body after HEAD, text the reported line must contain)
BODY_RULES: dict[str, tuple[str, str]] = {
    "link-text-empty": ("Erste Zeile\nzweite Zeile [](https://example.org/leer) mit leerem Link.\n", "[](https"),
    "link-text-vague": ("Vorne.\n\nMehr dazu [hier](https://example.org/a).\n", "[hier]"),
    "http-link": ("Eins\nzwei\ndrei [Altbau-Seite](http://example.org/alt).\n", "http://"),
    "img-alt": ("Text.\n\n![](https://example.org/bild.png)\n", "![]("),
    "img-missing": ("Text.\n\n![Ein Diagramm](images/gibt-es-nicht.png)\n", "gibt-es-nicht"),
    "img-path": ("Text.\n\n![Geheim](../../etc/passwd.png)\n", "../../etc"),
    "footnote-undefined": ("Text\nmit Verweis[^fehlt] ins Leere.\n", "[^fehlt]"),
    "footnote-unused": ("Text[^a].\n\n[^a]: Benutzt.\n\n[^waise]: Niemand zeigt hierher.\n", "[^waise]:"),
    "setext-heading": ("Ein Absatz, direkt darunter\n---\n\nweiter.\n", "---"),
    "gender-star": ("Klar.\n\nDie Leser*innen *mit Betonung.\n", "Leser*innen *mit"),
    "nesting-depth": ("Oben.\n\n" + ">" * (MAX_NESTING + 3) + " ganz tief\n", "ganz tief"),
    "tab-indent": ("Oben.\n\n\tEin Absatz, versehentlich mit Tabulator.\n", "versehentlich"),
    "footnote-duplicate": ("Text[^a].\n\n[^a]: Eins.\n\n[^a]: Zwei.\n", "[^a]: Zwei"),
    "table-cells-extra": ("Oben.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 | fünf |\n", "fünf"),
    "attr-dropped": ("Oben.\n\n{Stand=heute}\nText.\n", "{Stand=heute}"),
    "link-definition-unused": ("Oben.\n\n> Zitat mit\n>\n> [Nachtrag]: gilt.\n", "[Nachtrag]:"),
}

# rule id → (whole file, text the reported line must contain; None: the finding has no line)
FILE_RULES: dict[str, tuple[str, str | None]] = {
    "fm-yaml": ("---\nnumber: 1\ntitle: Prüf: stand\ndate: 2026-01-05\n---\n\nText.\n", "title: Prüf: stand"),
    "fm-type": ("---\nnumber: 1\ntitle: T\ndate: 5. Januar\n---\n\nText.\n", "date: 5. Januar"),
    "fm-header": (
        '---\nnumber: 1\ntitle: T\nsubject: "Hallo\\r\\nBcc: x@example.org"\ndate: 2026-01-05\n---\n\nText.\n',
        "subject:",
    ),
    "fm-missing": ("---\nnumber: 1\ndate: 2026-01-05\n---\n\nText.\n", "---"),
    "fm-unknown": ("---\nnumber: 1\ntitle: T\ndate: 2026-01-05\ntags_: [a]\n---\n\nText.\n", "tags_:"),
    "fm-duplicate": ("---\nnumber: 1\ntitle: T\ntitle: U\ndate: 2026-01-05\n---\n\nText.\n", "title: U"),
    "file-empty": ("", None),
    "body-empty": ("---\nnumber: 1\ntitle: T\ndate: 2026-01-05\n---\n", None),
}


def run_check(project: Path, *args: str) -> tuple[int, list[dict]]:
    result = krasse(project, "check", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)


def pointed_line(path: Path, line: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[line - 1]


def findings_for(found: list[dict], rule: str) -> list[dict]:
    match = [f for f in found if f["rule"] == rule]
    assert match, f"{rule} not reported; got {[f['rule'] for f in found]}"
    return match


@pytest.mark.parametrize("rule", sorted(BODY_RULES))
def test_body_rule_points_at_the_right_line(empty_project: Path, rule: str) -> None:
    body, expected = BODY_RULES[rule]
    path = empty_project / "issues/001-pruefstand.md"
    path.write_text(HEAD + OK_ITEM + "\n---\n\n" + body, encoding="utf-8")
    code, found = run_check(empty_project)
    (finding,) = findings_for(found, rule)
    assert finding["file"].endswith("issues/001-pruefstand.md")
    assert expected in pointed_line(path, finding["line"]), (finding, pointed_line(path, finding["line"]))
    assert code == (1 if finding["severity"] == "error" else 0)


@pytest.mark.parametrize("rule", sorted(FILE_RULES))
def test_file_rule_points_at_the_right_line(empty_project: Path, rule: str) -> None:
    text, expected = FILE_RULES[rule]
    path = empty_project / "issues/001-pruefstand.md"
    path.write_text(text, encoding="utf-8")
    code, found = run_check(empty_project)
    finding = findings_for(found, rule)[0]
    assert finding["file"].endswith("issues/001-pruefstand.md") and finding["severity"] == "error"
    if expected is not None:
        assert expected in pointed_line(path, finding["line"])
    else:
        assert finding["line"] in (1, 6)  # start of the file / the end of the front matter
    assert code == 1


def test_file_encoding_names_the_line(empty_project: Path) -> None:
    path = empty_project / "issues/001-pruefstand.md"
    path.write_bytes(HEAD.encode() + b"Gr\xfc\xdfe aus Latin-1.\n")
    _, found = run_check(empty_project)
    (finding,) = findings_for(found, "file-encoding")
    assert finding["line"] == 12 and b"Gr\xfc" in path.read_bytes().splitlines()[finding["line"] - 1]


def test_file_size(empty_project: Path) -> None:
    path = empty_project / "issues/001-gross.md"
    path.write_bytes(HEAD.encode() + b"Wort " * (MAX_BYTES // 5 + 1))
    code, found = run_check(empty_project)
    (finding,) = findings_for(found, "file-size")
    assert finding["file"].endswith("001-gross.md") and code == 1


def test_dup_number_on_both_files(empty_project: Path) -> None:
    for name in ("001-a.md", "002-b.md"):
        (empty_project / "issues" / name).write_text(HEAD + OK_ITEM, encoding="utf-8")
    code, found = run_check(empty_project)
    dups = findings_for(found, "dup-number")
    assert sorted(Path(f["file"]).name for f in dups) == ["001-a.md", "002-b.md"]
    assert all(pointed_line(empty_project / "issues" / Path(f["file"]).name, f["line"]) == "number: 1" for f in dups)
    assert code == 1


@pytest.mark.parametrize(("preheader", "words"), [("Zu kurz.", "only 8 characters"), ("Lang " * 30, "149 characters")])
def test_preheader_length(empty_project: Path, preheader: str, words: str) -> None:
    path = empty_project / "issues/001-pruefstand.md"
    path.write_text(HEAD.replace("Ein Vorschautext, der lang genug ist, um nicht zu warnen.", preheader) + OK_ITEM)
    code, found = run_check(empty_project)
    (finding,) = findings_for(found, "preheader-length")
    assert words in finding["message"] and pointed_line(path, finding["line"]).startswith("preheader:")
    assert code == 0  # a warning only


def _small_budget(project: Path, clip: str) -> Path:
    config = project / "newsletter.toml"
    text = config.read_text(encoding="utf-8").replace("clip_budget = 100000", "clip_budget = 12000")
    config.write_text(text.replace('clip = "warn"', f'clip = "{clip}"'), encoding="utf-8")
    path = project / "issues/001-pruefstand.md"
    path.write_text(HEAD + "\n\n---\n\n".join([OK_ITEM * 4] * 8), encoding="utf-8")
    return path


def test_clip_budget(empty_project: Path) -> None:
    path = _small_budget(empty_project, "warn")
    code, found = run_check(empty_project)
    (finding,) = findings_for(found, "clip-budget")
    assert pointed_line(path, finding["line"]) == "number: 1" and "12,000" in finding["message"]
    assert code == 0


def test_clip_split(empty_project: Path) -> None:
    path = _small_budget(empty_project, "split")
    code, found = run_check(empty_project)
    (finding,) = findings_for(found, "clip-split")
    assert pointed_line(path, finding["line"]) == "number: 1"
    assert re.search(r"cut after item \d+ of 9", finding["message"])
    assert code == 0


def test_unsubscribe_missing_names_the_layout(project: Path) -> None:
    layout = project / "layouts/email.mjml.j2"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace('<a href="{{ unsubscribe_url }}" style="color:#5c5850;">Abmelden</a>', ""))
    code, found = run_check(project)
    missing = findings_for(found, "unsubscribe-missing")
    assert {f["file"] for f in missing} == {"layouts/email.mjml.j2"} and code == 1


def test_every_rule_id_has_a_test() -> None:
    tested = set(BODY_RULES) | set(FILE_RULES) | {
        "file-encoding", "file-size", "dup-number", "preheader-length", "clip-budget", "clip-split",
        "unsubscribe-missing",
        # in test_bad_input.py:
        "file-control-char",
        # with their own tests in test_hardening.py:
        "fm-header", "img-type", "img-size", "footnote-budget", "table-budget", "output-size",
        # with their own tests in test_image_checks.py and test_clients.py:
        "img-density", "img-heavy", "img-dark-mode", "img-broken", "client-support",
    } | SEND_SAFETY_RULES  # fmt: skip
    assert tested == set(RULE_IDS)


def test_json_schema_and_exit_codes(project: Path) -> None:
    code, found = run_check(project)
    assert code == 0 and found == []  # the examples are clean
    (project / "issues/045-fehler.md").write_text(HEAD.replace("number: 1", "number: 45") + "[hier](http://x.org)\n")
    code, found = run_check(project)
    assert code == 0  # vague text and http: warnings only
    assert found and all(
        set(f) == {"file", "line", "rule", "message", "severity"}
        and isinstance(f["line"], int)
        and f["severity"] in ("error", "warning")
        and f["rule"] in RULE_IDS
        for f in found
    )
    (project / "issues/046-fehler.md").write_text(HEAD.replace("number: 1", "number: 46") + "[](https://x.org)\n")
    code, found = run_check(project)
    assert code == 1 and any(f["severity"] == "error" for f in found)
    assert found == sorted(found, key=lambda f: (f["file"], f["line"], f["rule"]))


def test_text_format_summary(project: Path) -> None:
    result = krasse(project, "check")
    assert result.exit_code == 0
    assert "3 issue(s) checked: 0 error(s), 0 warning(s)" in result.stdout
