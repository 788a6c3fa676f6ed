"""The `krasse` command line: parses options, calls plain functions, prints findings.

Exit codes: 0 done; 1 the input has errors (findings printed); 2 wrong usage.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from pipeline.build import build_one, load_issues, prepare
from pipeline.config import Config, load_config
from pipeline.errors import Finding, PipelineError, has_errors
from pipeline.newissue import create_issue

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_findings(findings: list[Finding], stream: Console | None = None) -> None:
    out = stream or err_console
    for f in findings:
        style = "red" if f.is_error else "yellow"
        out.print(f"[{style}]{escape(str(f))}[/{style}]", markup=True, highlight=False)


def fail(findings: list[Finding]) -> None:
    print_findings(findings)
    sys.exit(1)


def open_config(ctx: click.Context) -> Config:
    try:
        config = load_config(ctx.obj["root"])
    except PipelineError as exc:
        fail(exc.findings)
    print_findings(config.warnings)
    return config


def issue_args(paths: tuple[str, ...]) -> list[Path]:
    return [Path(p).resolve() for p in paths]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--project",
    "root",
    default=".",
    type=click.Path(file_okay=False, exists=True),
    help="Project folder (with newsletter.toml). Default: the current folder.",
)
@click.version_option(package_name="krasse-links")
@click.pass_context
def cli(ctx: click.Context, root: str) -> None:
    """Krasse Links: write issues in Markdown, get send-ready email and a web archive.

    Exit codes: 0 done, 1 errors in the input (printed as file:line), 2 wrong usage.
    """
    ctx.ensure_object(dict)
    ctx.obj["root"] = Path(root)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@click.option("--drafts", is_flag=True, help="Include issues with draft: true.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.pass_context
def build(ctx: click.Context, paths: tuple[str, ...], drafts: bool, quiet: bool) -> None:
    """Build the email of each issue into outbox/<issue>/.

    PATHS default to every non-draft issue in issues/. A bad issue is reported and
    skipped; the others are still built. Exit 1 if any issue failed.
    """
    config = open_config(ctx)
    loaded = load_issues(config, issue_args(paths), drafts)
    print_findings(loaded.findings)
    failed = has_errors(loaded.findings)
    for issue in loaded.issues:
        built = build_one(issue, config)
        print_findings(built.findings)
        if built.email is None or has_errors(built.findings):
            failed = True
            continue
        if not quiet:
            warnings = sum(not f.is_error for f in built.findings)
            budget = config["email.clip_budget"]
            console.print(
                f"{issue.stem}: {built.email.bytes:,} bytes ({built.email.bytes / budget:.0%} of clip budget), "
                f"{warnings} warning{'s' if warnings != 1 else ''}, {built.seconds * 1000:.0f} ms"
                f" → {built.out_dir and built.out_dir.relative_to(config.root)}"
            )
    if not loaded.issues and not loaded.findings and not quiet:
        console.print("no issues to build (drafts are skipped unless --drafts)")
    sys.exit(1 if failed else 0)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@click.option("--drafts", is_flag=True, help="Include issues with draft: true.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], drafts: bool, fmt: str) -> None:
    """Lint issues: front matter, links, images, footnotes, preheader, clip budget.

    Every finding has a rule id, a severity and file:line. Exit 1 if any is an error.
    """
    config = open_config(ctx)
    loaded = load_issues(config, issue_args(paths), drafts)
    findings = list(loaded.findings)
    for issue in loaded.issues:
        findings.extend(prepare(issue, config).findings)
    findings.sort(key=lambda f: (f.file, f.line, f.rule))
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
    else:
        print_findings(findings, console)
        errors = sum(f.is_error for f in findings)
        console.print(f"{len(loaded.issues)} issue(s) checked: {errors} error(s), {len(findings) - errors} warning(s)")
    sys.exit(1 if has_errors(findings) else 0)


@cli.command()
@click.option("--title", default="Neue Ausgabe", show_default=True, help="Title of the new issue.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Send date (default: today).")
@click.pass_context
def new(ctx: click.Context, title: str, day: dt.datetime | None) -> None:
    """Create issues/<NNN>-<slug>.md with the next free number; never overwrites."""
    config = open_config(ctx)
    try:
        path = create_issue(config, title, (day.date() if day else dt.date.today()))
    except PipelineError as exc:
        fail(exc.findings)
    console.print(f"created {path.relative_to(config.root)}")


def main() -> None:
    cli(prog_name="krasse")
