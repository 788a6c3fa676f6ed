"""How fast hostile or huge issues are refused: the inputs of issue 11, at their original sizes.

    python3 benchmarks/bench_limits.py [--runs 5]

Each case is written to a temporary issue file, then read and prepared exactly as `krasse build`
does (no output is written). Prints the median milliseconds to the answer, the peak Python memory,
and the rule that answered. No asserts: the figures are for people; the tests check the rules.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.build import prepare  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.load import read_issue  # noqa: E402

HEAD = '---\nnumber: 2\ntitle: "Grenzfall"\ndate: 2026-01-05\n---\n\nEinleitung.\n\n---\n\n'


def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"tags: [{','.join([f'*a{levels - 1}'] * 9)}]")
    return "---\nnumber: 2\ntitle: Bombe\ndate: 2026-01-05\n" + "\n".join(lines) + "\n---\n\nText.\n"


def footnotes(count: int) -> str:
    refs = "".join(f"Satz {i}[^{i}].\n" for i in range(count))
    return HEAD + refs + "\n" + "".join(f"[^{i}]: Anmerkung {i}.\n" for i in range(count))


def table(rows: int, cols: int) -> str:
    return HEAD + "|" + "a|" * cols + "\n|" + "-|" * cols + "\n" + ("|" + "x|" * cols + "\n") * rows


def within_budget_table() -> str:
    return table(20, 10)


CASES = {
    "alias bomb, 9 levels (405 B)": lambda: alias_bomb(9),
    "number with 5,000 digits": lambda: HEAD.replace("number: 2", "number: " + "9" * 5000),
    "raw HTML nested 12,000 deep (132 KB)": lambda: HEAD + "<div>" * 12000 + "x" + "</div>" * 12000 + "\n",
    "100,000 footnotes (2.7 MB)": lambda: footnotes(100_000),
    "1,001 footnotes": lambda: footnotes(1_001),
    "table 5000×200 (2 MB)": lambda: table(5000, 200),
    "table 100×30": lambda: table(100, 30),
    "4.4 MB of prose": lambda: HEAD + ("Ein Absatz mit gewöhnlichem Text darin. " * 20 + "\n\n") * 5400,
    "table 20×10 (within budgets)": within_budget_table,
}


def one_run(path: Path, config) -> tuple[float, int, str]:
    tracemalloc.start()
    start = time.perf_counter()
    issue, found = read_issue(path)
    if issue is not None:
        built = prepare(issue, config)
        found = [f for f in built.findings if f.is_error]
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, found[0].rule if found else "built"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    config = load_config(ROOT)
    print(f"median of {args.runs} runs")
    print(f"{'case':<40} {'bytes':>10} {'ms':>9} {'peak MB':>8}  answer")
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in CASES.items():
            path = Path(tmp) / "issues" / "002-grenzfall.md"
            path.parent.mkdir(exist_ok=True)
            path.write_text(make(), encoding="utf-8")
            runs = [one_run(path, config) for _ in range(args.runs)]
            ms = statistics.median(r[0] for r in runs) * 1000
            peak = statistics.median(r[1] for r in runs) / 2**20
            print(f"{name:<40} {path.stat().st_size:>10,} {ms:>9.1f} {peak:>8.1f}  {runs[-1][2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
