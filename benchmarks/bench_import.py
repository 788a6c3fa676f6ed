"""How long `krasse import` takes to read one source into a draft, per format.

    python3 benchmarks/bench_import.py [--runs 7]

Builds the example issues in a temporary project, exports them for the generic service and
writes the archive, then times reading each source (convert + the no-word-lost check, no writing):
the essay's .eml (61 KB of HTML, 45 footnotes), its archive page, and a generated 24 KB plain text.
Prints medians in milliseconds. No asserts: the figures are for people.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.cli import cli  # noqa: E402
from pipeline.importer.draft import lost_words  # noqa: E402
from pipeline.importer.write import read_drafts  # noqa: E402


def plain_copy(size: int) -> str:
    """Paragraphs in the shape of a web copy: heading line, intro, items two blank lines apart."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import generate

    out = ["Krasse Links No 31.", "", "Willkommen bei Krasse Links No. 31. Heute: Pegel und Pumpen."]
    k = 0
    while sum(len(line) for line in out) < size:
        out += ["", "", " ".join(generate.REMARKS[(k + j) % len(generate.REMARKS)] for j in range(5))]
        k += 1
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        for name in ("newsletter.toml",):
            shutil.copy(ROOT / name, project / name)
        shutil.copytree(ROOT / "layouts", project / "layouts")
        shutil.copytree(ROOT / "issues", project / "issues")
        runner = CliRunner()
        for args in (["build", "-q"], ["export", "42", "--esp", "generic"], ["archive", "-q"]):
            result = runner.invoke(cli, ["-C", str(project), *args])
            assert result.exit_code == 0, result.output
        text = project / "copy.txt"
        text.write_text(plain_copy(24_000), encoding="utf-8")
        sources = {
            "essay .eml (HTML part)": project / "outbox/042-der-moment/export/generic/email.eml",
            "essay archive page": project / "outbox/archive/42/index.html",
            "24 KB plain text": text,
        }
        for label, path in sources.items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                drafts, findings = read_drafts(path, "Krasse Links")
                assert drafts and not findings and not any(lost_words(d) for d in drafts)
                times.append((time.perf_counter() - start) * 1000)
            size = path.stat().st_size / 1024
            print(f"{label:26} {size:6.1f} KB  median {statistics.median(times):6.1f} ms  (of {runs})")


if __name__ == "__main__":
    main()
