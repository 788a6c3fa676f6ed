"""`krasse init`: a ready project anywhere, the packaged stock layouts, and a real non-editable install."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

from pipeline.config import SCHEMA, parse_config
from pipeline.layouts import project_layouts, stock_layouts
from pipeline.scaffold import config_text
from tests.conftest import ROOT, krasse


def test_init_then_build_check_export_archive(tmp_path: Path) -> None:
    target = tmp_path / "mein-newsletter"
    result = krasse(tmp_path, "init", str(target), "--name", "Linkpost")
    assert result.exit_code == 0, result.output
    assert "next: cd" in result.output
    copied = {p.relative_to(target / "layouts"): p.read_bytes() for p in (target / "layouts").rglob("*") if p.is_file()}
    assert copied == {p.relative_to(stock_layouts()): p.read_bytes() for p in stock_layouts().rglob("*") if p.is_file()}
    assert (target / "outbox").is_dir() and "outbox/" in (target / ".gitignore").read_text()
    for command in (["build"], ["check"], ["export", "1"], ["archive"]):
        done = krasse(target, *command)
        assert done.exit_code == 0, (command, done.output)
        assert "warning" not in done.output.replace("0 warning", ""), (command, done.output)
    html = next((target / "outbox").glob("001-*/email.html")).read_text()
    assert "Linkpost" in html and "Beispielweg 1" in html  # name and imprint came from the new config


def test_config_names_every_key_and_uncommented_gives_the_defaults(tmp_path: Path) -> None:
    text = config_text()
    for key in SCHEMA:
        table, name = key.split(".", 1)
        assert re.search(rf"^\[{table}\]$", text, re.M)
        assert re.search(rf"^(# )?{re.escape(name)} = ", text, re.M), key
    # Every commented key line, uncommented, is valid and means the default.
    opened = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.M)
    values = parse_config(opened, tmp_path / "newsletter.toml").values
    assert values["email.clip_budget"] == SCHEMA["email.clip_budget"].default
    assert values["archive.out"] == "outbox/archive"
    assert tomllib.loads(text)["footer"]["imprint"]


def test_init_refuses_an_existing_project_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    result = krasse(tmp_path, "init", str(project))
    assert result.exit_code == 1 and "init-exists" in result.output
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_init_never_overwrites_a_file_in_a_folder_that_has_some(tmp_path: Path) -> None:
    target = tmp_path / "halb"
    (target / "layouts").mkdir(parents=True)
    (target / "layouts" / "email.css.j2").write_text("/* meins */")
    result = krasse(tmp_path, "init", str(target))
    assert result.exit_code == 1 and "layouts/email.css.j2" in result.output
    assert (target / "layouts" / "email.css.j2").read_text() == "/* meins */"
    assert not (target / "newsletter.toml").exists()


def test_init_with_a_name_that_needs_quoting(tmp_path: Path) -> None:
    target = tmp_path / "nl"
    assert krasse(tmp_path, "init", str(target), "--name", 'Der "Brief": Folge \\ 1').exit_code == 0
    assert krasse(target, "check").exit_code == 0
    meta = json.loads(krasse(target, "build", "--format", "json").output)
    assert meta["ok"] and meta["built"] == 1
    subject = (target / "issues/001-die-erste-ausgabe.md").read_text("utf-8").split("subject: ", 1)[1].split("\n")[0]
    assert json.loads(subject) == 'Der "Brief": Folge \\ 1 No. 1: Die erste Ausgabe'


def test_init_in_a_folder_with_other_files_is_fine(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("mein Projekt\n")
    assert krasse(tmp_path, "init", str(tmp_path)).exit_code == 0
    assert (tmp_path / "README.md").read_text() == "mein Projekt\n"


def test_project_without_layouts_uses_the_stock_layouts(project: Path) -> None:
    shutil.rmtree(project / "layouts")
    assert project_layouts(project) == stock_layouts()
    assert krasse(project, "build").exit_code == 0
    assert krasse(project, "archive").exit_code == 0
    stock = (ROOT / "layouts" / "archive-search.js").read_bytes()
    assert (project / "outbox" / "archive" / "search.js").read_bytes() == stock


def test_own_layouts_win(project: Path) -> None:
    layout = project / "layouts" / "email.txt.j2"
    layout.write_text(layout.read_text() + "\nEIGENES LAYOUT\n")
    assert krasse(project, "build").exit_code == 0
    assert "EIGENES LAYOUT" in (project / "outbox" / "041-plattform-daemmerung" / "email.txt").read_text()


def test_pyproject_lists_every_package() -> None:
    """`packages` is an explicit list (for the mapped stock layouts); a new subpackage must be in it."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "pipeline").rglob("__init__.py")}
    assert found <= listed
    assert "pipeline.stock_layouts" in listed


def _run(args: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    old_setuptools = "bdist_wheel" in done.stderr
    hint = "reinstall the test extras: pip install -e '.[test]' (setuptools>=70.1)" if old_setuptools else ""
    assert done.returncode == 0, (args, done.stdout, done.stderr, hint)
    return done


def test_fresh_non_editable_install_runs_outside_the_repository(tmp_path: Path) -> None:
    """Build a wheel from a copy of the sources, install it into a new venv, use it in an empty folder.

    The new venv sees this environment's dependencies through a .pth line (no network, seconds not
    minutes); `krasse-links` itself comes only from the wheel, which the test asserts.
    """
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("pipeline", "layouts"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)], tmp_path, env)
    wheel = next((tmp_path / "dist").glob("krasse_links-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_run([python, "-c", purelib], tmp_path, env).stdout.strip())
    # Dependencies only: plain path lines do not run the .pth files (the editable finder) in those
    # folders, and the venv's own site-packages comes first, so `pipeline` is the wheel's.
    deps = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]
    (site / "_deps.pth").write_text("".join(f"{p}\n" for p in [sysconfig.get_path("purelib"), *deps]))
    _run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], tmp_path, env)
    where = _run([python, "-c", "import pipeline; print(pipeline.__file__)"], tmp_path, env).stdout
    assert where.startswith(str(site)), where
    packaged = site / "pipeline" / "stock_layouts"
    stock = {p.name: p.read_bytes() for p in (ROOT / "layouts").iterdir() if p.is_file()}
    assert {p.name: p.read_bytes() for p in packaged.iterdir() if p.is_file()} == stock
    work = tmp_path / "leer"
    work.mkdir()
    krasse_bin = str(venv / "bin" / "krasse")
    _run([krasse_bin, "init", "nl"], work, env)
    project = work / "nl"
    for command in (["build"], ["check"], ["export", "1"], ["archive"]):
        _run([krasse_bin, *command], project, env)
    assert list((project / "outbox").glob("001-*/email.html"))
    assert (project / "outbox" / "archive" / "feed.xml").is_file()
    # Without layouts/ the packaged ones are used.
    shutil.rmtree(project / "layouts")
    _run([krasse_bin, "build"], project, env)
