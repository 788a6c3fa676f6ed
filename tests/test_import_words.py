"""No word lost on import, for arbitrary text: Markdown characters, angle brackets, list-like lines.

Hypothesis writes the source; the imported Markdown is rendered by the pipeline's own text renderer
and every source word must be there (the same check `krasse import` runs before writing).
"""

from __future__ import annotations

import html
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.importer.draft import Draft, lost_words, words
from pipeline.importer.htmlclean import merge_tag_pattern
from pipeline.importer.htmlpage import convert_html
from pipeline.importer.plain import convert_text
from pipeline.markdown import parse
from pipeline.text import render_text

WORDS = st.sampled_from(
    ["Nutzer*innen", "<Moment>", "[1]", "_kursiv_", "**fett**", "#hashtag", "a|b", "x~y", "`code`", "&amp;",
     "Straße", "Öl", "–", "-", "1.", "19.", "2)", "*", "> zitat", "\\", "https://beispiel.example/a_b*c", "¹",
     "Wort", "noch", "ein", "Satz.", "Ende:", "<b>", "</p>", "{{x}}", "==", "---", "* * *", "•"]
)  # fmt: skip
LINE = st.lists(WORDS, min_size=1, max_size=8).map(" ".join)
TEXT = st.lists(st.one_of(LINE, st.just("")), min_size=1, max_size=14).map("\n".join)


def rendered_words(draft: Draft) -> Counter:
    parts = render_text(parse(draft.body))
    return words("\n".join([*parts.items, *parts.notes, draft.title or ""]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT)
def test_plain_text_import_keeps_every_word(text: str) -> None:
    source = "Krasse Links No 5\n\n" + text
    drafts = convert_text(source, "x.txt", "Krasse Links")
    have = Counter()
    for draft in drafts:
        assert lost_words(draft) == []
        have += rendered_words(draft)
    dropped = words(" ".join(d for draft in drafts for d in draft.dropped))
    unnumbered = re.sub(r"(?m)^[ \t]*\d{1,3}[.)][ \t]+", "", text)  # list markers: a Markdown list counts itself
    assert words(unnumbered) - have - dropped == Counter()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paragraphs=st.lists(LINE, min_size=1, max_size=6))
def test_html_import_keeps_every_word(paragraphs: list[str]) -> None:
    page = "<html><body>" + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) + "</body></html>"
    drafts, findings = convert_html(page, "x.html", "Krasse Links")
    if not drafts:  # only white space and merge tags: nothing readable, said as a finding
        assert findings and not words(merge_tag_pattern().sub(" ", " ".join(paragraphs)))
        return
    [draft] = drafts
    assert lost_words(draft) == []
    dropped = words(" ".join(draft.dropped))
    assert words(" ".join(paragraphs)) - rendered_words(draft) - dropped == Counter()
