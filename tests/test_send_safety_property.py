"""Property test (issue 8): random prose full of template syntax, random edits of the layout's links.

For every service profile, with and without the hosted copy, the export either passes the final gate
or fails with a finding; no placeholder is ever left unresolved; every word of the prose reaches the
text part. Checked here with an HTML parser of its own, not with the gate under test.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, copy_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_no_word_lost import LETTERS, WORD, bracket_word, source_words

from pipeline.build import prepare
from pipeline.config import load_config
from pipeline.errors import PipelineError, has_errors
from pipeline.export import services as esp
from pipeline.export.bundle import bundle
from pipeline.export.eml import PLACEHOLDER_TO
from pipeline.load import parse_issue
from pipeline.mail import compose
from pipeline.mail.placeholders import NEUTRAL, TOKENS

TEMPLATE_BITS = [
    "{{first_name}}", "{{ unsubscribe_url }}", "{{web_url}}", "*|FNAME|*", "*|UNSUB|*", "[unsubscribe]",
    "[Name,fallback=du]", "[webversion]", "{$url}", "{$name}", "[[PERMALINK]]", "[[UNSUB_LINK_DE]]",
    "%%{mirror}%%", "{% if x %}", "{% endif %}", "{{ .Subscriber.FirstName }}", "50 %", "a|b", "{x}", "[y]",
]  # fmt: skip
SYMBOLS = "{}|[]%*$"

word = st.text(LETTERS, min_size=1, max_size=8)
symbolic = st.builds(lambda a, w, b: a + w + b, st.text(SYMBOLS, max_size=3), word, st.text(SYMBOLS, max_size=3))
token = st.one_of(word, word, st.sampled_from(TEMPLATE_BITS), symbolic, bracket_word.map(lambda w: f"<{w}>"))
# A paragraph starts with a plain word: `[x]: y` at a line start would be a link definition, not prose.
paragraph = st.builds(lambda first, rest: " ".join([first, *rest]), word, st.lists(token, min_size=1, max_size=14))
body = st.lists(paragraph, min_size=1, max_size=4).map("\n\n".join)

WEB = '<a href="{{ web_url }}" style="color:#5c5850;">Im Browser lesen</a>'
UNSUB = '<a href="{{ unsubscribe_url }}" style="color:#5c5850;">Abmelden</a>'
# (edit, does it break the outbox email?)
EDITS = {
    "utm": ((WEB, WEB.replace("{{ web_url }}", "{{ web_url }}?utm_source=newsletter")), False),
    "single quotes": ((UNSUB, UNSUB.replace('"{{ unsubscribe_url }}"', "'{{ unsubscribe_url }}'")), False),
    "target first": ((WEB, WEB.replace("<a href", '<a target="_blank" href')), False),
    "title": ((UNSUB, UNSUB.replace("<a ", '<a title="{{ web_url }}" ')), False),
    "unsubscribe query": ((UNSUB, UNSUB.replace("{{ unsubscribe_url }}", "{{ unsubscribe_url }}&amp;x=1")), True),
    "literal": ((UNSUB, UNSUB + " {{ '{{web_url}}' }}"), True),
    "relative": ((WEB, WEB.replace("{{ web_url }}", "archiv.html")), True),
}
STOCK = (ROOT / "layouts/email.mjml.j2").read_text("utf-8")
HEAD = (
    '---\nnumber: 9\ntitle: "Vorlagen"\ndate: 2026-01-05\npreheader: "Ein Vorschautext, der lang genug ist."\n---\n\n'
)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("property") / "project"
    return copy_project(dest, issues=False)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs) -> None:
        values = dict(attrs)
        self.anchors |= {values[k] or "" for k in ("id", "name") if k in values}
        if tag == "a" and "href" in values:
            self.hrefs.append(values["href"] or "")


def followable(href: str, own: set[str], anchors: set[str]) -> bool:
    parts = urlsplit(href)
    return (
        href in own
        or (href.startswith("#") and href[1:] in anchors)
        or (parts.scheme == "mailto" and "@" in href)
        or (parts.scheme in ("http", "https") and bool(parts.netloc))
    )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(prose=body, edits=st.lists(st.sampled_from(sorted(EDITS)), unique=True, max_size=3))
def test_the_gate_holds_or_the_command_fails(project: Path, prose: str, edits: list[str]) -> None:
    layout, applied = STOCK, []
    for name in edits:
        (old, new), _ = EDITS[name]
        if old in layout:  # an earlier edit may have changed the same link
            layout = layout.replace(old, new, 1)
            applied.append(name)
    (project / "layouts/email.mjml.j2").write_text(layout, "utf-8")
    compose._environment.cache_clear()  # two edits within one mtime tick must not share a template
    config = load_config(project)
    source = HEAD + "Einleitung mit genug Wörtern.\n\n---\n\n" + prose + "\n"
    issue, found = parse_issue(source, project / "issues/009-vorlagen.md")
    assert issue is not None, found
    built = prepare(issue, config)
    breaking = any(EDITS[name][1] for name in applied)
    if breaking:
        assert has_errors(built.findings)  # the command fails, with a finding that says why
        return
    assert not has_errors(built.findings), built.findings
    words = source_words(prose)
    for profile in esp.load_profiles(project).values():
        for hosted in (False, True):
            try:
                files = bundle(built, config, profile, PLACEHOLDER_TO, hosted, [])
            except PipelineError as exc:
                assert exc.findings and hosted and "utm" in applied, exc.findings
                continue
            html, text = files["email.html"].decode(), files["email.txt"].decode()
            values = esp.values(profile, config.issue_url(9), hosted)
            parser = Links()
            parser.feed(html)
            own = {values["unsubscribe"], values["web"]}
            assert all(followable(h, own, parser.anchors) for h in parser.hrefs), parser.hrefs
            assert values["unsubscribe"] in parser.hrefs
            everything = html + text + files["email.eml"].decode("ascii", "replace")
            assert not any(t in everything for t in TOKENS.values())
            raw = html
            for tag in (profile.unsubscribe, profile.web, profile.first_name):
                raw = raw.replace(tag, "") if tag else raw
            assert not any(n in raw for n in NEUTRAL.values()), profile.key
            seen = set(WORD.findall(text))
            assert sorted({w for w in words if w not in seen}) == [], profile.key
    assert re.search(r"Einleitung", built.email.text)
