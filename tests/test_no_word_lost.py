"""Every word the author wrote reaches the reader: in email.txt, and in email.html's visible text.

Source words are the Markdown body with its markup taken away: front matter, link and image
destinations, `[^n]` markers and labels, real HTML tags, comments, scripts and Markdown punctuation.
Words in angle brackets that are not HTML (`<Moment>`) are words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, krasse, visible_parts
from generate import generate_issue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.build import Built, prepare
from pipeline.config import load_config
from pipeline.load import parse_issue
from pipeline.markdown import KNOWN_ELEMENTS

WORD = re.compile(r"[^\W_]+")


def source_words(body: str) -> list[str]:
    text = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
    text = re.sub(r"\]\((?:<[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\)", "] ", text)  # link and image targets
    text = re.sub(r"<(?:https?|mailto):[^>\s]*>", " ", text)  # autolinks: the URL is shown, but is no word
    text = re.sub(r"\[\^[^\]\s]+\]:?", " ", text)  # footnote markers and labels (renumbered)
    text = re.sub(r"(?m)^([ \t>]*)\d{1,9}[.)](?=[ \t]|$)", r"\1", text)  # list numbers: <ol> counts itself
    text = re.sub(r"</?([A-Za-z][^\s/>]*)[^>]*>", lambda m: " " if m.group(1).lower() in KNOWN_ELEMENTS else m[0], text)
    return WORD.findall(text)


def visible_words(html: str) -> set[str]:
    return set(WORD.findall(" ".join(visible_parts(html, alt_text=True))))


def missing(words: list[str], seen: set[str]) -> list[str]:
    return sorted({w for w in words if w not in seen})


def check_issue(source: str, html_too: bool = True) -> Built:
    """Build the issue and assert every source word reaches email.txt (and email.html); the build, for more."""
    issue, found = parse_issue(source, Path("issues/999-test.md"))
    assert issue is not None, found
    built = prepare(issue, load_config(ROOT))
    assert built.email is not None, built.findings
    words = source_words(issue.body)
    assert words
    assert missing(words, set(WORD.findall(built.email.text))) == [], "lost in email.txt"
    if html_too and built.email.items_sent == len(built.rendered.html.items):
        assert missing(words, visible_words(built.email.html)) == [], "lost in email.html"
    return built


def test_source_words_take_markup_away() -> None:
    body = (
        '# Titel\n\nDer <Moment> und <abbr title="geheim">KI</abbr> *kursiv* [Link text](https://x.example/url)'
        "[^1] <!-- notiz --> <script>code()</script> ![Alt text](images/a.png) Autor\\*innen\n\n[^1]: Note.\n"
    )
    assert source_words(body) == [
        "Titel", "Der", "Moment", "und", "KI", "kursiv", "Link", "text", "Alt", "text", "Autor", "innen", "Note",
    ]  # fmt: skip


def test_visible_words_skip_head_and_preheader() -> None:
    html = (
        "<html><head><title>Kopf</title><style>p{}</style></head><body>"
        '<div style="display:none;mso-hide:all">Vorschau</div>'
        '<p>Sichtbar <img src="x" alt="Bildtext"></p></body></html>'
    )
    assert visible_words(html) == {"Sichtbar", "Bildtext"}


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "issues").glob("*.md")))
def test_example_issues(name: str) -> None:
    check_issue((ROOT / "issues" / name).read_text(encoding="utf-8"))


def test_example_issues_through_the_cli(project: Path) -> None:
    assert krasse(project, "build", "--drafts").exit_code == 0
    for path in sorted((project / "issues").glob("*.md")):
        issue, _ = parse_issue(path.read_text(encoding="utf-8"), path)
        out = project / "outbox" / path.stem
        words = source_words(issue.body)
        assert missing(words, set(WORD.findall((out / "email.txt").read_text(encoding="utf-8")))) == [], path.name
        assert missing(words, visible_words((out / "email.html").read_text(encoding="utf-8"))) == [], path.name


def test_template_text_is_shown_not_dropped() -> None:
    body = (
        "Einleitung mit genug Wörtern für alles.\n\n---\n\nVor <template>Schablonenwort</template> danach.\n\n"
        "<template>\n<p>Blockschablone mit <b>Fettdruck</b></p>\n</template>\n\n"
        "<TEMPLATE id=x>Großschablone</TEMPLATE>\n"
    )
    built = check_issue(HEAD + body)
    seen = visible_words(built.email.html)
    assert {"Schablonenwort", "Blockschablone", "Fettdruck", "Großschablone"} <= seen
    assert "<template" not in built.email.html.lower()


@pytest.mark.parametrize(("size", "seed", "footnotes"), [(5_000, 1, False), (24_000, 2, True), (60_000, 3, True)])
def test_generated_issues(size: int, seed: int, footnotes: bool) -> None:
    check_issue(generate_issue(100 + seed, size, seed, footnotes, False))


# --- hypothesis: Markdown-ish German text ----------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzäöüßABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ"
GERMAN = [
    "Plattform", "Öffentlichkeit", "Straße", "über", "Wärme", "Größe", "Bärbel", "Brötchen", "Ärger",
    "und", "der", "die", "das", "Übermut", "Moment", "Hardware-Wende", "Zeitgeist", "Maß", "Fußnote",
]  # fmt: skip

word = st.one_of(st.sampled_from(GERMAN), st.text(LETTERS, min_size=1, max_size=9))
# Angle-bracket words that begin like an HTML element (`<B` + `ärbel>`, `<Em` + `üsli>`) are the tricky ones.
TRICKY = ["Bärbel", "Brötchen", "Säge", "Päckchen", "Imß", "Emüsli", "Ulü", "Qüe", "Moment", "Hardware-Wende"]
bracket_word = st.one_of(st.sampled_from(TRICKY), st.text(LETTERS, min_size=2, max_size=9)).filter(
    lambda w: w.lower() not in KNOWN_ELEMENTS and w[0].isascii() and w[0].isalpha()
)


@st.composite
def inline(draw) -> str:
    kind = draw(
        st.sampled_from(["plain", "plain", "plain", "em", "strong", "angle", "link", "quote", "code", "strike", "note"])
    )
    w = draw(word)
    return {
        "plain": w,
        "em": f"*{w}*",
        "strong": f"**{w}**",
        "angle": f"<{draw(bracket_word)}>",
        "link": f"[{w} {draw(word)}](https://example.org/{draw(st.integers(0, 99))})",
        "quote": f"„{w}“",
        "code": f"`{w}`",
        "strike": f"~~{w}~~",
        "note": f"{w}[^{draw(st.integers(1, 3))}]",
    }[kind]


line = st.lists(inline(), min_size=1, max_size=12).map(" ".join)


@st.composite
def block(draw) -> str:
    kind = draw(st.sampled_from(["para", "para", "quote", "list", "olist", "heading", "rule", "html", "html"]))
    if kind == "para":
        return "\n".join(draw(st.lists(line, min_size=1, max_size=3)))
    if kind == "quote":
        return "\n".join("> " + text for text in draw(st.lists(line, min_size=1, max_size=3)))
    if kind == "list":
        return "\n".join("- " + text for text in draw(st.lists(line, min_size=1, max_size=4)))
    if kind == "olist":
        return "\n".join(f"{n}. " + text for n, text in enumerate(draw(st.lists(line, min_size=1, max_size=4)), 1))
    if kind == "heading":
        return "## " + draw(line)
    if kind == "html":  # a raw HTML block: Markdown stays literal inside, angle-bracket words must survive
        tag = draw(st.sampled_from(["div", "p", "details", "section", "template"]))
        return f"<{tag}>" + draw(line).replace("[^", "[") + f"</{tag}>"
    return "---"


issue_body = st.lists(block(), min_size=1, max_size=8).map("\n\n".join)

HEAD = '---\nnumber: 9\ntitle: "Zufall"\ndate: 2026-01-05\npreheader: "Ein Vorschautext, der lang genug ist."\n---\n\n'


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=issue_body)
def test_hypothesis_markdown(body: str) -> None:
    notes = "\n".join(f"[^{n}]: Anmerkung {n} zur Sache." for n in (1, 2, 3))
    source = HEAD + "Einleitung mit genug Wörtern.\n\n" + body + "\n\n" + notes + "\n"
    check_issue(source)


def test_premailer_marker_written_as_text_stays() -> None:
    """The inliner marks the layout's <style> blocks `data-premailer="ignore"` and takes the mark
    away afterwards: only from those tags, never from what the author wrote about it."""
    body = (
        "Einleitung mit genug Wörtern für alles.\n\n---\n\n"
        'Das Attribut data-premailer="ignore" hilft beim Inlining, sagt die Anleitung.\n\n'
        'Im Code: `<style data-premailer="ignore">` bleibt stehen.\n'
    )
    built = check_issue(HEAD + body)
    assert built.email.html.count('data-premailer="ignore"') == 2
    assert "<style data-premailer" not in built.email.html  # the layout's own marks are gone


def test_style_attribute_written_as_text_keeps_its_spacing() -> None:
    """The minifier folds `a ; b` to `a;b` in style attributes of tags; text that reads like one
    (in prose or a code span) is the author's and stays as written."""
    body = (
        "Einleitung mit genug Wörtern für alles.\n\n---\n\n"
        'Im Quelltext stand style="color: red ; margin: 0" mitten im Satz.\n\n'
        'Und im Code: `<p style="color: blue ; margin: 0">` so.\n'
    )
    built = check_issue(HEAD + body)
    text = " ".join(visible_parts(built.email.html))
    assert 'style="color: red ; margin: 0"' in text
    assert '<p style="color: blue ; margin: 0">' in text
    assert ";margin" in built.email.html  # the layout's own style attributes are still folded
