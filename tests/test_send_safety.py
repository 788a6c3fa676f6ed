"""Send safety: nothing broken leaves the pipeline with exit 0, and no good output is ever lost.

Each test reproduces a defect found on the old main through the real CLI (issue 8).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import krasse

# Rule ids whose tests live here (test_checks.py makes sure every rule id has one).
RULES_TESTED = {"fm-unclosed", "footnote-unclosed"}

HEAD = (
    '---\nnumber: {n}\ntitle: "Probe"\nsubject: "Probe {n}"\ndate: 2026-02-02\n'
    'preheader: "Ein Vorschautext, lang genug für jedes Postfach dieser Welt."\n---\n\n'
)


def write(project: Path, name: str, body: str, n: int = 1) -> Path:
    path = project / "issues" / name
    path.write_text(HEAD.format(n=n) + body, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- crashes and lost output -------------------------------------------------------------------

UNCLOSED = [
    "---\nnumber: 96\ntitle: Offen\ndate: 2026-02-02\n\nText ohne Ende des Kopfes.\n",
    "---\nnumber: 96\ntitle: Offen\ndate: 2026-02-02\n...\nText nach YAML-Punkten.\n",
]


@pytest.mark.parametrize("content", UNCLOSED)
@pytest.mark.parametrize(
    "args",
    [("build",), ("check",), ("check", "--format", "json"), ("new", "--title", "Neu"), ("archive",), ("export", "41")],
)
def test_unclosed_front_matter_is_a_finding_not_a_crash(project: Path, content: str, args: tuple[str, ...]) -> None:
    (project / "issues/096-x.md").write_text(content, encoding="utf-8")
    result = krasse(project, *args)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in output
    if args[0] in ("build", "check"):
        assert result.exit_code == 1
        if "json" in args:
            found = [f for f in json.loads(result.stdout) if f["rule"] == "fm-unclosed"]
            assert found and found[0]["file"].endswith("issues/096-x.md") and found[0]["line"] == 1
        else:
            assert "issues/096-x.md:1: error [fm-unclosed]" in output
    if args[0] == "build":
        assert (project / "outbox/041-plattform-daemmerung/email.html").is_file()  # the others still built
    if args[0] == "new":
        assert result.exit_code == 0 and list((project / "issues").glob("097-*.md"))
    if args[0] == "export":
        assert result.exit_code == 0, output


def test_unclosed_front_matter_names_the_dots(empty_project: Path) -> None:
    (empty_project / "issues/096-x.md").write_text(UNCLOSED[1], encoding="utf-8")
    result = krasse(empty_project, "check")
    assert "line 5 ends it with YAML's '...'" in result.output


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("](images/diagramm.png)", "](images/fehlt.png)"),  # a missing image
        ("versprochen ist versprochen.", "versprochen ist versprochen.[^fehlt]"),  # an undefined footnote
    ],
)
def test_a_body_error_keeps_the_last_good_build(project: Path, old: str, new: str) -> None:
    assert krasse(project, "build").exit_code == 0
    out = project / "outbox/043-kurz-und-buendig"
    before = snapshot(out)
    assert "images/diagramm.png" in before
    path = project / "issues/043-kurz-und-buendig.md"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    result = krasse(project, "build")
    assert result.exit_code == 1
    assert "kept the last good build" in result.output
    assert snapshot(out) == before  # byte for byte, the image included
    assert (project / "outbox/041-plattform-daemmerung/email.html").is_file()


def test_an_issue_with_an_error_and_no_earlier_build_writes_nothing(empty_project: Path) -> None:
    write(empty_project, "001-probe.md", "Ein Bild: ![Kurve](images/fehlt.png)\n")
    result = krasse(empty_project, "build")
    assert result.exit_code == 1
    assert not (empty_project / "outbox/001-probe").exists()


def test_unclosed_footnote_references_are_errors_with_their_line(empty_project: Path) -> None:
    body = "Einleitung mit Text.\n\n---\n\nEine Fußnote[^7 und weiter im Satz.\n\n[^8: Definition ohne Klammer\n"
    path = write(empty_project, "001-probe.md", body)
    result = krasse(empty_project, "check", "--format", "json")
    found = [f for f in json.loads(result.stdout) if f["rule"] == "footnote-unclosed"]
    lines = path.read_text(encoding="utf-8").split("\n")
    assert sorted(lines[f["line"] - 1] for f in found) == [
        "Eine Fußnote[^7 und weiter im Satz.",
        "[^8: Definition ohne Klammer",
    ]
    assert result.exit_code == 1
