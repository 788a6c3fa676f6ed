"""Byte-identity check for speed work: every output for the same input, saved and compared.

    python3 benchmarks/same_output.py --save /tmp/before    # on the code before a change
    python3 benchmarks/same_output.py --compare /tmp/before # after it: lists every file that differs

Covers the example issues and generated ones (5, 24 and 60 KB, many footnotes, a split email):
email.html, email.txt, email.mjml and meta.json as `build` writes them, the export bundles of
two services, and a whole archive site. A speed change must leave all of them byte-identical
unless the change is deliberate and named.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate_issue  # noqa: E402

from pipeline.archive import build_archive  # noqa: E402
from pipeline.build import build_one, load_issues  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402

GENERATED = [  # (number, bytes, footnotes)
    (101, 5_000, 1),
    (102, 24_000, 7),
    (103, 60_000, 12),
    (104, 24_000, 45),
    (105, 180_000, 20),  # over the clip budget: split below
]
STAMP = 1_700_000_000_000_000_000  # fixed mtimes: the archive manifest records them


def project(directory: Path) -> Path:
    """The real config, layouts and example issues, plus generated issues."""
    shutil.copy(ROOT / "newsletter.toml", directory / "newsletter.toml")
    shutil.copytree(ROOT / "layouts", directory / "layouts")
    shutil.copytree(ROOT / "issues", directory / "issues")
    for number, size, notes in GENERATED:
        text = generate_issue(number, size, seed=number, footnotes=notes)
        if "\nsubject:" not in text:
            text = text.replace("---\n", f'---\nsubject: "Ausgabe {number}"\n', 1)
        if number == 105:
            text = text.replace("---\n", "---\nclip: split\n", 1)
        (directory / "issues" / f"{number}-generiert.md").write_text(text, encoding="utf-8")
    for path in (directory / "issues").rglob("*"):
        os.utime(path, ns=(STAMP, STAMP))  # the archive manifest records mtimes
    return directory


def outputs(directory: Path) -> dict[str, bytes]:
    """Build, export and archive everything; return relative path → bytes."""
    from pipeline.export.bundle import export_issue

    config = load_config(directory)
    loaded = load_issues(config, drafts=True)
    for issue in loaded.issues:
        built = build_one(issue, config)
        assert built.email is not None, built.findings
        for service in ("generic", "mailchimp"):
            try:
                out = directory / "outbox" / "export"
                export_issue(config, str(issue.path), esp_name=service, out=out, drafts=True)
            except PipelineError as exc:  # a refused export (no subject) is an output too
                (directory / "outbox" / "export").mkdir(parents=True, exist_ok=True)
                name = f"{issue.stem}-{service}.refused"
                (directory / "outbox" / "export" / name).write_text("\n".join(map(str, exc.findings)) + "\n")
    build_archive(config)
    found = {}
    for path in sorted((directory / "outbox").rglob("*")):
        if path.is_file() and path.suffix != ".zip":
            found[str(path.relative_to(directory / "outbox"))] = path.read_bytes()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="write every output into this folder")
    mode.add_argument("--compare", type=Path, help="compare every output with this folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        found = outputs(project(Path(tmp)))
        # Messages name files by absolute path: the temporary folder differs per run.
        found = {rel: data.replace(tmp.encode(), b"<project>") for rel, data in found.items()}
    for rel in [r for r in found if r.endswith(".krasse-archive.json")]:
        # The manifest's hashes cover the pipeline's own code: they move with every change, on purpose.
        data = json.loads(found[rel])
        data["site"], data["outputs"] = "", dict.fromkeys(data["outputs"], "")
        found[rel] = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    if args.save:
        shutil.rmtree(args.save, ignore_errors=True)
        for rel, data in found.items():
            (args.save / rel).parent.mkdir(parents=True, exist_ok=True)
            (args.save / rel).write_bytes(data)
        print(f"saved {len(found)} files to {args.save}")
        return 0
    saved = {str(p.relative_to(args.compare)): p.read_bytes() for p in args.compare.rglob("*") if p.is_file()}
    differ = sorted(rel for rel in set(found) | set(saved) if found.get(rel) != saved.get(rel))
    for rel in differ[:20]:
        print(f"DIFFERS: {rel}")
        old = saved.get(rel, b"").decode("utf-8", "replace").replace("><", ">\n<").splitlines()
        new = found.get(rel, b"").decode("utf-8", "replace").replace("><", ">\n<").splitlines()
        for line in list(difflib.unified_diff(old, new, lineterm="", n=0))[:12]:
            print("   ", line[:200])
    print(f"{len(found)} files compared, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
