"""Merge-tag placeholders: where the layout put them, what each target gets, and what the author typed.

The layouts see opaque tokens (letters and digits with a per-process random part) instead of the
neutral `{{unsubscribe_url}}`, `{{web_url}}` and `{{first_name}}`. No transform alters such a token
(premailer's handlebar regex, MJML and the minifier only ever touch braces, quotes and white space),
and no author can type one, so after the transforms every token marks exactly a place the layout
chose. Only there is a placeholder filled: text the author typed (`{{first_name}}`, `*|FNAME|*`,
`[unsubscribe]` …) is never mapped, and in HTML it is escaped for the target service.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

NAMES = ("unsubscribe", "web", "first_name")
# The neutral spellings: what the generic profile and outbox/ carry, and what README documents.
NEUTRAL = {"unsubscribe": "{{unsubscribe_url}}", "web": "{{web_url}}", "first_name": "{{first_name}}"}
# The layout variables that receive the tokens.
VARIABLES = {"unsubscribe": "unsubscribe_url", "web": "web_url", "first_name": "first_name"}

_NONCE = secrets.token_hex(8)
TOKENS = {name: f"klph{_NONCE}{i}x" for i, name in enumerate(NAMES)}
_BY_TOKEN = {token: name for name, token in TOKENS.items()}
_TOKEN = re.compile("|".join(TOKENS.values()))
_NEUTRAL = re.compile("|".join(re.escape(p) for p in NEUTRAL.values()))


class PlaceholderLost(ValueError):
    """A transform dropped or duplicated a placeholder the layout put in."""


def layout_values() -> dict[str, str]:
    """The layout variables (`unsubscribe_url`, `web_url`, `first_name`) and their tokens."""
    return {VARIABLES[name]: token for name, token in TOKENS.items()}


def count(text: str) -> Counter[str]:
    return Counter(_BY_TOKEN[m.group(0)] for m in _TOKEN.finditer(text))


def protected(step: Callable[[str], str]) -> Callable[[str], str]:
    """Wrap the transform chain: each placeholder must come out exactly as often as the layout put it in."""

    def run(text: str) -> str:
        before = count(text)
        out = step(text)
        after = count(out)
        if after != before:
            lost = sorted(set(before) | set(after), key=NAMES.index)
            detail = ", ".join(f"{VARIABLES[n]} {before[n]}→{after[n]}" for n in lost if before[n] != after[n])
            raise PlaceholderLost(f"the HTML transforms changed how often a placeholder occurs ({detail})")
        return out

    return run


def used(marked: str) -> set[str]:
    """Which placeholders (unsubscribe, web, first_name) the layout put into this output."""
    return set(count(marked))


# --- typed merge-tag syntax ----------------------------------------------------------------------

# The neutral spellings are escaped in every HTML output, so `{{web_url}}` typed as prose can never be
# taken for one the layout left unresolved.
_ALWAYS = tuple(re.escape(p) for p in NEUTRAL.values())


def live_pattern(openings: Iterable[str], neutral: bool = True) -> re.Pattern[str]:
    """One regex for the syntax a service evaluates (`openings` are regexes like `\\{\\{` or `\\*\\|`),
    plus the neutral spellings unless `neutral` is false (plain text, where only the service matters)."""
    alternatives = [*openings, *(_ALWAYS if neutral else ())]
    return re.compile("|".join(f"(?:{o})" for o in alternatives) or r"(?!)")


def _refs(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


# Comments (Outlook's conditionals), <style> and <script> are the layout's, never the author's prose.
_REGIONS = re.compile(r"(<!--.*?-->|<(style|script)\b.*?</\2\s*>)", re.S | re.I)


def escape_html(html: str, live: re.Pattern[str]) -> str:
    """Typed merge-tag syntax in text and attribute values becomes character references: the reader
    sees what was typed, the service's template engine sees nothing to evaluate."""
    parts = _REGIONS.split(html)
    out = []
    for i in range(0, len(parts), 3):  # split with two groups: text, region, group 2, text, …
        out.append(live.sub(lambda m: _refs(m.group(0)), parts[i]))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    return "".join(out)


def escape_text(text: str, live: re.Pattern[str], literals: bool) -> str:
    """Plain text has no character references. A template language with string literals (Liquid, Jinja,
    Django, Go templates) prints `{{ "{{" }}` as `{{`; elsewhere the typed syntax stays (reported by
    `services.typed_syntax`)."""
    if literals:
        return live.sub(lambda m: '{{ "' + m.group(0) + '" }}', text)
    return text


def layout_literals(output: str, author: Iterable[str]) -> list[str]:
    """Neutral spellings a layout wrote as literal text (the old `{{ '{{web_url}}' }}`): what is left
    once everything the author supplied is taken out. Nothing fills them, so they are errors."""
    for value in sorted({v for v in author if v and _NEUTRAL.search(v)}, key=len, reverse=True):
        output = output.replace(value, "")
    return sorted({m.group(0) for m in _NEUTRAL.finditer(output)})


# --- filling -------------------------------------------------------------------------------------


def fill_text(marked: str, values: Mapping[str, str]) -> str:
    """Each token becomes its value, in one pass: a value is never filled a second time."""
    return _TOKEN.sub(lambda m: values[_BY_TOKEN[m.group(0)]], marked)


_TAG = re.compile(r"<[A-Za-z][^>]*>")
_TAG_START = re.compile(r"<[A-Za-z]")
_ATTR = re.compile(r"""(\s[^\s"'=<>/]+\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")


def _attribute(m: re.Match, values: Mapping[str, str]) -> str:
    raw = next(v for v in m.group(2, 3, 4) if v is not None)
    if not _TOKEN.search(raw):
        return m.group(0)
    value = fill_text(raw, values)
    quote = '"' if '"' not in value else "'"  # services.py refuses tags with both quotes
    return f"{m.group(1)}{quote}{value}{quote}"


def fill_html(marked: str, values: Mapping[str, str]) -> str:
    """HTML: an attribute holding a token is re-quoted so a tag with spaces or quotes stays one value."""
    out, last = [], 0
    # Only the few tags holding a token are looked at (the text between is filled in one piece),
    # found from the token: the tag `_TAG.finditer` would give around it starts at the first `<` and
    # letter after the last `>` before the token (a tag holds no `>` before its end, so the scan is
    # never inside one there) and ends at the first `>` after it. Walking every tag of the email to
    # reach the footer's links was a millisecond.
    for m in _TOKEN.finditer(marked):
        at = m.start()
        if at < last:
            continue  # in the tag just filled
        start = _TAG_START.search(marked, marked.rfind(">", 0, at) + 1, at + 1)
        if start is None:
            continue  # in text: filled with it
        end = marked.find(">", at)
        if end < 0:
            break  # no tag from here on
        out.append(fill_text(marked[last : start.start()], values))
        out.append(_ATTR.sub(lambda m: _attribute(m, values), marked[start.start() : end + 1]))
        last = end + 1
    out.append(fill_text(marked[last:], values))
    return "".join(out)


def unresolved(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Tokens or neutral spellings still in a finished output, other than the target's own tags."""
    own = set(allowed)
    left = {m.group(0) for m in _NEUTRAL.finditer(text) if m.group(0) not in own}
    left |= {NEUTRAL[_BY_TOKEN[m.group(0)]] for m in _TOKEN.finditer(text)}
    return sorted(left)
