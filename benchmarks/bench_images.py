"""What local images cost a cold `krasse build`: one issue with N photos and screenshots.

    python3 benchmarks/bench_images.py [--images 20] [--runs 9] [--code DIR ...]

The issue has N local images of realistic sizes (1200–2400 px wide): JPEG photos (gradients and
grain, no white border) and PNG screenshots (a white page with text bars and a coloured panel,
the kind the dark-mode hint is for). Each run is `python -m pipeline build <issue>` in a fresh
process, start to exit, wall time and the child's CPU time (user + system: steadier on a shared
machine), after one untimed run that writes the bytecode and fills the user cache, as any later
build finds them. Two cases:
- "new images": every image file is touched before the runs (as after an edit or a checkout), so
  nothing a build learnt about an image before counts;
- "same images": the images are as the previous run left them.
With several `--code` folders (a worktree of another version) the runs alternate between them,
so a before/after comparison sees the same machine load. Prints medians; no asserts.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent


def photo(rnd: random.Random, width: int, height: int) -> Image.Image:
    """Smooth light and colour with grain: nothing white at the border."""
    channels = []
    for _ in range(3):
        gradient = Image.linear_gradient("L").rotate(rnd.uniform(0, 360)).resize((width, height))
        lo, hi = rnd.randint(20, 90), rnd.randint(150, 220)
        channels.append(gradient.point([lo + v * (hi - lo) // 255 for v in range(256)]))
    image = Image.merge("RGB", channels)
    grain = Image.effect_noise((width, height), 18).convert("RGB")
    return Image.blend(image, grain, 0.15).filter(ImageFilter.SMOOTH)


def screenshot(rnd: random.Random, width: int, height: int) -> Image.Image:
    """A white page with lines of dark text bars and one coloured panel."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    margin = width // 20
    for y in range(margin, height - margin, 28):
        x = margin
        while x < width - margin - 40:
            word = rnd.randint(20, 110)
            draw.rectangle((x, y, min(x + word, width - margin), y + 12), fill=(40, 40, 48))
            x += word + 12
    panel = (width // 3, height // 3, width // 3 + width // 4, height // 3 + height // 5)
    draw.rectangle(panel, fill=(30, 110, 200))
    return image


def project(dest: Path, count: int) -> tuple[Path, list[Path]]:
    rnd = random.Random(13)
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "newsletter.toml", dest / "newsletter.toml")
    shutil.copytree(ROOT / "layouts", dest / "layouts")
    (dest / "issues/images").mkdir(parents=True)
    lines, files = [], []
    for n in range(count):
        width = rnd.randrange(1200, 2401, 8)
        height = width * rnd.choice([9, 10, 12]) // 16
        if n % 2:
            path = dest / f"issues/images/bildschirm-{n}.png"
            screenshot(rnd, width, height).save(path, optimize=False)
        else:
            path = dest / f"issues/images/foto-{n}.jpg"
            photo(rnd, width, height).save(path, quality=85)
        files.append(path)
        lines.append(f"## Punkt {n}\n\nEin kurzer Absatz zu Bild {n}.\n\n![Bild {n}](images/{path.name})\n")
    front = "---\nnumber: 7\ntitle: Bilder\ndate: 2026-03-01\nsubject: Bilder über Bilder\n---\n\n"
    issue = dest / "issues/007-bilder.md"
    issue.write_text(front + "\n".join(lines), encoding="utf-8")
    return issue, files


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--code", type=Path, action="append", help="a krasse source folder (default: this one)")
    args = parser.parse_args()
    codes = [c.resolve() for c in args.code or [ROOT]]
    with tempfile.TemporaryDirectory() as tmp:
        issue, files = project(Path(tmp) / "p", args.images)
        megapixels = sum(Image.open(f).width * Image.open(f).height for f in files) / 1e6
        kilobytes = sum(f.stat().st_size for f in files) // 1000
        print(f"{args.images} images, {megapixels:.1f} Mpx, {kilobytes:,} KB; median of {args.runs} runs, alternated")
        results: dict[tuple[Path, str], list[tuple[float, float]]] = {}
        envs = {}
        for n, code in enumerate(codes):
            env = dict(os.environ, PYTHONPATH=str(code), KRASSE_CACHE_DIR=str(Path(tmp) / f"cache-{n}"))
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            envs[code] = env
            command = [sys.executable, "-m", "pipeline", "build", str(issue)]
            subprocess.run(command, cwd=issue.parent.parent, env=env, check=True, capture_output=True)
        for _ in range(args.runs):
            for path in files:
                os.utime(path)
            time.sleep(3.2)  # older than a few seconds, as an image is by the time it is built again
            for case in ("new images", "same images"):
                for code in codes:
                    command = [sys.executable, "-m", "pipeline", "build", str(issue)]
                    results.setdefault((code, case), []).append(timed(command, issue.parent.parent, envs[code]))
        for (code, case), runs in results.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            print(f"{code}  {case:11}: cold build median {wall * 1000:6.0f} ms wall, {cpu * 1000:6.0f} ms CPU")


if __name__ == "__main__":
    main()
