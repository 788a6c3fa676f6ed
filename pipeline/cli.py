"""The `krasse` command line: parses options, calls plain functions, prints findings.

Exit codes: 0 done; 1 the input has errors (findings printed); 2 wrong usage.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import click

from pipeline.build import build_one, load_issues, prepare
from pipeline.config import Config, load_config
from pipeline.console import Console, escape
from pipeline.errors import Finding, PipelineError, absolute, has_errors, under_root
from pipeline.newissue import create_issue
from pipeline.summary import Summary, archive_report, build_report, export_report, grouped

console = Console()
err_console = Console(stderr=True)


def print_findings(findings: list[Finding], stream: Console | None = None) -> None:
    """Errors in red, warnings in yellow; a warning repeated in one file is shown once with its lines."""
    out = stream or err_console
    for f in grouped(findings):
        style = "red" if f.is_error else "yellow"
        out.print(f"[{style}]{escape(str(f))}[/{style}]", markup=True, highlight=False)


def fail(findings: list[Finding], fmt: str = "text") -> None:
    """Print the findings and exit 1; `json-list` is `check`'s format: the bare list of findings."""
    if fmt == "json-list":
        emit_json([f.as_dict() for f in findings])
    elif fmt == "json":
        emit_json({"ok": False, "findings": [f.as_dict() for f in findings]})
    else:
        print_findings(findings)
    sys.exit(1)


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def open_config(ctx: click.Context, fmt: str = "text", warnings: bool = True) -> Config:
    """The project's config; with `--format json` its warnings go into the JSON, not to stderr."""
    try:
        config = load_config(ctx.obj["root"])
    except PipelineError as exc:
        fail(exc.findings, fmt)
    if fmt == "text" and warnings:
        print_findings(config.warnings)
    return config


FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format (json: for scripts)."
)


def esp_option(config: Config, name: str | None) -> str | None:
    """A wrong `--esp` is wrong usage (exit 2) that lists the profiles; case does not matter."""
    if name is None:
        return None
    from pipeline.export import services

    try:
        profiles = services.current_profiles(config.root)
    except PipelineError as exc:
        fail(exc.findings)
    try:
        return services.choose(profiles, name).key
    except PipelineError as exc:
        raise click.BadParameter(exc.findings[0].message, param_hint="--esp") from None


def issue_args(paths: tuple[str, ...]) -> list[Path]:
    return [absolute(Path(p)) for p in paths]


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


@cli.command(short_help="Build the emails into outbox/.")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@click.option("--drafts", is_flag=True, help="Include issues with draft: true.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems (no per-issue or summary line).")
@FORMAT
@click.pass_context
def build(ctx: click.Context, paths: tuple[str, ...], drafts: bool, quiet: bool, fmt: str) -> None:
    """Build the email of each issue into outbox/<issue>/.

    PATHS default to every non-draft issue in issues/. A bad issue is reported and
    skipped; the others are still built. Ends with a summary line; warns about outputs
    of deleted issues (see `krasse clean`). Exit 1 if any issue failed.
    """
    from pipeline.clean import warnings as stale_warnings

    start = time.perf_counter()
    text = fmt == "text"
    config = open_config(ctx, fmt)
    loaded = load_issues(config, issue_args(paths), drafts)
    summary = Summary("built", skipped={"draft": loaded.skipped} if loaded.skipped else {})
    summary.failed = sorted({Path(f.file).stem for f in loaded.findings if f.is_error})
    findings = [*config.warnings, *loaded.findings]
    if text:
        print_findings(loaded.findings)
    results = []
    for issue in loaded.issues:
        built = build_one(issue, config)
        findings.extend(built.findings)
        if text:
            print_findings(built.findings)
        if not built.ok:
            summary.failed.append(issue.stem)
            results.append({"issue": issue.stem, "ok": False})
            if text and built.kept is not None:
                where = escape(f"outbox/{issue.stem}/")
                err_console.print(f"[red]{escape(issue.stem)}: not written; kept the last good build in {where}[/red]")
            continue
        assert built.email is not None
        summary.done += 1
        warnings = sum(not f.is_error for f in built.findings)
        budget = config["email.clip_budget"]
        out = built.out_dir.relative_to(config.root).as_posix() if built.out_dir else None
        results.append({"issue": issue.stem, "ok": True, "bytes": built.email.bytes, "out": out})
        if text and not quiet:
            console.print(
                f"{issue.stem}: {built.email.bytes:,} bytes ({built.email.bytes / budget:.0%} of clip budget), "
                f"{warnings} warning{'s' if warnings != 1 else ''}, {built.seconds * 1000:.0f} ms → {out}"
            )
    stale = stale_warnings(config, loaded.draft_of)
    findings.extend(stale)
    summary.count(findings)
    summary.seconds = time.perf_counter() - start
    if not text:
        emit_json(build_report(summary, results, findings))
    else:
        print_findings(stale)
        if not quiet:
            if not loaded.issues and not loaded.findings:
                console.print("no issues to build (drafts are skipped unless --drafts)")
            console.print(summary.line())
    sys.exit(1 if summary.failed else 0)


