"""Mail files → drafts, with the stdlib: `email` for one `.eml`, `mailbox` for an `.mbox` of many.

The HTML part is preferred (it keeps links, quotes and emphasis), the text part is the fallback.
Subject gives title and subject, `Date:` the date; inline `cid:` images are kept as local images.
"""

from __future__ import annotations

import email
import mailbox
import re
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from pipeline.errors import Finding
from pipeline.importer.draft import SEPARATOR, Draft, find_number, strip_name, words
from pipeline.importer.htmlpage import convert_html
from pipeline.importer.plain import convert_text

_HEADERS = ("From", "Date", "Subject", "Message-ID", "MIME-Version")
_CID = re.compile(r"\]\(<?cid:([^)>\s]+)>?\)")
# A footnote label as the text reader writes it (a literal `[^1]` in the text is escaped: `\[^1\]`).
_LABEL = re.compile(r"\[\^(\d+)\]")
_NOTES_START = re.compile(r"^\[\^\d+\]: ", re.M)  # the reader puts a part's notes after its text


def read_message(raw: bytes, source: str, newsletter: str) -> tuple[list[Draft], list[Finding]]:
    """One `.eml` → one draft, or a finding saying why it is not a message we can read."""
    message = email.message_from_bytes(raw, policy=policy.default)
    return convert_message(message, source, newsletter)  # type: ignore[arg-type]


def read_mbox(path: Path, source: str, newsletter: str) -> tuple[list[Draft], list[Finding]]:
    """Every message of an mbox file, in file order; `source#n` names the n-th in messages."""
    box = mailbox.mbox(
        str(path), factory=lambda f: email.message_from_binary_file(f, policy=policy.default), create=False
    )
    try:
        messages = list(box)
    finally:
        box.close()
    if not messages:
        return [], [Finding(source, 1, "import-mail", "no messages found: an mbox starts each one with a 'From ' line")]
    drafts: list[Draft] = []
    findings: list[Finding] = []
    for n, message in enumerate(messages, 1):
        found, problems = convert_message(message, f"{source}#{n}", newsletter)
        drafts.extend(found)
        findings.extend(problems)
    return drafts, findings


def convert_message(message: EmailMessage, source: str, newsletter: str) -> tuple[list[Draft], list[Finding]]:
    if not any(message.get(h) for h in _HEADERS) or (message.defects and not message.get("From")):
        return [], [Finding(source, 1, "import-mail", "not an email message: no From, Date or Subject header")]
    part = message.get_body(preferencelist=("html", "plain"))
    if part is None:
        return [], [Finding(source, 0, "import-mail", "the message has no text or HTML part")]
    try:
        content = part.get_content()
    except (LookupError, UnicodeError) as exc:
        return [], [Finding(source, 0, "import-mail", f"cannot decode the {part.get_content_type()} part: {exc}")]
    if part.get_content_type() == "text/html":
        drafts, findings = convert_html(content, source, newsletter)
    else:
        drafts, findings = convert_text(content, source, newsletter), []
    if findings or not drafts:
        return drafts, findings
    draft = _one_issue(drafts, source) if len(drafts) > 1 else drafts[0]
    subject = str(message.get("Subject") or "").strip()
    if subject:
        draft.subject = subject
        draft.number = find_number(subject, newsletter) or draft.number
        if not draft.title:  # an <h1> or an underlined title line in the text wins
            draft.title = strip_name(subject, newsletter)
        draft.source_words += words(subject)
    if date := message.get("Date"):
        try:
            draft.date = parsedate_to_datetime(str(date)).date()
            draft.date_in_text = False
        except (TypeError, ValueError):
            draft.notices.append((0, f"Date header not readable: {date!r}"))
    _inline_images(message, draft)
    return [draft], []


def _one_issue(drafts: list[Draft], source: str) -> Draft:
    """One issue per message: a text part that looks like several (more than one issue heading) is
    still one. Each part numbered its notes from 1, so a later part's notes are numbered on after the
    ones before it (two `[^1]` would lose a note), and all notes go to the end, as in any import."""
    draft = drafts[0]
    texts: list[str] = []
    notes: list[str] = []
    offset = 0
    for part in drafts:
        shift = offset  # a later part's labels follow the ones before
        body = _LABEL.sub(lambda m, shift=shift: f"[^{int(m.group(1)) + shift}]", part.body)
        offset += max((int(n) for n in _LABEL.findall(part.body)), default=0)
        start = _NOTES_START.search(body)
        text, note = (body[: start.start()], body[start.start() :]) if start else (body, "")
        texts.extend([text.strip("\n")] if text.strip() else [])
        notes.extend([note.strip("\n")] if note.strip() else [])
        if part is not draft:
            # The reader counted each label (marker and note) as a word of the source: count the new ones.
            labels = Counter(_LABEL.findall(part.body))
            draft.source_words += (
                part.source_words - labels + Counter({str(int(n) + shift): k for n, k in labels.items()})
            )
            draft.dropped += part.dropped
            draft.notices += part.notices
    draft.source = source
    draft.body = SEPARATOR.join(texts) + "".join(f"\n\n{note}" for note in notes) + "\n"
    numbers = ", ".join(f"No. {part.number}" for part in drafts if part.number is not None)
    renumbered = f"; notes numbered on from part to part ([^1]–[^{offset}])" if offset else ""
    draft.notices.append(
        (
            0,
            f"the text part holds {len(drafts)} issue headings ({numbers}): imported as one issue (one message, "
            f"one issue), the parts separated by `---`{renumbered}; split the file by hand if they are separate issues",
        )
    )
    return draft


def _inline_images(message: EmailMessage, draft: Draft) -> None:
    """`cid:` images come with the message: they become local files next to the issue."""
    parts = {str(p.get("Content-ID", "")).strip("<>"): p for p in message.walk() if p.get("Content-ID")}

    def local(m: re.Match) -> str:
        part = parts.get(m.group(1))
        if part is None:
            return m.group(0)
        name = re.sub(r"[^\w.-]+", "-", part.get_filename() or m.group(1)).strip("-") or "bild"
        draft.local_images[name] = part.get_content()
        return f"](images/{name})"

    draft.body = _CID.sub(local, draft.body)
