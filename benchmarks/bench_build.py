"""How long each build stage takes, and how big the output is, for generated 5, 24 and 60 KB issues.

    python3 benchmarks/bench_build.py [--runs 15]

Prints median milliseconds per stage over the runs and the output ratios (email.html bytes and
email.txt bytes per Markdown byte; the HTML target for a 24 KB issue is 2.3 or less). No asserts:
the figures are for people.
"""

from __future__ import annotations

import argparse
import re
import statistics
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
    print("where the email.html bytes go")
    for size, parts in details.items():
        total = parts["total"]
        print(
            f"{size // 1000:>6}KB " + ", ".join(f"{k} {v} ({v / total:.0%})" for k, v in parts.items() if k != "total")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
