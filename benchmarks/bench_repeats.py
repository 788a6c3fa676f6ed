"""Work a command repeats: images and the issues folder.

1. Build of one issue with 20 local images, each in a fresh process (a `krasse build` run): the
   median wall and CPU time of `build_one` (render, checks, write, image copies) and how often
   Pillow opened an image file.
2. `krasse build <one file>` in a folder of 1,000 issues, without the build itself: loading (the
   others' numbers are peeked for duplicates) plus the stale-output check at the end, median CPU.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FOLDER = r"""
import json, sys, time
from pathlib import Path
from pipeline.build import load_issues
from pipeline.clean import warnings
from pipeline.config import load_config
config = load_config(Path(sys.argv[1]))
one = sorted((config.issues_dir).glob("*.md"))[len(sys.argv[1]) % 7]
runs = []
for _ in range(int(sys.argv[2])):
    c = time.process_time()
    loaded = load_issues(config, [one])
    try:
        found = warnings(config, loaded.draft_of)
    except (AttributeError, TypeError):  # before the round: no draft_of
        found = warnings(config)
    runs.append(time.process_time() - c)
assert loaded.issues and not found
print(json.dumps(sorted(runs)[len(runs) // 2]))
"""

CHILD = r"""
import json, sys, time
from pathlib import Path
import PIL.Image
opens = 0
_open = PIL.Image.open
def counted(*a, **k):
    global opens
    opens += 1
    return _open(*a, **k)
PIL.Image.open = counted
from pipeline.build import build_one, load_issues
from pipeline.config import load_config
config = load_config(Path(sys.argv[1]))
loaded = load_issues(config)
w, c = time.perf_counter(), time.process_time()
built = build_one(loaded.issues[0], config)
w, c = time.perf_counter() - w, time.process_time() - c
assert built.ok, built.findings
print(json.dumps({"wall": w, "cpu": c, "opens": opens}))
"""


def project(dest: Path, count: int) -> Path:
    from PIL import Image

    dest.mkdir(parents=True)
    shutil.copy(ROOT / "newsletter.toml", dest / "newsletter.toml")
    shutil.copytree(ROOT / "layouts", dest / "layouts")
    (dest / "issues/images").mkdir(parents=True)
    lines = []
    for n in range(count):
        Image.new("RGB", (800 + n, 400), (20 * (n % 12), 90, 160)).save(dest / f"issues/images/b{n}.png")
        lines.append(f"## Punkt {n}\n\nEin kurzer Absatz zum Bild Nummer {n}.\n\n![Diagramm {n}](images/b{n}.png)\n")
    front = "---\nnumber: 7\ntitle: Bilder\ndate: 2026-03-01\nsubject: Bilder über Bilder\n---\n\n"
    (dest / "issues/007-bilder.md").write_text(front + "\n".join(lines), encoding="utf-8")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--issues", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = project(Path(tmp) / "p", args.images)
        runs = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", CHILD, str(root)], capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout))
    wall = statistics.median(r["wall"] for r in runs) * 1000
    cpu = statistics.median(r["cpu"] for r in runs) * 1000
    print(
        f"build of one issue with {args.images} images, fresh process ×{args.runs}: "
        f"median {wall:.1f} ms wall, {cpu:.1f} ms CPU; Pillow opens per build: {runs[0]['opens']}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "p"
        (root / "outbox").mkdir(parents=True)
        shutil.copy(ROOT / "newsletter.toml", root / "newsletter.toml")
        shutil.copytree(ROOT / "layouts", root / "layouts")
        generate = [sys.executable, str(ROOT / "benchmarks/generate.py"), "--target-bytes", "4000"]
        subprocess.run(
            [*generate, "--count", str(args.issues), "--out", str(root / "issues")], check=True, capture_output=True
        )
        out = subprocess.run([sys.executable, "-c", FOLDER, str(root), str(args.runs)], capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr)
    print(f"one issue of {args.issues}: load + stale-output check, median {json.loads(out.stdout) * 1000:.1f} ms CPU")


if __name__ == "__main__":
    main()
