"""How long each build stage takes, and how big the output is, for generated 5, 24 and 60 KB issues.

    python3 benchmarks/bench_build.py [--runs 15] [--cold-runs 7]

Prints median milliseconds per stage over the runs, the output ratios (email.html bytes and
email.txt bytes per Markdown byte; the HTML target for a 24 KB issue is 2.3 or less), and the
targets with ok/MISSED:
- the whole `prepare()` of a 24 KB issue, in a warm process, each run on an issue it has not seen
  before (same size, another seed): median ≤ 7 ms;
- that time divided by the Node `mjml` compiler's render of the same MJML, measured in the same
  run: ≤ 1.5 (a ratio is steadier than milliseconds on a shared machine). The reference is found
  through KRASSE_MJML_NODE (the `mjml` package folder) or in /tmp/mjml-node/node_modules/mjml;
  install it with `npm install --prefix /tmp/mjml-node mjml`. Without Node or mjml it says so;
- a cold `krasse build` of one issue, process start to exit: median ≤ 0.4 s.
And, for the ratio: how much of prepare() is the Markdown parse and how much the mail steps, and
the ratio prepare() would have if the parse cost nothing (the most any faster Markdown engine could give).
No asserts: the figures are for people.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate_issue  # noqa: E402

import pipeline.render  # noqa: E402
from pipeline.build import prepare  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.load import decode, parse_issue  # noqa: E402
from pipeline.mail.compose import _context, _css, build_email, environment, render_layout  # noqa: E402
from pipeline.mail.inline import inline_css  # noqa: E402
from pipeline.mail.minify import minify  # noqa: E402
from pipeline.mail.mjml import mjml_to_html  # noqa: E402
from pipeline.markdown import parse, render_html  # noqa: E402
from pipeline.render import render  # noqa: E402
from pipeline.text import render_text  # noqa: E402

SIZES = [5_000, 24_000, 60_000]
STAGES = ["read+validate", "markdown", "text", "layout", "mjml", "inline", "minify", "total"]
TARGET_PREPARE_MS = 7.0  # whole prepare() of the 24 KB issue
TARGET_NODE_RATIO = 1.5  # prepare() / Node mjml's render of the same MJML
TARGET_COLD_S = 0.4  # `krasse build` of one issue, process start to exit
NODE_MJML = Path(os.environ.get("KRASSE_MJML_NODE", "/tmp/mjml-node/node_modules/mjml"))


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def prepare_ms(size: int, config, runs: int, tmp: str) -> tuple[list[float], list[float], dict[str, list[float]]]:
    """The whole in-process build of one issue, as `check`, preview and export call it: warm process,
    new content. Each timed run builds an issue it has never seen (another seed, same size), so the
    figure is what the first build of a fresh issue costs; caches of what all issues share (layout,
    CSS rules, compiled selectors, the language model) are warm, as in a preview session or an
    archive worker, while per-paragraph results (e.g. the language guard's) are not reused."""

    def fresh(seed: int):
        path = Path(tmp) / f"002-fresh-{seed}.md"
        source = generate_issue(2, size, seed, True, False)
        path.write_text(source, encoding="utf-8")
        issue, found = parse_issue(source, path)
        assert issue is not None, found
        return issue

    for seed in range(1000, 1003):
        prepare(fresh(seed), config)
    times, cpu = [], []
    parts: dict[str, list[float]] = {"markdown parse": [], "mail steps": []}
    timed_parse = _TimedParse()
    pipeline.render.parse = timed_parse  # the same call prepare() makes, timed from inside it
    try:
        for seed in range(2000, 2000 + runs):
            issue = fresh(seed)
            timed_parse.ms = 0.0
            start, start_cpu = time.perf_counter(), time.process_time()
            built = prepare(issue, config)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            parts["markdown parse"].append(timed_parse.ms)
            parts["mail steps"].append(sum(built.email.timings.values()) * 1000)
    finally:
        pipeline.render.parse = parse
    return times, cpu, parts


class _TimedParse:
    """pipeline.markdown.parse, adding up its milliseconds: the part a faster Markdown engine could remove."""

    def __init__(self) -> None:
        self.ms = 0.0

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return parse(*args, **kwargs)
        finally:
            self.ms += (time.perf_counter() - start) * 1000


def node_mjml_ms(mjml: str, runs: int) -> tuple[str, list[float]] | str:
    """(version, per-run ms) of Node's mjml on the same MJML, or why it could not run."""
    node = shutil.which("node")
    if node is None:
        return "Node is missing (no `node` on PATH)"
    if not (NODE_MJML / "package.json").is_file():
        return (
            f"Node's mjml is missing at {NODE_MJML} (npm install --prefix /tmp/mjml-node mjml, or set KRASSE_MJML_NODE)"
        )
    with tempfile.NamedTemporaryFile("w", suffix=".mjml", encoding="utf-8", delete=False) as f:
        f.write(mjml)
    try:
        done = subprocess.run(
            [node, str(Path(__file__).with_name("mjml_node.js")), str(NODE_MJML), f.name, str(runs)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        os.unlink(f.name)
    if done.returncode != 0:
        return f"Node's mjml failed: {done.stderr.strip()[:200]}"
    data = json.loads(done.stdout)
    return data["version"], data["ms"]


def cold_build_s(runs: int) -> tuple[list[float], list[float]]:
    """`python -m pipeline build` of one example issue in a fresh process, start to exit: (wall, CPU) seconds.

    One untimed run first, as on any machine after the first `krasse build`: it writes the project's
    bytecode (PYTHONDONTWRITEBYTECODE is dropped for the child; with it, every run compiles the
    project's modules again) and fills the user cache (language model, compiled layouts, month
    names), here a cache folder of its own, which other krasse versions on the machine cannot
    empty between the runs. CPU time (user + system of the child) is quoted too: it is steadier
    than wall time on a shared machine."""
    wall, cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("newsletter.toml", "layouts", "issues"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, Path(tmp) / name)
        issue = sorted((Path(tmp) / "issues").glob("*.md"))[0]
        env = dict(os.environ, PYTHONPATH=str(ROOT), KRASSE_CACHE_DIR=str(Path(tmp) / "cache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        command = [sys.executable, "-m", "pipeline", "build", str(issue)]
        subprocess.run(command, cwd=tmp, env=env, capture_output=True, check=True)
        for _ in range(runs):
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, cwd=tmp, env=env, capture_output=True, check=True)
            wall.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
    return wall, cpu


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1000


def one_run(raw: bytes, path: Path, config) -> tuple[dict[str, float], str, str]:
    ms: dict[str, float] = {}

    def read():
        text, _ = decode(raw, path.name)
        issue, found = parse_issue(text, path)
        assert issue is not None, found
        return issue

    issue, ms["read+validate"] = timed(read)
    base = config["newsletter.base_url"]
    doc, t_parse = timed(lambda: parse(issue.body))
    _, t_html = timed(lambda: render_html(doc))
    ms["markdown"] = t_parse + t_html
    _, ms["text"] = timed(lambda: render_text(doc))

    rendered = render(issue, base, config["email.preheader_length"])  # the shared value layouts receive
    rendered.text  # noqa: B018 - made on first use; timed above as "text", not again as "layout"
    env = environment(config.layouts_dir)
    count = len(rendered.html.items)

    def layout():
        css, dark = _css(env, config)
        context = _context(issue, config, rendered, count, text=False)
        context["dark_css"] = Markup(dark)
        mjml = render_layout(env, "email.mjml.j2", context)
        text = render_layout(env, "email.txt.j2", _context(issue, config, rendered, count, text=True))
        return css, mjml, text

    (css, mjml, text), ms["layout"] = timed(layout)
    html, ms["mjml"] = timed(lambda: mjml_to_html(mjml))
    html, ms["inline"] = timed(lambda: inline_css(html, css))
    html, ms["minify"] = timed(lambda: minify(html))
    ms["total"] = sum(ms.values())  # the stages alone: the shared render() above is not counted twice
    return ms, html, text


def breakdown(html: str) -> dict[str, int]:
    """Where the bytes of an email go: head, layout markup, inline styles, content text."""
    total = len(html.encode())
    head = len(html.split("</head>")[0].encode())
    styles = sum(len(m.encode()) for m in re.findall(r'\sstyle="[^"]*"', html))
    conditionals = sum(len(m.encode()) for m in re.findall(r"<!--\[if.*?<!\[endif\]-->", html, re.S))
    text = len(re.sub(r"<[^>]+>", "", html.split("</head>")[1]).encode())
    return {
        "total": total,
        "head": head,
        "style attrs": styles,
        "mso conditionals": conditionals,
        "visible text": text,
        "other markup": total - head - styles - conditionals - text,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cold-runs", type=int, default=7)
    args = parser.parse_args(argv)
    config = load_config(ROOT)
    rows = []
    details = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            source = generate_issue(1, size, 7, True, False)
            path = Path(tmp) / f"001-bench-{size}.md"
            path.write_text(source, encoding="utf-8")
            raw = path.read_bytes()
            md_bytes = len(raw)
            runs = [one_run(raw, path, config) for _ in range(args.runs)]
            medians = {stage: statistics.median(r[0][stage] for r in runs) for stage in STAGES}
            _, html, text = runs[-1]
            # the real thing, to be sure the benchmark measures what build writes
            issue, _ = parse_issue(raw.decode("utf-8"), path)
            email = build_email(issue, config, render(issue, config["newsletter.base_url"]))
            assert email.marked_html == html, "benchmark pipeline differs from build_email"
            rows.append((size, md_bytes, medians, len(html.encode()), len(text.encode())))
            details[size] = breakdown(html)
            if size == 24_000:
                # Node before and after ours, so both see the same machine load.
                node_before = node_mjml_ms(email.mjml, args.runs)
                ours, ours_cpu, parts = prepare_ms(size, config, args.runs * 4, tmp)
                node_after = node_mjml_ms(email.mjml, args.runs)
    cold, cold_cpu = cold_build_s(args.cold_runs) if args.cold_runs else ([], [])

    print(f"median of {args.runs} runs, milliseconds per stage")
    header = f"{'issue':>8} {'md bytes':>9} " + " ".join(f"{s:>13}" for s in STAGES)
    print(header)
    print("-" * len(header))
    for size, md_bytes, medians, _, _ in rows:
        print(f"{size // 1000:>6}KB {md_bytes:>9} " + " ".join(f"{medians[s]:>13.1f}" for s in STAGES))
    print()
    print(f"{'issue':>8} {'md bytes':>9} {'html bytes':>11} {'html/md':>8} {'txt bytes':>10} {'txt/md':>7}")
    for size, md_bytes, _, html_bytes, text_bytes in rows:
        flag = "  (target ≤ 2.3)" if size == 24_000 else ""
        print(
            f"{size // 1000:>6}KB {md_bytes:>9} {html_bytes:>11} {html_bytes / md_bytes:>8.2f} "
            f"{text_bytes:>10} {text_bytes / md_bytes:>7.2f}{flag}"
        )
    print()
    mine = statistics.median(ours)
    print(f"24 KB issue, whole prepare() in process, new content each run, median of {len(ours)}: {mine:.1f} ms "
          f"(target ≤ {TARGET_PREPARE_MS:g} ms) {verdict(mine, TARGET_PREPARE_MS)}; "
          f"CPU {statistics.median(ours_cpu):.1f} ms")  # fmt: skip
    if isinstance(node_before, str) or isinstance(node_after, str):
        print(f"ratio to Node mjml: not measured: {node_before if isinstance(node_before, str) else node_after}")
    else:
        version, node = node_before[0], node_before[1] + node_after[1]
        ref = statistics.median(node)
        ratio = mine / ref
        ok = verdict(ratio, TARGET_NODE_RATIO)
        print(f"Node mjml {version} render of the same MJML, median of {len(node)}: {ref:.1f} ms; "
              f"ratio prepare()/Node {ratio:.2f} (target ≤ {TARGET_NODE_RATIO:g}) {ok}")  # fmt: skip
        # What is left if the Markdown parse cost nothing: when this is over the target, no Markdown engine
        # alone can meet it.
        rest = statistics.median(t - p for t, p in zip(ours, parts["markdown parse"], strict=True))
        print(f"  of prepare(): Markdown parse (markdown-it-py, the project's rules, language marking) "
              f"{statistics.median(parts['markdown parse']):.1f} ms, mail steps (MJML, premailer, minify) "
              f"{statistics.median(parts['mail steps']):.1f} ms; without the parse {rest:.1f} ms, "
              f"ratio {rest / ref:.2f} to Node")  # fmt: skip
    if cold:
        median = statistics.median(cold)
        runs = ", ".join(f"{t:.2f}" for t in cold)
        print(f"cold `krasse build` of one issue, median of {len(cold)}: {median:.2f} s "
              f"(target ≤ {TARGET_COLD_S:g} s) {verdict(median, TARGET_COLD_S)}  [{runs}]; "
              f"CPU {statistics.median(cold_cpu):.2f} s")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    print()
    print("where the email.html bytes go")
    for size, parts in details.items():
        total = parts["total"]
        print(
            f"{size // 1000:>6}KB " + ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in parts.items() if k != "total")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
