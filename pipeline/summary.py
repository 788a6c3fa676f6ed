"""What a command says at the end: one summary line (Hugo's manners) and grouped repeated warnings.

Pure functions over findings and counts; the CLI prints their results, or their dicts as JSON.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pipeline.errors import Finding

if TYPE_CHECKING:
    from pipeline.archive.site import ArchiveResult
    from pipeline.export.bundle import Exported

# A rule that fires this often in one file is shown once, with its lines.
GROUP_FROM = 3
SHOWN_LINES = 12


@dataclass
class Summary:
    verb: str  # "built", "exported", "archived"
    done: int = 0  # issues built, exported or in the archive
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason → stems
    failed: list[str] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0

    def count(self, findings: list[Finding]) -> Summary:
        self.errors += sum(f.is_error for f in findings)
        self.warnings += sum(not f.is_error for f in findings)
        return self

    def line(self) -> str:
        """`3 built, 1 skipped (draft: 044), 0 errors, 41 warnings in 0.4 s`."""
        parts = [f"{self.done} {self.verb}"]
        skipped = sum(len(s) for s in self.skipped.values())
        if skipped:
            why = "; ".join(f"{why}: {_names(stems)}" for why, stems in self.skipped.items())
            parts.append(f"{skipped} skipped ({why})")
        if self.failed:
            parts.append(f"{len(self.failed)} failed ({_names(self.failed)})")
        parts.append(_plural(self.errors, "error"))
        parts.append(_plural(self.warnings, "warning"))
        took = f"{self.seconds * 1000:.0f} ms" if self.seconds < 0.1 else f"{self.seconds:.1f} s"
        return f"{', '.join(parts)} in {took}"

    def as_dict(self) -> dict:
        return {
            self.verb: self.done,
            "skipped": {reason: list(stems) for reason, stems in self.skipped.items()},
            "failed": list(self.failed),
            "errors": self.errors,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _names(stems: list[str], shown: int = 5) -> str:
    """`044, 045, …`: a summary stays one line however many issues it names."""
    names = [_short(s) for s in stems[:shown]]
    return ", ".join(names) + (f", … ({len(stems) - shown} more)" if len(stems) > shown else "")


def _short(stem: str) -> str:
    """`044-entwurf` → `044`: the number is what an author recognises in a summary."""
    head = stem.split("-", 1)[0]
    return head if head.isdigit() else stem


def grouped(findings: list[Finding]) -> list[Finding]:
    """Warnings of one rule repeated in one file become one finding: `×40: lines 3, 9, … — first message`.

    Errors are never grouped: each one needs fixing where it is. Order is kept (by first occurrence).
    """
    runs: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if not f.is_error:
            runs[(f.file, f.rule)].append(f)
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for f in findings:
        key = (f.file, f.rule)
        same = runs.get(key, [])
        if f.is_error or len(same) < GROUP_FROM:
            out.append(f)
        elif key not in seen:
            seen.add(key)
            lines = sorted({s.line for s in same})
            shown = ", ".join(str(n) for n in lines[:SHOWN_LINES]) + (", …" if len(lines) > SHOWN_LINES else "")
            out.append(replace(f, message=f"×{len(same)}: lines {shown} — e.g. {f.message}"))
    return out


def _listed(findings: list[Finding]) -> list[dict]:
    return [f.as_dict() for f in findings]


def build_report(summary: Summary, issues: list[dict], findings: list[Finding]) -> dict:
    """`krasse build --format json`: each issue's outcome, every finding, the summary counts."""
    return {"ok": not summary.failed, "issues": issues, "findings": _listed(findings), **summary.as_dict()}


def export_report(summary: Summary, done: Exported, findings: list[Finding]) -> dict:
    """`krasse export --format json`: where the bundle is and what to do with it next."""
    return {
        "ok": True,
        "issue": done.issue.stem,
        "esp": done.profile.key,
        "state": "written" if done.changed else "unchanged",
        "folder": str(done.folder),
        "zip": str(done.zip_path),
        "next_step": done.profile.import_,
        "findings": _listed(findings),
        **summary.as_dict(),
    }


def archive_report(summary: Summary, result: ArchiveResult, where: str, findings: list[Finding]) -> dict:
    """`krasse archive --format json`: the site folder, what was rendered, written and removed."""
    return {
        "ok": result.ok,
        "out": where,
        "issues": result.issues,
        "rendered": result.rendered,
        "written": len(result.written),
        "removed": len(result.removed),
        "search_bytes": result.search_bytes,
        "findings": _listed(findings),
        **summary.as_dict(),
    }
