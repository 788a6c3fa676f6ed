"""The watcher's rules: which saves matter, how bursts coalesce, when a batch is due."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from pipeline.preview.watcher import EVERYTHING, Batch, Debouncer, Pending, classify, is_noise, watch

ROOT = Path("/p")


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("issues/042-der-moment.md", Path("/p/issues/042-der-moment.md")),
        ("newsletter.toml", EVERYTHING),
        ("layouts/email.mjml.j2", EVERYTHING),
        ("layouts/partials/head.j2", EVERYTHING),
        ("issues/images/kurve.png", EVERYTHING),
        ("issues/.042-der-moment.md.swp", None),
        ("issues/042-der-moment.md~", None),
        ("issues/.#042-der-moment.md", None),
        ("issues/4913", None),
        ("issues/sedX1b2c3", None),  # sed -i's temp file: no rebuild of everything
        ("issues/images/Kurve.JPG", EVERYTHING),
        ("issues/_vorlage.md", None),
        ("issues/alt/041.md", None),
        ("layouts/.email.mjml.j2.tmp", None),
        ("outbox/042-der-moment/email.html", None),
        ("README.md", None),
        (".git/index", None),
    ],
)
def test_classify(rel: str, expected: object) -> None:
    assert classify(ROOT / rel, ROOT) == expected


def test_classify_ignores_paths_outside_the_project() -> None:
    assert classify(Path("/elsewhere/issues/1.md"), ROOT) is None


def test_noise_names() -> None:
    assert is_noise(".hidden") and is_noise("x.md~") and is_noise("x.swp") and is_noise("4913")
    assert not is_noise("042-der-moment.md")


def test_pending_waits_for_quiet_and_coalesces() -> None:
    pending = Pending()
    assert pending.due(0.0, 0.04, 1.0) is None
    a = ROOT / "issues/a.md"
    for t in (0.000, 0.010, 0.020):
        pending.add(a, t)
    assert pending.due(0.030, 0.04, 1.0) == pytest.approx(0.030)  # 0.020 + 0.04 - 0.030
    assert pending.due(0.060, 0.04, 1.0) == 0.0
    assert pending.take() == Batch(frozenset({a}), everything=False)
    assert not pending and pending.due(1.0, 0.04, 1.0) is None


def test_pending_everything_wins_and_keeps_issues() -> None:
    pending = Pending()
    pending.add(ROOT / "issues/a.md", 0.0)
    pending.add(EVERYTHING, 0.01)
    pending.add(ROOT / "issues/b.md", 0.02)
    batch = pending.take()
    assert batch.everything
    assert batch.issues == {ROOT / "issues/a.md", ROOT / "issues/b.md"}


def test_pending_builds_anyway_after_the_longest_wait() -> None:
    """A file rewritten every 10 ms forever must still show up, not starve the build."""
    pending = Pending()
    t = 0.0
    while t < 0.5:
        pending.add(ROOT / "issues/a.md", t)
        t += 0.01
    assert pending.due(t, quiet=0.04, longest=0.5) == 0.0
    assert pending.due(t, quiet=0.04, longest=5.0) > 0


def test_debouncer_returns_one_batch_after_a_burst() -> None:
    debouncer = Debouncer(quiet=0.05)
    paths = [ROOT / f"issues/{i % 3}.md" for i in range(20)]

    def burst() -> None:
        for path in paths:
            debouncer.record(path)
            time.sleep(0.003)

    writer = threading.Thread(target=burst)
    start = time.monotonic()
    writer.start()
    batch = debouncer.next_batch(timeout=5)
    writer.join()
    assert batch is not None and batch.issues == set(paths)
    assert time.monotonic() - start >= 0.05  # not before the burst went quiet
    assert debouncer.next_batch(timeout=0.1) is None  # nothing left over


def test_debouncer_close_releases_the_build_thread() -> None:
    debouncer = Debouncer()
    result: list[object] = ["unset"]
    thread = threading.Thread(target=lambda: result.__setitem__(0, debouncer.next_batch()))
    thread.start()
    time.sleep(0.05)
    debouncer.close()
    thread.join(timeout=2)
    assert not thread.is_alive() and result[0] is None


def _batch_after(debouncer: Debouncer, action) -> Batch:
    action()
    batch = debouncer.next_batch(timeout=5)
    assert batch is not None, "no file-system event arrived"
    return batch


def test_real_events_from_editor_style_saves(project: Path) -> None:
    """watchdog → classify → debounce, with the ways editors really save."""
    root = project.resolve()
    issue = root / "issues" / "043-kurz-und-buendig.md"
    debouncer = Debouncer(quiet=0.05)
    observer = watch(root, debouncer)
    try:
        time.sleep(0.1)
        # plain write
        batch = _batch_after(debouncer, lambda: issue.write_text(issue.read_text() + "\nEins.\n"))
        assert batch == Batch(frozenset({issue}))

        # temp file + rename over the original (Vim's backupcopy=no, many IDEs)
        def rename_over() -> None:
            tmp = issue.with_name(".043-kurz-und-buendig.md.tmp")
            tmp.write_text(issue.read_text() + "\nZwei.\n")
            os.replace(tmp, issue)

        assert _batch_after(debouncer, rename_over) == Batch(frozenset({issue}))

        # truncate, then write in a second step
        def truncate_then_write() -> None:
            text = issue.read_text()
            with issue.open("w") as handle:
                handle.flush()
                os.fsync(handle.fileno())
                handle.write(text + "\nDrei.\n")

        assert _batch_after(debouncer, truncate_then_write) == Batch(frozenset({issue}))

        layout = root / "layouts" / "email.txt.j2"
        assert _batch_after(debouncer, lambda: layout.write_text(layout.read_text())).everything
        config = root / "newsletter.toml"
        assert _batch_after(debouncer, lambda: config.write_text(config.read_text())).everything
        # output written by the build itself is not watched
        (root / "outbox" / "x.html").write_text("x")
        assert debouncer.next_batch(timeout=0.3) is None
    finally:
        observer.stop()
        observer.join()


def test_pending_builds_sooner_after_a_finished_write() -> None:
    pending = Pending()
    pending.add(ROOT / "issues/a.md", 0.0)
    assert pending.due(0.0, 0.03, 1.0, closed_quiet=0.005) == pytest.approx(0.03)  # still writing?
    pending.add(ROOT / "issues/a.md", 0.001, closed=True)  # closed after writing
    assert pending.due(0.001, 0.03, 1.0, closed_quiet=0.005) == pytest.approx(0.005)
    assert pending.due(0.006, 0.03, 1.0, closed_quiet=0.005) == 0.0
    pending.add(ROOT / "issues/a.md", 0.004)  # a second write starts: the full quiet period again
    assert pending.due(0.006, 0.03, 1.0, closed_quiet=0.005) == pytest.approx(0.028)
    pending.take()
    assert not pending.closed


def _batch_without_quiet_period(debouncer: Debouncer, action) -> Batch:
    """The batch, if it comes without the (stopped-clock, endless) quiet period; else fail."""
    result: list[Batch | None] = []
    thread = threading.Thread(target=lambda: result.append(debouncer.next_batch()))
    thread.start()
    action()
    thread.join(timeout=5)
    if thread.is_alive():
        debouncer.close()
        thread.join()
        pytest.fail("the save waited for the quiet period")
    assert result and result[0] is not None
    return result[0]


def test_a_finished_save_needs_no_quiet_period(project: Path) -> None:
    """With the clock stopped the quiet period never ends: only a finished write is built."""
    root = project.resolve()
    issue = root / "issues" / "043-kurz-und-buendig.md"
    debouncer = Debouncer(quiet=60, longest=60, clock=lambda: 0.0, closed_quiet=0.0)
    observer = watch(root, debouncer)
    try:
        time.sleep(0.1)
        batch = _batch_without_quiet_period(debouncer, lambda: issue.write_text(issue.read_text() + "\nEins.\n"))
        assert batch == Batch(frozenset({issue}))

        def rename_over() -> None:
            tmp = issue.with_name(".043-kurz-und-buendig.md.tmp")
            tmp.write_text(issue.read_text() + "\nZwei.\n")
            os.replace(tmp, issue)

        time.sleep(0.05)  # the first save's last events are in
        assert issue in _batch_without_quiet_period(debouncer, rename_over).issues
    finally:
        observer.stop()
        observer.join()
