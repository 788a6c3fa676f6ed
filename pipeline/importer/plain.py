"""Plain text (copied from a web page, a PDF or a mail's text part) → Markdown issues.

Conventions of such copies: a line with the newsletter's name and a number starts an issue, two or
more blank lines separate items, `•`/`-` lines are bullets, `1.` lines numbered lists, superscript
digits are footnote markers with a notes section of lines starting with the same numbers. PDF page
breaks leave page numbers and running headers alone on a line: they are taken out and reported.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.importer.draft import NUMBER_MARK, Draft, find_date, tidy, words

_SUPER = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_FROM_SUPER = str.maketrans(_SUPER, "0123456789")
# `…worden.¹`, or the marks our own text part has used: `[^1]`, `[Anm. 1]`.
_MARKER = re.compile(f"(?<=[^\\s{_SUPER}])([{_SUPER}]+)|\\[(?:\\^|Anm\\.?\\s*)(\\d{{1,4}})\\]")
_NOTE_LINE = re.compile(rf"^\s*(?:\[(?:\^|Anm\.?\s*)?)?([{_SUPER}]+|\d{{1,3}})(?:[.):\]]|\s)\s*(?=\S)")
_NOTES_HEADING = re.compile(r"^\s*(Anmerkungen|Fußnoten|Fussnoten|Endnoten|Notes|Footnotes|Quellen)\s*:?\s*$", re.I)
_QUOTE_BLANK = re.compile(r"\s*>(?:\s*>)*\s*")
_QUOTE_MARKS = re.compile(r"\s*(?:>(?:[ \t]+|$))+")  # `> > ` of a nested quote, as email.txt writes it
_BULLET = re.compile(r"^\s*[•·▪‣◦*\-]\s+")
_SURE_BULLET = re.compile(r"^\s*[•·▪‣◦]\s+")  # never the wrapped rest of a sentence, unlike `-` or `19.`
_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–]\s*)?(?:(?:Seite|Page|S\.)\s*)?\d{1,4}(?:\s*(?:/|von|of)\s*\d{1,4})?(?:\s*[-–])?\s*$"
)
_UNDERLINE = re.compile(r"^\s*[\W_]+\s*$")  # separators, setext underlines: punctuation only
_SEPARATOR = re.compile(r"^\s*(?:\*\s*\*\s*\*|---+|___+)\s*$")
_BOILERPLATE = re.compile(
    r"^\s*(?:Im Browser lesen|Im Browser ansehen|Webversion|View (?:this email )?in (?:your )?browser|Abmelden|"
    r"Abbestellen|Unsubscribe)\b.*$",
    re.I,
)
_URL = re.compile(r"(https?://[^\s<>\"\x02]+)")
_ESCAPE = re.compile(r"([\\`*_\[\]<>&|~])")


def _heading(newsletter: str) -> re.Pattern[str]:
    return re.compile(r"^\s*#*\s*" + re.escape(newsletter) + r"\W{0,3}" + NUMBER_MARK + r"(.*)$", re.I)


def convert_text(text: str, source: str, newsletter: str) -> list[Draft]:
    """One Draft per issue in the text, in order. Line numbers in notices are the file's."""
    lines = text.split("\n")
    heading = _heading(newsletter)
    starts: list[tuple[int, int, str]] = []  # (index, number, rest of the line)
    for i, line in enumerate(lines):
        m = heading.match(line)
        if m and len(line.strip()) <= 120 and not (starts and starts[-1][1] == int(m.group(1))):
            starts.append((i, int(m.group(1)), m.group(2)))
    chunks: list[tuple[int, int | None, str, list[str]]] = []
    if not starts:
        chunks.append((0, None, "", lines))
    else:
        first = 0  # text before the first heading joins the first issue: no word is left behind
        for k, (i, number, rest) in enumerate(starts):
            end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
            chunks.append((first, number, rest, [*lines[first:i], "", *lines[i + 1 : end]]))
            first = end
    drafts = []
    for n, (offset, number, rest, chunk) in enumerate(chunks, 1):
        name = f"{source}#{n}" if len(chunks) > 1 else source
        drafts.append(_issue(chunk, offset, number, rest, name, newsletter))
    return drafts


