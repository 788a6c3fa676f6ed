"""Benchmark `krasse archive` on 1,000 generated issues: full build, no-op rebuild, one-issue rebuild.

Targets (2 cores): full build ≤ 5 s, no-op rebuild ≤ 0.1 s, one-issue rebuild ≤ 0.2 s. Prints the
median of several runs of each with ok/MISSED, the CPU time (steadier than wall time on a shared
machine), and the sizes that matter to readers (search index, one page).

Usage: python benchmarks/bench_archive.py [--count 1000] [--runs 3] [--target-bytes 24000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import write_corpus  # noqa: E402

from pipeline.archive import ArchiveResult, build_archive  # noqa: E402
from pipeline.config import load_config  # noqa: E402

TARGETS = {"full build": 5.0, "no-op rebuild": 0.1, "one-issue rebuild": 0.2}


def project(directory: Path, count: int, target_bytes: int) -> Path:
    """A throwaway project: the real config and layouts, generated issues."""
    shutil.copy(ROOT / "newsletter.toml", directory / "newsletter.toml")
    shutil.copytree(ROOT / "layouts", directory / "layouts")
    write_corpus(directory / "issues", count, target_bytes)
    return directory


def cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(step: Callable[[], ArchiveResult]) -> tuple[float, float, ArchiveResult]:
    """Wall time and CPU time (this process and its workers): on a busy machine the two differ."""
    start, start_cpu = time.perf_counter(), cpu()
    result = step()
    elapsed, used = time.perf_counter() - start, cpu() - start_cpu
    if not result.ok:
        raise SystemExit("\n".join(str(f) for f in result.findings))
    return elapsed, used, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target-bytes", type=int, default=24_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = project(Path(tmp), args.count, args.target_bytes)
        config = load_config(root)
        out = root / config["archive.out"]
        source = sum(p.stat().st_size for p in (root / "issues").glob("*.md"))
        print(f"{args.count} issues, {source / 1e6:.1f} MB of Markdown, {os.cpu_count()} CPU(s), {args.runs} runs each")
        times: dict[str, list[float]] = {name: [] for name in TARGETS}
        cpus: dict[str, list[float]] = {name: [] for name in TARGETS}
        edited = root / "issues" / f"{args.count // 2:04d}-generiert.md"
        original = edited.read_text("utf-8")
        for run in range(args.runs):
            shutil.rmtree(out, ignore_errors=True)
            seconds, used, full = timed(lambda: build_archive(config))
            times["full build"].append(seconds)
            cpus["full build"].append(used)
            seconds, used, noop = timed(lambda: build_archive(config))
            assert not noop.written, noop.written
            times["no-op rebuild"].append(seconds)
            cpus["no-op rebuild"].append(used)
            edited.write_text(original.replace("\n\n", f"\n\nNachtrag {run}: ein neuer Satz.\n\n", 1), "utf-8")
            seconds, used, one = timed(lambda: build_archive(config))
            times["one-issue rebuild"].append(seconds)
            cpus["one-issue rebuild"].append(used)
            edited.write_text(original, "utf-8")
        load = os.getloadavg()[0]
        print(f"load average at the end: {load:.1f} (other work on the machine slows the wall times)")
        print(f"{'step':<20}{'median':>9}{'target':>9}{'CPU':>9}  wall times of the runs")
        for name, values in times.items():
            median = statistics.median(values)
            verdict = "ok" if median <= TARGETS[name] else "MISSED"
            runs = ", ".join(f"{v:.2f}" for v in values)
            used = statistics.median(cpus[name])
            print(f"{name:<20}{median:>8.2f}s{TARGETS[name]:>8.1f}s{used:>8.2f}s  {runs}  {verdict}")
        print(f"one-issue rebuild wrote {len(one.written)} file(s): {', '.join(p.name for p in one.written[:8])}")
        index = (out / "search-index.js").read_bytes()
        page = (out / str(args.count // 2) / "index.html").read_bytes()
        manifest = (out / ".krasse-archive.json").stat().st_size
        print(
            f"search-index.js: {len(index) / 1e6:.2f} MB, {len(gzip.compress(index)) / 1e6:.2f} MB gzipped "
            f"({len(index) / source:.0%} of the Markdown)"
        )
        print(
            f"one issue page: {len(page) / 1e3:.0f} KB; manifest: {manifest / 1e6:.1f} MB; "
            f"pages rendered in the full build: {full.rendered}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
