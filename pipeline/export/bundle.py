"""`krasse export`: a strict gate, then a send-ready bundle for one mailing service.

The bundle (email.html, email.txt, email.eml, meta.json, images/) is computed in memory, compared
with what is on disk, and only then swapped in through a temporary folder. meta.json records the
sha256 of every file, so an export the author edited by hand is noticed and never silently replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from pipeline.build import Built, load_issues, prepare
from pipeline.config import Config
from pipeline.errors import ERROR, WARNING, Finding, PipelineError, display_path, has_errors, project_relative
from pipeline.export import services as esp
from pipeline.export.eml import PLACEHOLDER_TO, Headers, build_eml, parse_recipients, unsubscribe_mailto
from pipeline.images import read_image
from pipeline.mail import placeholders
from pipeline.mail.compose import Email
from pipeline.mail.gate import Target, check_html, check_text
from pipeline.model import Issue
from pipeline.output import inside, issue_dir, write_atomic

META = "meta.json"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: a fixed stamp for identical zips


@dataclass
class Exported:
    issue: Issue
    profile: esp.Profile
    folder: Path
    zip_path: Path
    files: dict[str, bytes]
    findings: list[Finding] = field(default_factory=list)  # warnings only: errors raise
    changed: bool = False


def find_issue(config: Config, target: str) -> Issue:
    """`target` is a path to an issue file or an issue number."""
    path = Path(target)
    if path.suffix == ".md" or path.is_file():
        if not path.is_file():
            raise PipelineError(Finding(target, 0, "export-issue", "no such issue file"))
        loaded = load_issues(config, [path], drafts=True)
        if has_errors(loaded.findings) or not loaded.issues:
            raise PipelineError([f for f in loaded.findings if f.is_error])
        return loaded.issues[0]
    if not re.fullmatch(r"\d+", target):
        raise PipelineError(Finding(target, 0, "export-issue", "expected an issue file or an issue number like 41"))
    loaded = load_issues(config, drafts=True)
    for issue in loaded.issues:
        if issue.number == int(target):
            return issue
    problems = [f for f in loaded.findings if f.is_error]
    name = display_path(config.issues_dir)
    raise PipelineError([*problems, Finding(name, 0, "export-issue", f"no issue with number {target} in {name}/")])


def gate(issue: Issue, config: Config, drafts: bool = False) -> Built:
    """Render and check; refuse what must not be sent. Returns the build with its warnings."""
    name = display_path(issue.path)
    built = prepare(issue, config)
    findings = []
    for f in built.findings:
        # Past the budget Gmail clips the mail, and with it the unsubscribe link: at export that is an error.
        findings.append(replace(f, severity=ERROR) if f.rule == "clip-budget" else f)
    if issue.meta.draft and not drafts:
        findings.append(
            Finding(
                name,
                issue.line_of("draft"),
                "export-draft",
                "the issue is a draft (draft: true): set draft: false, or export with --drafts",
            )
        )
    if "subject" not in issue.meta_lines:
        findings.append(
            Finding(
                name,
                1,
                "export-subject",
                "no subject: line in the front matter; a sent issue needs its subject written out",
            )
        )
    built.findings = sorted(set(findings))
    if built.email is None or has_errors(built.findings):
        raise PipelineError(
            [f for f in built.findings if f.is_error]
            or [Finding(name, 0, "export-render", "the email could not be rendered")]
        )
    return built


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "issue"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mapping_warnings(marked_html: str, profile: esp.Profile, hosted_copy: bool, name: str) -> list[Finding]:
    """What the author should know about how the placeholders were mapped."""
    used = placeholders.used(marked_html)
    found = []
    if hosted_copy and not profile.web:
        found.append(
            Finding(
                name,
                0,
                "esp-hosted-copy",
                f"{profile.name} has no hosted-copy tag: the web-version link stays the archive page",
            )
        )
    elif hosted_copy and "web" not in used:
        found.append(
            Finding(
                "layouts/email.mjml.j2",
                0,
                "esp-hosted-copy",
                "hosted copy asked for, but the layout has no {{web_url}} placeholder: the web-version "
                "link stays the archive page",
            )
        )
    if "first_name" in used and not profile.first_name:
        found.append(
            Finding(
                "layouts/email.mjml.j2",
                0,
                "esp-first-name",
                f"{profile.name} has no first-name tag: the {{{{first_name}}}} greeting is left empty",
            )
        )
    return found


def for_service(email: Email, profile: esp.Profile, values: dict[str, str]) -> tuple[str, str]:
    """HTML and text for one service: typed merge-tag syntax escaped, then the layout's placeholders
    filled. What the text part must keep as typed is `services.typed_syntax`'s to report."""
    html = placeholders.escape_html(email.marked_html, placeholders.live_pattern(profile.live))
    text = placeholders.escape_text(
        email.marked_text, placeholders.live_pattern(profile.live, neutral=False), profile.string_literals
    )
    return placeholders.fill_html(html, values), placeholders.fill_text(text, values)