@cli.command(short_help="Lint issues (links, images, footnotes, …).")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, exists=True))
@click.option("--drafts", is_flag=True, help="Include issues with draft: true.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors: no warnings, no summary line.")
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], drafts: bool, fmt: str, quiet: bool) -> None:
    """Lint issues: front matter, links, images, footnotes, preheader, clip budget.

    Every finding has a rule id, a severity and file:line. Exit 1 if any is an error.
    """
    config = open_config(ctx, "json-list" if fmt == "json" else fmt, warnings=not quiet)
    loaded = load_issues(config, issue_args(paths), drafts)
    findings = [*(config.warnings if fmt == "json" else []), *loaded.findings]
    for issue in loaded.issues:
        findings.extend(prepare(issue, config).findings)
    findings.sort(key=lambda f: (f.file, f.line, f.rule))
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], ensure_ascii=False, indent=2))
    elif quiet:
        print_findings([f for f in findings if f.is_error], console)
    else:
        print_findings(findings, console)
        errors = sum(f.is_error for f in findings)
        console.print(f"{loaded.checked} issue(s) checked: {errors} error(s), {len(findings) - errors} warning(s)")
    sys.exit(1 if has_errors(findings) else 0)


@cli.command(short_help="Create a newsletter project in a folder.")
@click.argument("folder", default=".", type=click.Path(file_okay=False))
@click.option("--name", default="Mein Newsletter", show_default=True, help="Name of the newsletter (sender too).")
def init(folder: str, name: str) -> None:
    """Create a newsletter project in FOLDER: newsletter.toml, issues/ with an example, layouts/, outbox/.

    Refuses (exit 1) where a project already is, and never overwrites a file.
    Then: cd FOLDER && krasse build.
    """
    from pipeline.scaffold import init_project

    target = Path(folder)
    try:
        written = init_project(target, name)
    except PipelineError as exc:
        fail(exc.findings)
    where = escape(str(target))
    console.print(f"created {len(written)} files in {where} (newsletter.toml, issues/, layouts/, outbox/)")
    console.print(f"next: cd {where} && krasse build   (edit newsletter.toml first: sender, imprint, URL)")


@cli.command(short_help="Start the next issue (a draft).")
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


def _print_outcomes(outcomes: list) -> None:
    """One line per rebuilt issue; failures in red, one line per error with file:line."""
    stamp = time.strftime("%H:%M:%S")
    for o in outcomes:
        if o.removed:
            console.print(f"{stamp} {escape(o.stem)}: removed")
        elif o.errors:
            for f in o.errors:
                err_console.print(f"[red]{stamp} {escape(o.stem)}: {escape(str(f))}[/red]")
        else:
            plural = "s" if o.warnings != 1 else ""
            console.print(f"{stamp} {escape(o.stem)}: {o.ms:.0f} ms, {o.bytes:,} bytes, {o.warnings} warning{plural}")


