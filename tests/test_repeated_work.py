"""Work a command did once already is not done again, with the same results as before.

The issues folder is listed once per command: same files, same order and same findings as the
three `Path.glob` calls it replaced (kept here as the reference). The stale-output check at the end
of a build uses what loading found out about drafts instead of opening every file again."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import copy_project, krasse
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import WARNING, Finding, display_path
from pipeline.load import scan
from pipeline.output import reserved_name


def _glob_candidates(issues_dir: Path, pattern: str) -> list[Path]:
    return sorted(
        (
            p
            for p in issues_dir.glob(pattern)
            if (p.is_file() or (p.is_symlink() and not p.exists())) and not p.name.startswith((".", "_"))
        ),
        key=lambda p: os.path.normcase(p.name),
    )


def _glob_scan(issues_dir: Path, reserved: set[str]) -> tuple[list[Path], list[Finding]]:
    paths = [p for p in _glob_candidates(issues_dir, "*.md") if p.name[:1].isdigit()]
    found = []
    for path in _glob_candidates(issues_dir, "*.md"):
        if path.stem in reserved:
            found.append(reserved_name(path))
        elif not path.name[:1].isdigit():
            message = (
                "not built: an issue file starts with its number, like 045-titel.md; rename it "
                "(a name starting with _ marks a file to leave alone)"
            )
            found.append(Finding(display_path(path), 0, "file-name", message, WARNING))
    for path in _glob_candidates(issues_dir, "*.markdown"):
        message = f"not built: issue files end in .md; rename it to {path.stem}.md"
        found.append(Finding(display_path(path), 0, "file-name", message, WARNING))
    return paths, found


STEMS = st.sampled_from(["001-a", "2-b", "export", "archive", "notiz", "_entwurf", ".versteckt", "Ä-1", "10", "x.y"])
SUFFIXES = st.sampled_from([".md", ".markdown", ".MD", ".txt", "", ".md.bak", ".mdx"])
KINDS = st.sampled_from(["file", "dir", "link", "dangling", "loop", "dirlink"])


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.tuples(STEMS, SUFFIXES).map("".join), KINDS, max_size=8))
def test_one_listing_finds_what_the_globs_found(entries: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "issues"
        (folder / "sub").mkdir(parents=True)
        (folder / "target.txt").write_text("x", encoding="utf-8")
        for name, kind in entries.items():
            path = folder / name
            if kind == "file":
                path.write_text("---\n", encoding="utf-8")
            elif kind == "dir":
                path.mkdir()
            elif kind == "link":
                path.symlink_to(folder / "target.txt")
            elif kind == "dangling":
                path.symlink_to(folder / "nirgends")
            elif kind == "loop":
                path.symlink_to(path)
            else:
                path.symlink_to(folder / "sub")
        assert scan(folder, {"export", "archive"}) == _glob_scan(folder, {"export", "archive"})
        shutil.rmtree(folder)
        assert scan(folder) == ([], []) == _glob_scan(folder, set())  # a missing folder lists nothing


def test_stale_check_after_a_build_opens_no_issue_file_again(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import clean
    from pipeline.build import load_issues
    from pipeline.config import load_config

    assert krasse(project, "build").exit_code == 0
    (project / "issues/041-plattform-daemmerung.md").unlink()
    draft = project / "issues/043-kurz-und-buendig.md"
    draft.write_text(draft.read_text("utf-8").replace("tags: [kurz]", "tags: [kurz]\ndraft: true"), "utf-8")
    config = load_config(project)
    expected = clean.stale_outputs(config)
    assert [(s.folder.name, s.why) for s in expected] == [
        ("041-plattform-daemmerung", "deleted"),
        ("043-kurz-und-buendig", "draft"),
    ]
    every = load_issues(config)
    one = load_issues(config, [project / "issues/042-der-moment.md"])
    opened: list[str] = []
    for name in ("read_issue", "peek_not_draft"):
        real = getattr(clean, name)
        monkeypatch.setattr(clean, name, lambda p, real=real: opened.append(p.name) or real(p))
    assert clean.stale_outputs(config, every.draft_of) == expected and opened == []
    # One issue built: the others' heads were peeked for their numbers; only the maybe-drafts are read.
    assert clean.stale_outputs(config, one.draft_of) == expected
    assert sorted(set(opened)) == ["043-kurz-und-buendig.md", "044-entwurf.md"]


def _peek_reference(path: Path) -> str | None:
    """The head peek as it was: every `---` line of the head found, the first two kept."""
    import re

    head = path.read_bytes()[: 64 * 1024].decode("utf-8-sig", errors="replace")
    head = head.replace("\r\n", "\n").replace("\r", "\n")
    bounds = list(re.finditer(r"^-{3,}[ \t]*$", head, re.M))[:2] if head.startswith("---") else []
    if len(bounds) < 2 or bounds[0].start() != 0:
        return None
    return head[bounds[0].end() : bounds[1].start()]


LINES = st.sampled_from(["---", "----  ", "--- x", "number: 5", "draft: true", "", "Text", "\r", " ---"])


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_head_peek_stops_at_the_second_rule_with_the_same_result(lines: list[str], newline: str) -> None:
    from pipeline.load import _peek_front_matter

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "001-x.md"
        path.write_bytes(newline.join(lines).encode("utf-8"))
        assert _peek_front_matter(path) == _peek_reference(path)


def test_a_broken_front_matter_is_read_once_and_its_body_still_checked(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.build import load_issues
    from pipeline.config import load_config

    path = empty_project / "issues/005-kaputt.md"
    path.write_text("---\nnumber: 5\ntitle: [offen\n---\n\n[hier](https://example.org)\n", encoding="utf-8")
    config = load_config(empty_project)
    reads: list[str] = []
    for name in ("open", "read_bytes"):
        real = getattr(Path, name)
        monkeypatch.setattr(Path, name, lambda self, *a, real=real, **k: reads.append(self.name) or real(self, *a, **k))
    loaded = load_issues(config)
    assert {(f.rule, f.line) for f in loaded.findings} == {("fm-yaml", 3), ("link-text-vague", 6)}
    assert reads.count("005-kaputt.md") == 1


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=6))
def test_sender_name_and_subject_refuse_the_same_header_breaks(text: str) -> None:
    """One test for both (it was written twice), compared with the old one. A subject is stripped
    first (`\x1f` at its end is whitespace to Python), a name is not."""
    import unicodedata

    from pipeline.config import Invalid, _one_line
    from pipeline.load import _Header, _header_text

    def old(value: str) -> str | None:
        return next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)

    if not text.strip():
        return  # refused for being empty, in both places
    try:
        _header_text(text)
        assert old(text.strip()) is None
    except _Header as exc:
        bad = old(text.strip())
        assert bad is not None and f"{bad!r} at position {text.strip().index(bad) + 1}" in str(exc)
    try:
        _one_line(text)
        assert old(text) is None
    except Invalid as exc:
        assert old(text) is not None and "cannot go into an email header" in str(exc)


def test_the_writer_refuses_a_reserved_name_with_the_loaders_finding(tmp_path: Path) -> None:
    from pipeline.errors import PipelineError
    from pipeline.output import issue_dir

    for stem in ("archive", "export"):
        with pytest.raises(PipelineError) as caught:
            issue_dir(tmp_path / "outbox", stem)
        assert caught.value.findings == [reserved_name(Path("issues") / f"{stem}.md")]
        (finding,) = caught.value.findings
        assert (finding.file, finding.rule) == (f"issues/{stem}.md", "output-path")
        assert f"like 045-{stem}.md" in finding.message
    assert issue_dir(tmp_path / "outbox", "045-archiv") == (tmp_path / "outbox/045-archiv").resolve()


def _old_next_number(issues_dir: Path) -> int:
    import re

    from pipeline.load import issue_paths, read_issue

    highest = 0
    for path in issue_paths(issues_dir):
        issue, _ = read_issue(path)
        if issue is not None:
            highest = max(highest, issue.number)
        elif m := re.match(r"(\d+)", path.name):
            highest = max(highest, int(m.group(1)))
    return highest + 1


def _old_taken(issues_dir: Path) -> dict[int, Path]:
    import re

    from pipeline.load import issue_paths, read_issue

    numbers: dict[int, Path] = {}
    for path in issue_paths(issues_dir):
        issue, _ = read_issue(path)
        if issue is not None:
            numbers.setdefault(issue.number, path)
        elif m := re.match(r"(\d+)-", path.name):
            numbers.setdefault(int(m.group(1)), path)
    return numbers


NAMES = st.sampled_from(["001-a.md", "7.md", "12abc.md", "030-b.md", "4-c.md", "99_x.md", "5-.md"])
CONTENT = st.one_of(st.integers(1, 120), st.just("kaputt"))


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(NAMES, CONTENT, max_size=6))
def test_new_and_import_count_numbers_in_use_as_before(files: dict[str, int | str]) -> None:
    from pipeline.config import load_config
    from pipeline.importer.write import _taken
    from pipeline.newissue import next_number

    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "p", issues=False)
        folder = root / "issues"
        for name, number in files.items():
            head = f"number: {number}\ntitle: T\ndate: 2026-01-05" if number != "kaputt" else "number: ["
            (folder / name).write_text(f"---\n{head}\n---\n\nText.\n", encoding="utf-8")
        assert next_number(folder) == _old_next_number(folder)
        assert _taken(load_config(root)) == _old_taken(folder)


def test_client_lint_reads_the_layouts_once_per_change(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.build import load_issues, prepare
    from pipeline.config import load_config
    from pipeline.errors import display_path

    css = project / "layouts/email.css.j2"
    css.write_text(css.read_text(encoding="utf-8") + ".c p { display: flex; }\n", encoding="utf-8")
    config = load_config(project)
    issue = load_issues(config, [project / "issues/043-kurz-und-buendig.md"]).issues[0]

    def flex(found: list) -> list[tuple[str, int]]:
        return [(f.file, f.line) for f in found if "css-display-flex" in f.message]

    first = flex(prepare(issue, config).findings)
    assert first == [(display_path(css), len(css.read_text(encoding="utf-8").splitlines()))]
    reads: list[str] = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self.name) or real(self, *a, **k))
    assert flex(prepare(issue, config).findings) == first
    assert "email.css.j2" not in reads and "email-dark.css.j2" not in reads  # the issue file is still read
    css.write_text("/* eine Zeile mehr */\n" + css.read_text(encoding="utf-8"), encoding="utf-8")
    assert flex(prepare(issue, config).findings) == [(first[0][0], first[0][1] + 1)]  # a changed layout is read


@pytest.mark.parametrize("force", [False, True])
def test_export_takes_the_typed_merge_tags_check_found(
    empty_project: Path, monkeypatch: pytest.MonkeyPatch, force: bool
) -> None:
    """Without --esp, export judges the issue for the service `check` did: not a second time."""
    from test_send_safety import TYPED_BODY, write

    from pipeline.build import load_issues
    from pipeline.config import load_config
    from pipeline.errors import ERROR, PipelineError
    from pipeline.export import bundle, services

    write(empty_project, "001-vorlagen.md", TYPED_BODY)
    config = load_config(empty_project)
    issue = load_issues(config).issues[0]
    profile = services.choose(services.current_profiles(config.root), config["export.esp"])
    expected = services.typed_syntax(issue, profile, WARNING if force else ERROR)
    assert expected and all(f.rule == "merge-tag-typed" for f in expected)
    calls: list[str] = []
    real = services.typed_syntax
    monkeypatch.setattr(services, "typed_syntax", lambda *a, **k: calls.append("typed") or real(*a, **k))
    if force:
        exported = bundle.plan_export(config, "1", force=True)
        assert [f for f in exported.findings if f.rule == "merge-tag-typed"] == expected
    else:
        with pytest.raises(PipelineError) as caught:
            bundle.plan_export(config, "1")
        assert caught.value.findings == expected
    assert calls == ["typed"]  # by `check`, inside the export's gate
    with pytest.raises(PipelineError) as caught:  # another service: judged for that one
        bundle.plan_export(config, "1", esp_name="mailchimp")
    assert caught.value.findings == services.typed_syntax(
        issue, services.current_profiles(config.root)["mailchimp"], ERROR
    )
