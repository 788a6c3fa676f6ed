"""The command line end to end: help, new, build (defaults, drafts, paths, exit codes), images."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, krasse

from pipeline.cli import cli

COMMANDS = sorted(cli.commands)


def test_python_m_pipeline_help_in_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: krasse" in result.stdout
    for name in ("build", "check", "new"):
        assert name in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(project: Path, command: str) -> None:
    result = krasse(project, command, "--help")
    assert result.exit_code == 0
    assert f"Usage: cli {command}" in result.output or f" {command} " in result.output
    assert "Traceback" not in result.output


def test_unknown_option_is_usage_error(project: Path) -> None:
    result = krasse(project, "build", "--gibtsnicht")
    assert result.exit_code == 2 and "No such option" in result.output


def test_new_numbers_dates_and_slugs(project: Path) -> None:
    result = krasse(project, "new", "--title", "Über die Ökonomie der Straße")
    assert result.exit_code == 0, result.output
    path = project / "issues/045-ueber-die-oekonomie-der-strasse.md"
    assert "created issues/045-ueber-die-oekonomie-der-strasse.md" in result.output
    text = path.read_text(encoding="utf-8")
    assert "number: 45\n" in text and f"date: {dt.date.today().isoformat()}\n" in text
    assert 'title: "Über die Ökonomie der Straße"' in text and "draft: true" in text
    check = krasse(project, "check", str(path))
    assert "fm-" not in check.output  # the new file is valid front matter
    second = krasse(project, "new", "--title", 'Noch eine "Ausgabe"', "--date", "2027-01-04")
    assert second.exit_code == 0
    text = (project / "issues/046-noch-eine-ausgabe.md").read_text(encoding="utf-8")
    assert "number: 46" in text and "date: 2027-01-04" in text and 'title: "Noch eine \\"Ausgabe\\""' in text


def test_new_refuses_to_overwrite(empty_project: Path) -> None:
    (empty_project / "issues/001-neue-ausgabe.md").write_text("kaputt, aber meins\n")  # no number readable
    before = (empty_project / "issues/001-neue-ausgabe.md").read_text()
    result = krasse(empty_project, "new")
    assert result.exit_code == 0  # the number in the name counts: 002
    assert (empty_project / "issues/002-neue-ausgabe.md").exists()
    assert (empty_project / "issues/001-neue-ausgabe.md").read_text() == before


def test_new_when_target_exists(empty_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.newissue as newissue

    monkeypatch.setattr(newissue, "next_number", lambda _dir: 7)
    target = empty_project / "issues/007-neue-ausgabe.md"
    target.write_text("schon da\n")
    result = krasse(empty_project, "new")
    assert result.exit_code == 1
    assert "007-neue-ausgabe.md" in result.output and "new-exists" in result.output
    assert target.read_text() == "schon da\n"


def test_build_default_skips_drafts(project: Path) -> None:
    result = krasse(project, "build")
    assert result.exit_code == 0, result.output
    built = sorted(p.name for p in (project / "outbox").iterdir())
    assert built == ["041-plattform-daemmerung", "042-der-moment", "043-kurz-und-buendig"]
    for stem in built:
        assert {p.name for p in (project / "outbox" / stem).iterdir()} >= {
            "email.html", "email.txt", "email.mjml", "meta.json",
        }  # fmt: skip
    assert "of clip budget" in result.output


def test_build_drafts_and_explicit_paths(project: Path) -> None:
    result = krasse(project, "build", "--drafts", "-q")
    assert result.exit_code == 0 and result.output == ""
    assert (project / "outbox/044-entwurf/email.html").exists()

    other = project.parent / "other"
    other.mkdir()
    (other / "x").write_text("")
    result = krasse(project, "build", str(project / "issues/043-kurz-und-buendig.md"))
    assert result.exit_code == 0 and "043-kurz-und-buendig" in result.output
    assert "041" not in result.output


def test_explicit_draft_path_is_built(empty_project: Path) -> None:
    source = (ROOT / "issues/044-entwurf.md").read_text(encoding="utf-8")
    (empty_project / "issues/044-entwurf.md").write_text(source, encoding="utf-8")
    result = krasse(empty_project, "build", str(empty_project / "issues/044-entwurf.md"))
    assert result.exit_code == 0 and (empty_project / "outbox/044-entwurf/email.html").exists()


def test_build_exit_codes_and_goes_on_after_a_bad_issue(project: Path) -> None:
    (project / "issues/050-kaputt.md").write_text("---\nnumber: [\n---\n\nText\n")
    result = krasse(project, "build")
    assert result.exit_code == 1
    assert "050-kaputt.md:2: error [fm-yaml]" in result.output
    assert (project / "outbox/041-plattform-daemmerung/email.html").exists()  # the others were built
    assert not (project / "outbox/050-kaputt").exists()


def test_build_nothing_to_do(empty_project: Path) -> None:
    result = krasse(empty_project, "build")
    assert result.exit_code == 0 and "no issues to build" in result.output


def test_missing_path_is_usage_error(project: Path) -> None:
    result = krasse(project, "build", str(project / "issues/999-fehlt.md"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_local_images_copied_and_referenced_by_absolute_url(empty_project: Path) -> None:
    images = empty_project / "issues/images"
    (images / "sub").mkdir()
    (images / "sub/ö b.png").write_bytes((images / "kurve.png").read_bytes())
    (empty_project / "issues/001-bilder.md").write_text(
        "---\nnumber: 1\ntitle: Bilder\ndate: 2026-01-05\n---\n\n"
        "Ein Intro, das lang genug für den Vorschautext ist, hoffentlich.\n\n"
        "![Kurve der Interaktionen](images/kurve.png)\n\n![Unterordner](<images/sub/ö b.png>)\n\n"
        "![Fern](https://cdn.example.org/x.png)\n",
        encoding="utf-8",
    )
    result = krasse(empty_project, "build")
    assert result.exit_code == 0, result.output
    out = empty_project / "outbox/001-bilder"
    html = (out / "email.html").read_text(encoding="utf-8")
    assert 'src="https://krasse-links.example/archiv/images/kurve.png"' in html
    assert 'src="https://krasse-links.example/archiv/images/sub/%C3%B6%20b.png"' in html
    assert 'src="https://cdn.example.org/x.png"' in html
    assert (out / "images/kurve.png").read_bytes() == (images / "kurve.png").read_bytes()
    assert (out / "images/sub/ö b.png").exists()
    assert not (out / "images/diagramm.png").exists()  # only what the issue uses
    text = (out / "email.txt").read_text(encoding="utf-8")
    assert "[Bild: Kurve der Interaktionen]" in text


def test_stale_images_removed_on_rebuild(project: Path) -> None:
    krasse(project, "build")
    path = project / "issues/043-kurz-und-buendig.md"
    path.write_text(path.read_text(encoding="utf-8").replace("images/diagramm.png", "images/kurve.png"))
    assert krasse(project, "build").exit_code == 0
    folder = project / "outbox/043-kurz-und-buendig/images"
    assert sorted(p.name for p in folder.iterdir()) == ["kurve.png"]
