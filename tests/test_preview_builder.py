"""Rebuilds into the preview state: last good render kept, errors shown, nothing raised."""

from __future__ import annotations

from pathlib import Path

from conftest import visible_parts

from pipeline.preview.builder import Builder, preview_html
from pipeline.preview.state import PreviewState
from pipeline.preview.watcher import Batch

STEM = "043-kurz-und-buendig"


def _setup(project: Path) -> tuple[Builder, PreviewState, Path]:
    state = PreviewState()
    builder = Builder(project.resolve(), state)
    builder.run(Batch(everything=True))
    return builder, state, project.resolve() / "issues" / f"{STEM}.md"


def test_first_build_covers_drafts_and_writes_the_outbox(project: Path) -> None:
    _, state, _ = _setup(project)
    views = state.views()
    assert [v.number for v in views] == [44, 43, 42, 41]  # newest first
    draft = state.get("044-entwurf")
    assert draft is not None and draft.draft and draft.html is not None
    assert (project / "outbox" / "044-entwurf" / "email.html").read_text(encoding="utf-8").startswith("<!doctype")
    assert all(v.errors == () and v.version == 1 for v in views)


def test_images_point_at_the_preview_server(project: Path) -> None:
    _, state, _ = _setup(project)
    view = state.get("041-plattform-daemmerung")
    assert view is not None and view.images
    for rel in view.images:
        assert f'src="/issue/041-plattform-daemmerung/files/{rel}"' in view.html
    assert "https://krasse-links.example/archiv/images/" not in view.html


def test_preview_html_rewrites_only_known_images() -> None:
    html = '<img src="https://x.example/a/images/k%20k.png"><img src="https://x.example/a/other.png">'
    out = preview_html(html, "https://x.example/a", frozenset({"images/k k.png"}), "7-x")
    assert out == '<img src="/issue/7-x/files/images/k%20k.png"><img src="https://x.example/a/other.png">'


def test_bad_save_keeps_the_last_good_render_and_names_the_line(project: Path) -> None:
    builder, state, path = _setup(project)
    good = state.get(STEM)
    epoch = state.epoch
    text = path.read_text(encoding="utf-8")
    line = [x.startswith("date:") for x in text.splitlines()].index(True) + 1
    path.write_text(text.replace("date:", "date: : :", 1), encoding="utf-8")
    [outcome] = builder.run(Batch(frozenset({path})))
    view = state.get(STEM)
    assert state.epoch == epoch + 1
    assert outcome.errors and outcome.errors[0].line == line and outcome.errors[0].rule == "fm-yaml"
    assert view.errors == outcome.errors
    assert view.html == good.html and view.version == good.version  # the last good render stays

    path.write_text(path.read_text(encoding="utf-8").replace("date: : :", "date:", 1) + "\nNachtrag.\n")
    [outcome] = builder.run(Batch(frozenset({path})))
    view = state.get(STEM)
    assert not outcome.errors and view.errors == ()
    assert "Nachtrag." in view.html and view.version == good.version + 1


def test_broken_layout_fails_every_issue_then_recovers(project: Path) -> None:
    builder, state, _ = _setup(project)
    layout = project / "layouts" / "email.mjml.j2"
    original = layout.read_text(encoding="utf-8")
    layout.write_text(original.replace("{%- endfor %}", "{%- endfor", 1), encoding="utf-8")
    outcomes = builder.run(Batch(everything=True))
    assert len(outcomes) == 4
    assert all(o.errors and o.errors[0].rule == "layout-syntax" for o in outcomes)
    assert all(v.html is not None and v.errors for v in state.views())
    layout.write_text(original, encoding="utf-8")
    assert not any(o.errors for o in builder.run(Batch(everything=True)))
    assert all(v.errors == () for v in state.views())


def test_broken_config_is_a_project_wide_error(project: Path) -> None:
    builder, state, _ = _setup(project)
    config = project / "newsletter.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("clip_budget = 100000", 'clip_budget = "viel"'), encoding="utf-8")
    [outcome] = builder.run(Batch(everything=True))
    assert outcome.stem == "newsletter.toml"
    assert state.errors and state.errors[0].rule == "config-value" and state.errors[0].line > 0
    assert len(state.views()) == 4  # renders stay visible
    config.write_text(original, encoding="utf-8")
    builder.run(Batch(everything=True))
    assert state.errors == ()


def test_deleted_and_new_issues(project: Path) -> None:
    builder, state, path = _setup(project)
    new = path.with_name("045-neu.md")
    new.write_text(path.read_text(encoding="utf-8").replace("number: 43", "number: 45"), encoding="utf-8")
    path.unlink()
    outcomes = builder.run(Batch(frozenset({path, new.resolve()})))
    assert {o.stem: o.removed for o in outcomes} == {STEM: True, "045-neu": False}
    assert state.get(STEM) is None and state.get("045-neu").number == 45


def test_duplicate_number_is_an_error_on_the_saved_file(project: Path) -> None:
    builder, state, path = _setup(project)
    path.write_text(path.read_text(encoding="utf-8").replace("number: 43", "number: 42"), encoding="utf-8")
    [outcome] = builder.run(Batch(frozenset({path})))
    assert outcome.errors[0].rule == "dup-number"
    assert state.get(STEM).html is not None


def test_a_crash_inside_the_pipeline_is_caught_and_reported(project: Path, monkeypatch, caplog) -> None:
    """Fault injection: whatever a stage raises, the builder reports it and the next save works."""
    import pipeline.preview.builder as builder_module

    builder, state, path = _setup(project)
    good = state.get(STEM)
    real = builder_module.build_one

    def explode(issue, config):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(builder_module, "build_one", explode)
    [outcome] = builder.run(Batch(frozenset({path})))
    assert outcome.errors[0].rule == "preview-internal" and "RuntimeError: kaputt" in outcome.errors[0].message
    assert state.get(STEM).html == good.html
    assert "kaputt" in caplog.text  # logged with its traceback for the bug report

    monkeypatch.setattr(builder_module, "build_one", real)
    [outcome] = builder.run(Batch(frozenset({path})))
    assert not outcome.errors and state.get(STEM).errors == ()


def test_image_url_written_as_text_is_shown_as_written(project: Path) -> None:
    """The preview points the email's image URLs at itself; the same URL written as text (prose,
    code span) is the author's and the preview shows it as the reader will read it."""
    url = "https://krasse-links.example/archiv/images/kurve.png"
    (project / "issues" / "050-bild.md").write_text(
        f'---\nnumber: 50\ntitle: "Bild"\ndate: 2026-11-02\npreheader: "Ein Vorschautext, der lang genug ist."\n---\n\n'
        f"Einleitung mit genug Wörtern für alles.\n\n---\n\n![Kurve](images/kurve.png)\n\n"
        f"Das Bild liegt unter {url} im Archiv, im Code: `{url}`.\n",
        encoding="utf-8",
    )
    _, state, _ = _setup(project)
    view = state.get("050-bild")
    assert view is not None and view.html is not None and view.errors == ()
    shown = " ".join("".join(visible_parts(view.html)).split())
    assert f"Das Bild liegt unter {url} im Archiv, im Code: {url}." in shown
    assert 'src="/issue/050-bild/files/images/kurve.png"' in view.html  # the image itself loads from here