def eml_values(config: Config, web_url: str) -> dict[str, str]:
    """The .eml is sent as is, so nothing in it may wait for a service: the unsubscribe link is
    footer.unsubscribe_url, else a mailto: to the sender (as in List-Unsubscribe); no first name."""
    unsubscribe = config["footer.unsubscribe_url"] or unsubscribe_mailto(config["sender.address"])
    return {"unsubscribe": unsubscribe, "web": web_url, "first_name": ""}


def final_gate(html: str, text: str, target: Target, issue: Issue, config: Config) -> None:
    """Raise with every reason this message must not be written or sent."""
    found = check_html(html, target, issue, config.layouts_dir / "email.mjml.j2")
    found += check_text(text, target, config.layouts_dir / "email.txt.j2")
    if has_errors(found):
        raise PipelineError([f for f in found if f.is_error])


def bundle(
    built: Built,
    config: Config,
    profile: esp.Profile,
    to: str,
    hosted_copy: bool,
    warnings: list[Finding],
    sent_at: dt.datetime | None = None,
) -> dict[str, bytes]:
    """Every file of the export folder, as bytes: the same input always gives the same bytes."""
    assert built.email is not None and built.rendered is not None
    issue, email = built.issue, built.email
    web_url = config.issue_url(issue.number)
    values = esp.values(profile, web_url, hosted_copy)
    html, text = for_service(email, profile, values)
    target = Target(f"the {profile.name} export", values["unsubscribe"], frozenset({values["web"]}))
    final_gate(html, text, target, issue, config)
    sendable = eml_values(config, web_url)
    eml_html, eml_text = email.filled(sendable)
    final_gate(eml_html, eml_text, Target("email.eml", sendable["unsubscribe"]), issue, config)
    headers = Headers(
        subject=issue.meta.subject,
        from_name=config["sender.name"],
        from_addr=config["sender.address"],
        reply_to=config["sender.reply_to"],
        to=to,
        day=issue.meta.date,
        id_prefix=f"{_slug(config['newsletter.name'])[:40].rstrip('-')}-{issue.number}",  # one unfoldable word
        unsubscribe_url=config["footer.unsubscribe_url"],
        sent_at=sent_at,
    )
    eml = build_eml(headers, eml_text, eml_html)
    limit = config["export.max_message_bytes"]
    if len(eml) > limit:
        raise PipelineError(
            Finding(
                display_path(issue.path),
                issue.line_of("number"),
                "message-size",
                f"the whole message (email.eml) is {len(eml):,} bytes, over export.max_message_bytes ({limit:,}): "
                "set 'clip: split' in the front matter (or email.clip = \"split\") so both parts are cut to "
                "fit, shorten the issue, or raise export.max_message_bytes",
            )
        )
    files = {"email.html": html.encode("utf-8"), "email.txt": text.encode("utf-8"), "email.eml": eml}
    for image in built.rendered.images:
        if image.safe and image.rel not in files:
            data = read_image(config.root, issue.path.parent, image.rel)
            if data is None:  # `check` already refused it; never let a refused file into the zip
                raise PipelineError(Finding(display_path(issue.path), 0, "img-path", f"{image.rel}: not exported"))
            files[image.rel] = data
    parsed = BytesHeaderParser(policy=default_policy).parsebytes(eml)
    meta = {
        "issue": issue.number,
        "esp": profile.key,
        "esp_name": profile.name,
        "subject": issue.meta.subject,
        "preheader": built.rendered.preheader,
        "from": str(parsed["From"]),
        "reply_to": str(parsed["Reply-To"]),
        "to": str(parsed["To"]),
        "date": str(parsed["Date"]),
        "message_id": str(parsed["Message-ID"]),
        "web_url": web_url,
        "hosted_copy": hosted_copy and bool(profile.web),
        "bytes": len(files["email.html"]),
        "clip_budget": config["email.clip_budget"],
        "files": {name: {"bytes": len(data), "sha256": _sha(data)} for name, data in sorted(files.items())},
        "warnings": [project_relative(f, config.root) for f in warnings],
    }
    files[META] = (json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """The HTML at the root and the images in their folders, as Mailchimp's zip import expects.
    Fixed timestamps and sorted entries make the zip byte-identical for identical files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            if name == "email.html" or (not name.startswith("email.") and name != META):
                info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the permission bits below are read
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
    return buffer.getvalue()


def _on_disk(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edited_files(folder: Path, current: dict[str, bytes]) -> list[str] | None:
    """Files changed or added by hand since the last export; None when the folder has no readable meta.json."""
    try:
        recorded = json.loads(current[META].decode("utf-8"))["files"]
        assert isinstance(recorded, dict)
    except (KeyError, ValueError, TypeError, AssertionError):
        return None
    edited = []
    for name, data in current.items():
        entry = recorded.get(name)
        if name != META and (not isinstance(entry, dict) or entry.get("sha256") != _sha(data)):
            edited.append(name)
    return edited


def _swap_in(folder: Path, files: dict[str, bytes]) -> None:
    """Write into a temporary sibling folder, then rename it into place: readers never see half an export."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.new-"))
    try:
        for name, data in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.chmod(path, 0o644)
        os.chmod(tmp, 0o755)
        if not folder.exists():
            os.replace(tmp, folder)
            return
        old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old-"))
        os.replace(folder, old)
        try:
            os.replace(tmp, folder)
        except BaseException:
            os.replace(old, folder)
            raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def store(folder: Path, zip_path: Path, files: dict[str, bytes], force: bool = False) -> bool:
    """Put the export in place if anything changed; refuse to replace hand edits without force."""
    current = _on_disk(folder)
    if folder.exists() and not force:
        edited = edited_files(folder, current)
        where = display_path(folder)
        if edited is None:
            raise PipelineError(
                Finding(
                    where,
                    0,
                    "export-edited",
                    f"{where} exists but has no readable {META}: not written by krasse export, "
                    "or edited; export with --force to replace it",
                )
            )
        if edited:
            raise PipelineError(
                [
                    Finding(
                        f"{where}/{name}",
                        0,
                        "export-edited",
                        "edited by hand since the last export; export with --force to replace it",
                    )
                    for name in edited
                ]
            )
    changed = current != files
    try:
        if changed:
            _swap_in(folder, files)
        changed = write_atomic(zip_path, zip_bytes(files)) or changed
    except OSError as exc:
        where = display_path(folder)
        raise PipelineError(Finding(where, 0, "export-write", f"cannot write the export: {exc}")) from None
    return changed