def _issue(lines: list[str], offset: int, number: int | None, rest: str, source: str, newsletter: str) -> Draft:
    draft = Draft(source=source, body="", number=number)
    title = rest.strip(" \t:.–—-")
    if find_date(title) and sum(words(title).values()) <= 4:
        title = ""  # `Krasse Links No. 42 – 19. Oktober 2026`: a date, not a title
    draft.title = title or None
    lines = _drop_artefacts(lines, offset, newsletter, draft)
    lines = _setext_title(lines, draft)
    if rest.strip() and draft.title != title:  # the heading line held the date, the underlined line the title
        draft.dropped.append(rest.strip())
    lines = _drop_boilerplate(lines, draft)
    lines, notes = _footnotes(lines, draft)
    kept = "\n".join(lines)
    draft.date = find_date(rest)
    if draft.date is None:
        draft.date = find_date(kept)
        draft.date_in_text = draft.date is not None
    # List numbers are markers, not words: a Markdown list counts itself (`1.`, `1.` shows 1, 2).
    unnumbered = re.sub(r"(?m)^[ \t]*\d{1,3}[.)][ \t]+", "", kept)
    draft.source_words = words(unnumbered) + words(" ".join(notes)) + words(draft.title or "")
    body = tidy(_markdown(lines))
    if notes:  # after tidy: a separator above the notes must not leave an empty item
        body = body.rstrip("\n") + "\n\n" + "\n\n".join(notes) + "\n"
    draft.body = body
    return draft