@cli.command(short_help="Live preview that rebuilds on every save.")
@click.argument("path", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="0: any free port.")
@click.option("--host", default=None, help="Address to serve on (default 127.0.0.1); say it to allow others.")
@click.option("--open/--no-open", "open_browser", default=False, help="Open the preview in the web browser.")
@click.pass_context
def watch(ctx: click.Context, path: str | None, port: int, host: str | None, open_browser: bool) -> None:
    """Live preview: build every issue (drafts too), serve it, rebuild and repaint on every save.

    Watches issues/, layouts/ and newsletter.toml. PATH is an issue to open first. Ctrl-C stops.
    """
    from pipeline.preview import Preview

    open_config(ctx)  # a broken config at the start stops here, with file:line
    try:
        preview = Preview(
            ctx.obj["root"], host or "127.0.0.1", port, explicit_host=host is not None, report=_print_outcomes
        )
    except PipelineError as exc:
        fail(exc.findings)
    print_findings(preview.warnings)
    try:
        preview.start()
    except OSError as exc:
        preview.stop()
        where = escape(f"{host or '127.0.0.1'}:{port}")
        err_console.print(f"[red]cannot start the preview on {where}: {escape(str(exc))}[/red]")
        sys.exit(1)
    url = preview.url + (f"issue/{quote(Path(path).stem)}/" if path else "")
    console.print(f"preview on {url} (watching issues/, layouts/, newsletter.toml; Ctrl-C stops)")
    if open_browser:
        import webbrowser  # only here and in `open`: it is slow to import

        webbrowser.open(url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        preview.stop()
    console.print("preview stopped")


def _service_names() -> str:
    from pipeline.export.listing import builtin_names

    return ", ".join(builtin_names())


class _EspOption(click.Option):
    """`--esp`, whose help lists the built-in profiles: they are read when the help is shown, not on
    every start (parsing the profile data was 15 ms of each `krasse build`)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = f"Mailing-service profile (default: export.esp): {_service_names()}; see --list."
        return super().get_help_record(ctx)


@cli.command(short_help="List the mailing-service profiles for export.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.pass_context
def services(ctx: click.Context, fmt: str) -> None:
    """List the mailing-service profiles for `export --esp`: tags, import steps, where they were checked.

    Includes the project's own profiles from esp.toml, if there is one.
    """
    _list_services(ctx.obj["root"], fmt)


def _list_services(root: Path, fmt: str) -> None:
    from pipeline.export.listing import as_dict, describe, listing

    try:
        profiles = listing(root)
    except PipelineError as exc:
        fail(exc.findings, fmt)
    if fmt == "json":
        emit_json([as_dict(p) for p in profiles])
    else:
        console.print("\n\n".join(escape(describe(p)) for p in profiles))


@cli.command(short_help="Export one issue for a mailing service.")
@click.argument("issue", metavar="PATH|NUMBER", required=False)
@click.option("--esp", cls=_EspOption)
@click.option("--list", "list_services", is_flag=True, help="List the profiles with tags and import steps; exit.")
@click.option("--out", type=click.Path(file_okay=False), help="Write to DIR/<issue>/<esp>/ instead of the outbox.")
@click.option("--force", is_flag=True, help="Replace an export edited by hand; ship typed merge-tag syntax as typed.")
@click.option("--drafts", is_flag=True, help="Allow an issue with draft: true.")
@click.option("--to", help="`To` of email.eml (default: export.to, or a placeholder reader).")
@click.option(
    "--hosted-copy/--archive-link",
    default=None,
    help="Link the web version to the service's hosted copy, or to the archive page (default: profile).",
)
@FORMAT
@click.pass_context
def export(
    ctx: click.Context,
    issue: str,
    esp: str | None,
    out: str | None,
    force: bool,
    drafts: bool,
    to: str | None,
    hosted_copy: bool | None,
    list_services: bool,
    fmt: str,
) -> None:
    """Export one issue for a mailing service: email.html, email.txt, email.eml, meta.json, images/, zip.

    Refuses (exit 1) a draft, a missing subject or image, a missing unsubscribe link, or an email over
    the clip budget. Re-exporting writes only what changed. Ends with the service's next step and a
    summary line.
    """
    from pipeline.export.bundle import export_issue
    from pipeline.export.listing import next_step

    if list_services:
        _list_services(ctx.obj["root"], fmt)
        return
    if issue is None:
        raise click.UsageError("Missing argument 'PATH|NUMBER' (or use --list).")
    start = time.perf_counter()
    config = open_config(ctx, fmt)
    summary = Summary("exported")
    esp = esp_option(config, esp)
    try:
        done = export_issue(
            config,
            issue,
            esp_name=esp,
            out=Path(out) if out else None,
            force=force,
            drafts=drafts,
            to=to,
            hosted_copy=hosted_copy,
        )
    except PipelineError as exc:
        if fmt == "text":
            print_findings(exc.findings)
            err_console.print("[red]export not written: fix the errors above; an earlier export stays as it was[/red]")
            summary.failed.append(Path(issue).stem)
            summary.count(exc.findings).seconds = time.perf_counter() - start
            console.print(summary.line())
            sys.exit(1)
        fail([*config.warnings, *exc.findings], fmt)
    summary.done = 1
    summary.count([*config.warnings, *done.findings]).seconds = time.perf_counter() - start
    if fmt == "json":
        emit_json(export_report(summary, done, [*config.warnings, *done.findings]))
        return
    state = "written" if done.changed else "unchanged"
    print_findings(done.findings)
    console.print(f"{done.issue.stem} for {done.profile.name}: {state} → {done.folder} and {done.zip_path.name}")
    if step := next_step(done.profile):
        console.print(escape(step))
    console.print(summary.line())


@cli.command("import", short_help="Import past issues from .eml, .mbox, .html or .txt.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--number", type=click.IntRange(min=1), help="Issue number (N, N+1, … for several issues).")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Send date of the imported issue(s).")
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite an issue file or replace the issue with the same number.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the boilerplate that was dropped on purpose.")
@click.pass_context
def import_(
    ctx: click.Context,
    files: tuple[str, ...],
    number: int | None,
    day: dt.datetime | None,
    dry_run: bool,
    force: bool,
    verbose: bool,
) -> None:
    """Import past issues (.eml, .mbox, .html, .txt) into issues/<number>-<slug>.md.

    Nothing is written if any file has an error. Each imported issue is then checked like `krasse check`.
    """
    from pipeline.importer import check_planned, plan_import, report_lines, write_plan

    config = open_config(ctx)
    plan = plan_import(config, issue_args(files), number, day.date() if day else None, force)
    if not plan.ok:
        fail(plan.findings)
    for planned in plan.issues:  # a list the author asked for: each line as is, never grouped
        for line in report_lines(planned, verbose):
            err_console.print(f"[yellow]{escape(str(line))}[/yellow]", markup=True, highlight=False)
    written = [] if dry_run else write_plan(plan)
    failed = False
    for planned in plan.issues:
        where = planned.path.relative_to(config.root)
        if dry_run:
            console.print(f"would write {where} ({len(planned.text):,} characters) from {planned.draft.source}")
            console.print(escape(planned.text), markup=True)
        else:
            console.print(f"{planned.draft.source} → {where}")
        findings = check_planned(planned, config)
        print_findings(findings)
        if has_errors(findings):
            failed = True
            err_console.print(f"[red]{escape(str(where))}: the errors above need your hand[/red]")
    if not dry_run:
        console.print(f"{len(plan.issues)} issue(s) imported, {len(written)} file(s) written")
    sys.exit(1 if failed else 0)


@cli.command("send-test", short_help="Send the issue to test addresses over SMTP.")
@click.argument("issue", metavar="PATH|NUMBER")
@click.option("--to", "to", multiple=True, required=True, help="Test address; repeat for more. Only these get it.")
@click.option("--esp", help="Mailing-service profile whose checks apply (default: export.esp).")
@click.option("--force", is_flag=True, help="Send typed merge-tag syntax as typed.")
@click.option("--drafts", is_flag=True, help="Allow an issue with draft: true.")
@click.pass_context
def send_test(ctx: click.Context, issue: str, to: tuple[str, ...], esp: str | None, force: bool, drafts: bool) -> None:
    """Build the issue's .eml in memory (same checks as export) and send it to the --to addresses over SMTP.

    The export folder is not touched; each send has the time of sending as Date and its own Message-ID.

    SMTP settings come from [smtp] in newsletter.toml; the password only from the environment
    variable named by smtp.password_env.
    """
    from pipeline.export.sendtest import send_test as send

    config = open_config(ctx)
    esp = esp_option(config, esp)
    try:
        sent, reply = send(config, issue, list(to), esp, force, drafts)
    except PipelineError as exc:
        fail(exc.findings)
    print_findings(sent.findings)
    console.print(
        f"sent {escape(sent.issue.stem)} ({escape(sent.profile.name)} checks, built in memory; the export folder "
        f"is untouched) to {escape(', '.join(to))}; server replied: {escape(reply)}"
    )


@cli.command(short_help="Build the web archive with search and feed.")
@click.option("--out", type=click.Path(file_okay=False), help="Site folder (default: archive.out).")
@click.option("--base-url", help="Public URL of the site (default: newsletter.base_url).")
@click.option("--drafts", is_flag=True, help="Include issues with draft: true.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@FORMAT
@click.pass_context
def archive(ctx: click.Context, out: str | None, base_url: str | None, drafts: bool, quiet: bool, fmt: str) -> None:
    """Build the web archive: a page per issue, index with search, feed.xml, sitemap.xml.

    Only what changed is rewritten. If any issue or layout has an error, nothing is
    written and the previous site stays as it was (exit 1).
    """
    from rich.progress import Progress

    from pipeline.archive import build_archive
    from pipeline.config import SCHEMA, Config, Invalid

    start = time.perf_counter()
    text = fmt == "text"
    config = open_config(ctx, fmt)
    if base_url is not None:
        try:
            url = SCHEMA["newsletter.base_url"].validate(base_url)
        except Invalid as exc:
            raise click.BadParameter(str(exc), param_hint="--base-url") from None
        config = Config(config.root, {**config.values, "newsletter.base_url": url}, config.warnings)
    with Progress(console=console.rich, transient=True, disable=quiet or not text or not console.is_terminal) as bar:
        task = bar.add_task("Ausgaben", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = build_archive(config, Path(out) if out else None, drafts, advance)
    summary = Summary("archived").count([*config.warnings, *result.findings])
    summary.seconds = time.perf_counter() - start
    where = under_root(result.out, config.root)
    if result.ok:
        summary.done = result.issues
    if not text:
        emit_json(archive_report(summary, result, where, [*config.warnings, *result.findings]))
        sys.exit(0 if result.ok else 1)
    print_findings(result.findings)
    if not result.ok:
        err_console.print("[red]archive not written: fix the errors above; the previous site is unchanged[/red]")
        if not quiet:
            console.print(summary.line())
        sys.exit(1)
    if not quiet:
        console.print(
            f"archive: {result.issues} issue(s), {result.rendered} page(s) rendered, {len(result.written)} file(s) "
            f"written, {len(result.removed)} removed, search index {result.search_bytes / 1024:,.0f} KB, "
            f"{result.seconds * 1000:,.0f} ms → {where}/index.html"
        )
        console.print(summary.line())


@cli.command("open", short_help="Open a built email or archive page in the browser.")
@click.argument("issue", metavar="[PATH|NUMBER]", required=False)
@click.option(
    "--archive", "in_archive", is_flag=True, help="Open the issue's archive page (without an issue: the index)."
)
@click.option("--print", "print_only", is_flag=True, help="Print the file's URL instead of opening a browser.")
@click.pass_context
def open_(ctx: click.Context, issue: str | None, in_archive: bool, print_only: bool) -> None:
    """Open the built email of an issue in the web browser (default: the newest built issue).

    Opens what `build` (or, with --archive, `archive`) wrote; it builds nothing itself.
    """
    from pipeline.locate import archive_page, email_page

    config = open_config(ctx)
    try:
        page = archive_page(config, issue) if in_archive else email_page(config, issue)
    except PipelineError as exc:
        fail(exc.findings)
    url = page.resolve().as_uri()
    if print_only:
        click.echo(url)
        return
    console.print(f"opening {escape(url)}")
    import webbrowser  # only here and in watch --open: it is slow to import

    if not webbrowser.open(url):
        err_console.print("[yellow]no web browser found; open the address above yourself[/yellow]")


@cli.command(short_help="Remove outputs of deleted issues and new drafts.")
@click.option("--dry-run", "-n", is_flag=True, help="Only list what would be removed.")
@click.pass_context
def clean(ctx: click.Context, dry_run: bool) -> None:
    """Remove outbox/ folders of issues that were deleted or renamed, or became drafts.

    Only folders krasse made are touched; the archive cleans its own pages when built.
    """
    from pipeline.clean import describe, remove, stale_outputs

    config = open_config(ctx)
    stale = stale_outputs(config)
    for s in stale:
        if not dry_run:
            try:
                remove(s)
            except OSError as exc:
                err_console.print(f"[red]cannot remove {escape(str(s.folder))}: {escape(str(exc))}[/red]")
                sys.exit(1)
        console.print(f"{'would remove' if dry_run else 'removed'} {escape(describe(s, config.root))}")
    if not stale:
        console.print("nothing to clean")


def main() -> None:
    """The `krasse` command. A finished command leaves the process without Python's teardown, which
    deletes every module and object one by one: with some 600 modules loaded that was 80 ms, an
    eighth of a cold `krasse build`. Everything a normal exit does that anyone could notice still
    happens: no other thread is running (else the normal exit waits for it), the exit handlers run
    (atexit, logging, weakref finalizers, multiprocessing), the standard streams are flushed, and the
    exit status is the same. Objects' `__del__` at exit is skipped, as Python itself does not promise it."""
    try:
        cli(prog_name="krasse")
    except SystemExit as exc:
        _exit_now(exc)
        raise


def _exit_now(exc: SystemExit) -> None:
    """os._exit with the status `exc` asks for, when nothing is lost by it; else return (normal exit)."""
    import atexit
    import os
    import threading

    status = 0 if exc.code is None else exc.code
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's own, as at a normal exit
    if not isinstance(status, int) or run_exit_handlers is None:
        return
    if any(not t.daemon and t is not threading.main_thread() for t in threading.enumerate()):
        return  # a normal exit waits for them
    run_exit_handlers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        return  # a closed, broken or missing stream: Python's exit reports it
    os._exit(status)