def export_folder(config: Config, issue: Issue, profile: esp.Profile, out: Path | None = None) -> tuple[Path, Path]:
    """`outbox/<stem>/export/<esp>/` (or `<out>/<stem>/<esp>/`) and the zip beside it."""
    if out is None:
        base = inside(config.outbox, issue_dir(config.outbox, issue.stem) / "export")
    else:
        base = out.resolve() / issue.stem
    return base / profile.key, base / f"{issue.stem}-{profile.key}.zip"


def plan_export(
    config: Config,
    target: str,
    esp_name: str | None = None,
    out: Path | None = None,
    force: bool = False,
    drafts: bool = False,
    to: str | None = None,
    hosted_copy: bool | None = None,
    sent_at: dt.datetime | None = None,
) -> Exported:
    """Gate and bundle one issue for one service, in memory; raises PipelineError with every reason to refuse."""
    profiles = esp.current_profiles(config.root)
    profile = esp.choose(profiles, esp_name or config["export.esp"], "--esp" if esp_name else "newsletter.toml")
    issue = find_issue(config, target)
    built = gate(issue, config, drafts)
    severity = WARNING if force else ERROR
    if esp_name is None:  # the service `check` judged the issue for: its findings are in the build
        typed = [replace(f, severity=severity) for f in built.findings if f.rule == "merge-tag-typed"]
    else:
        typed = esp.typed_syntax(issue, profile, severity)
    if has_errors(typed):
        raise PipelineError(typed)
    recipients = to or config["export.to"] or PLACEHOLDER_TO
    parse_recipients(recipients, "--to" if to else "newsletter.toml")
    hosted = profile.hosted_copy if hosted_copy is None else hosted_copy
    assert built.email is not None
    warnings = [f for f in built.findings if not f.is_error and f.rule != "merge-tag-typed"] + typed
    warnings += mapping_warnings(built.email.marked_html, profile, hosted, display_path(issue.path))
    warnings = [replace(f, severity=WARNING) for f in warnings]
    try:
        files = bundle(built, config, profile, recipients, hosted, warnings, sent_at)
    except OSError as exc:
        where = display_path(issue.path)
        raise PipelineError(Finding(where, 0, "export-read", f"cannot read an image: {exc}")) from None
    folder, zip_path = export_folder(config, issue, profile, out)
    return Exported(issue, profile, folder, zip_path, files, warnings)


def export_issue(config: Config, target: str, *, force: bool = False, **options: Any) -> Exported:
    """Gate, bundle and store one issue for one service (`plan_export`'s options); raises PipelineError
    with every reason to refuse."""
    exported = plan_export(config, target, force=force, **options)
    exported.changed = store(exported.folder, exported.zip_path, exported.files, force)
    return exported