def _setext_title(lines: list[str], draft: Draft) -> list[str]:
    """A title underlined with `===` right below the heading line (a mail's text part) is the title."""
    filled = [i for i, line in enumerate(lines) if line.strip()][:2]
    if len(filled) == 2 and filled[1] == filled[0] + 1 and re.fullmatch(r"\s*(=+|-+)\s*", lines[filled[1]]):
        title = lines[filled[0]].strip()
        if len(lines[filled[1]].strip()) >= max(3, len(title) // 2):
            draft.title = title
            return lines[: filled[0]] + lines[filled[1] + 1 :]
    return lines


def _drop_artefacts(lines: list[str], offset: int, newsletter: str, draft: Draft) -> list[str]:
    """Page numbers alone on a line, and short lines repeated on every page (running headers)."""
    counts = Counter(line.strip() for line in lines if line.strip())
    heading = _heading(newsletter)
    out: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        alone = (i == 0 or not lines[i - 1].strip()) and (i + 1 >= len(lines) or not lines[i + 1].strip())
        repeated = (
            counts[stripped] >= 3
            and len(stripped) <= 80
            and not (_BULLET.match(line) or _UNDERLINE.match(line) or "://" in line)
        )
        page = bool(_PAGE_NUMBER.match(line)) and bool(stripped)
        header = bool(heading.match(line)) and len(stripped) <= 120  # the issue's own line, repeated per page
        if stripped and ((page and alone) or repeated or header):
            draft.notices.append((offset + i + 1, f"page-break artefact taken out: {stripped!r}"))
            draft.dropped.append(stripped)
            # A page break inside a paragraph: the text goes on after it, so drop the blank lines too.
            while out and not out[-1].strip() and out[-2:-1] and not re.search(r"[.!?:“\"»)]\s*$", out[-2]):
                out.pop()
            continue
        out.append(line)
    return out


def _drop_boilerplate(lines: list[str], draft: Draft) -> list[str]:
    """A mail's text part ends in a `-- ` signature and carries 'read online'/'unsubscribe' lines."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            draft.dropped.extend(x.strip() for x in lines[i:] if x.strip())
            break
        if _BOILERPLATE.match(line) and len(line) <= 200:
            draft.dropped.append(line.strip())
            continue
        out.append(line)
    return out


def _footnotes(lines: list[str], draft: Draft) -> tuple[list[str], list[str]]:
    """Superscript markers with a notes section of lines starting with the same numbers → `[^n]`."""
    lines = list(lines)
    for i in range(len(lines) - 1):  # a wrapped `[Anm.` / `12]`: the number goes back up to its mark
        m = re.match(r"\s*(\d{1,4}\])\s*", lines[i + 1])
        if m and re.search(r"\[Anm\.?$", lines[i]):
            lines[i] += " " + m.group(1)
            lines[i + 1] = lines[i + 1][m.end() :]
    markers: list[int] = []
    for line in lines:
        markers.extend(_marker_value(m) for m in _MARKER.finditer(line) if not _NOTE_LINE.match(line[: m.end()]))
    order = list(dict.fromkeys(markers))
    if not order:
        return lines, []
    numbered = [
        (i, int(m.group(1).translate(_FROM_SUPER))) for i, line in enumerate(lines) if (m := _NOTE_LINE.match(line))
    ]
    start, found = None, {}
    for k, (i, value) in enumerate(numbered):
        if value != order[0]:
            continue
        expected, got = 0, {}
        for j, v in numbered[k:]:
            if expected < len(order) and v == order[expected]:
                got[v] = j
                expected += 1
        if expected == len(order):
            start, found = i, got  # the last start that explains every marker wins
    if start is None:
        return lines, []
    head = start
    while head > 0 and not lines[head - 1].strip():
        head -= 1
    if head > 1 and re.fullmatch(r"\s*(?:-{3,}|={3,})\s*", lines[head - 1]):
        head -= 1  # `Anmerkungen` underlined, as in a mail's text part
    if head > 0 and _NOTES_HEADING.match(lines[head - 1]):
        draft.dropped.append(lines[head - 1].strip())
        head -= 1
    # Note texts: from one numbered line to the next expected one; lines between belong to the note before.
    bounds = sorted(found.values())
    notes: list[str] = []
    number_of = {index: value for value, index in found.items()}
    for k, index in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else len(lines)
        first = _NOTE_LINE.sub("", lines[index], count=1)
        text = [first, *lines[index + 1 : end]]
        paragraphs = [p for p in re.split(r"\n\s*\n", "\n".join(text).strip()) if p.strip()]
        label = order.index(number_of[index]) + 1
        body = "\n\n    ".join(_escape_block(p) for p in paragraphs)
        notes.append(f"[^{label}]: {body}")
    body_lines = lines[:head]
    label_of = {value: order.index(value) + 1 for value in order}

    def marker(m: re.Match) -> str:
        value = _marker_value(m)
        return f"\x02{label_of[value]}\x03" if value in label_of else m.group(0)

    return [_MARKER.sub(marker, line) for line in body_lines], notes


def _marker_value(m: re.Match) -> int:
    return int((m.group(1) or m.group(2)).translate(_FROM_SUPER))


def _escape(text: str) -> str:
    """Plain text is not Markdown: `Nutzer*innen`, `<Moment>` and `[1]` stay what they are; URLs become links."""
    parts = _URL.split(text)
    return "".join(_escape_text(p) if k % 2 == 0 else _autolink(p) for k, p in enumerate(parts))


def _autolink(url: str) -> str:
    core = url.rstrip(".,;:!?)]»“\"'")
    return f"<{core}>" + _escape_text(url[len(core) :])


def _escape_text(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    text = re.sub(r"^(\s*)([#>+=-])", r"\1\\\2", text)
    text = re.sub(r"^(\s*\d{1,9})([.)])(?=\s|$)", r"\1\\\2", text)
    return re.sub("\x02(\\d+)\x03", r"[^\1]", text)


def _escape_block(paragraph: str) -> str:
    return "\n".join(_escape(line.strip()) for line in paragraph.split("\n"))


def _quoted(marks: str, text: str) -> str:
    """A quote line at the depth its `>` marks give: `> > Innen` stays a quote in a quote."""
    return " ".join(">" * marks.count(">")) + (" " + text if text else "")


def _markdown(lines: list[str]) -> str:
    """Blocks of two or more blank lines → items; list lines → Markdown lists; the rest escaped."""
    out: list[str] = []
    blank = 0
    previous = ""  # "text", "list" or ""
    skip = False
    for i, line in enumerate(lines):
        if skip:
            skip = False
            continue
        if not line.strip():
            blank += 1
            continue
        underlined = i + 1 < len(lines) and re.fullmatch(r"\s*(?:={3,}|-{3,})\s*", lines[i + 1])
        blank_before = blank > 0
        # `-` and `1.` start a list after a blank line, a list item or a colon; else a wrapped line
        # that happens to begin with `– so` or `19. Oktober` is still text.
        starts_list = blank_before or previous == "list" or not out or out[-1].endswith(":")
        marker = bool(_SURE_BULLET.match(line) or (starts_list and (_BULLET.match(line) or _NUMBERED.match(line))))
        if blank >= 2 or _SEPARATOR.match(line):  # setext underlines were skipped with their heading
            out.append("\n---\n")
            previous, blank = "", 0
            if _SEPARATOR.match(line):
                continue
        elif blank == 1:
            out.append("")
            previous = ""
        blank = 0
        if previous == "list" and not blank_before and line[:1].isspace() and not marker:
            out[-1] += " " + _escape(line.strip())  # a wrapped list item goes on, indented
            continue
        if underlined and not marker:
            kind, text, skip = "heading", "## " + _escape(line.strip()), True  # a setext heading
        elif marker and (m := _BULLET.match(line)):
            kind, text = "list", "- " + _escape(line[m.end() :].strip())
        elif marker and (m := _NUMBERED.match(line)):
            kind, text = "list", f"{m.group(1)}. " + _escape(line[m.end() :].strip())
        elif _QUOTE_BLANK.fullmatch(line) and out and out[-1].startswith(">"):
            kind, text = "text", _quoted(line, "")  # a quote's blank line (`>`, `> >`): the quote goes on
        elif line.lstrip().startswith("> "):
            m = _QUOTE_MARKS.match(line)
            kind, text = "text", _quoted(m.group(0), _escape(line[m.end() :].strip()))
        else:
            kind, text = "text", _escape(line.strip())
        if previous and kind != previous:
            out.append("")  # a list must not be swallowed by the paragraph before or after it
        out.append(text)
        previous = "" if kind == "heading" else kind
        if kind == "heading":
            out.append("")
    return "\n".join(out) + "\n"
