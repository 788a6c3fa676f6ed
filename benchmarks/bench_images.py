"""Build of one issue with 20 local images, each in a fresh process (a `krasse build` run).

Prints the median wall and CPU time of `build_one` (render, checks, write, image copies) and how
often Pillow opened an image file. Images are read once per process at most after the tidy round.
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


if __name__ == "__main__":
    main()
