"""`krasse watch`: build everything, watch the sources, and repaint the browser on every save.

MkDocs' livereload model: the watchdog callback only records what changed (`watcher`), one build
thread waits until the changes settle, runs the real build (`builder`) and bumps the epoch of the
shared `state`; every open tab holds one event stream (`server`) and reloads its frames.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import WARNING, Finding, PipelineError
from pipeline.preview.builder import Builder, Outcome
from pipeline.preview.server import PreviewServer, is_loopback
from pipeline.preview.state import PreviewState
from pipeline.preview.watcher import Batch, Debouncer, watch

__all__ = ["Outcome", "Preview", "check_host"]

Report = Callable[[list[Outcome]], None]


def check_host(host: str, explicit: bool) -> list[Finding]:
    """Loopback is always fine; another address only when asked for by name, and then with a warning."""
    if is_loopback(host):
        return []
    if not explicit:
        raise PipelineError(
            Finding("krasse watch", 0, "preview-host", f"refusing to serve on {host}: not a loopback address")
        )
    return [
        Finding(
            "krasse watch",
            0,
            "preview-host",
            f"serving on {host}: anyone who can reach this address can read your unpublished issues",
            WARNING,
        )
    ]


class Preview:
    """The running preview: initial build, server thread, watchdog observer, build thread.

    `start()` returns once the first build is done and the server listens; `stop()` undoes it all.
    """

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        explicit_host: bool = False,
        quiet: float = 0.03,
        report: Report | None = None,
    ):
        self.warnings = check_host(host, explicit_host)
        self.root = Path(root).resolve()
        self.host, self.port = host, port
        self.state = PreviewState()
        self.builder = Builder(self.root, self.state)
        self.debouncer = Debouncer(quiet=quiet)
        self.report = report or (lambda outcomes: None)
        self.server: PreviewServer | None = None
        self._threads: list[threading.Thread] = []
        self._observer = None

    @property
    def url(self) -> str:
        assert self.server is not None, "start() first"
        return self.server.url

    def start(self) -> Preview:
        # Bind first: a busy port fails before any work; early requests wait in the backlog.
        self.server = PreviewServer((self.host, self.port), self.state, loopback_only=not self.warnings)
        self.report(self.builder.run(Batch(everything=True)))
        self._observer = watch(self.root, self.debouncer)
        self._threads = [
            threading.Thread(
                target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name="preview-http"
            ),
            threading.Thread(target=self._build_loop, daemon=True, name="preview-build"),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def _build_loop(self) -> None:
        while (batch := self.debouncer.next_batch()) is not None:
            outcomes = self.builder.run(batch)
            with contextlib.suppress(Exception):  # a broken terminal must not stop the previews
                self.report(outcomes)

    @property
    def alive(self) -> bool:
        """Both threads and the observer still run (the robustness tests ask this)."""
        return (
            bool(self._threads)
            and all(t.is_alive() for t in self._threads)
            and bool(self._observer and self._observer.is_alive())
        )

    def stop(self) -> None:
        self.debouncer.close()
        self.state.close()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self.server is not None:
            if self._threads:  # shutdown() waits for serve_forever, which must have started
                self.server.shutdown()
            self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> Preview:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
