"""The email transforms' speed-ups give what the plain library calls give, on odd and hostile HTML too.

The inliner skips rules for tags the HTML does not contain and keeps premailer's style merging and
HTML attributes per distinct input; each is compared here with a fresh, uncached premailer.
"""

from __future__ import annotations

import logging
import re

import premailer.premailer
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.cssselect import CSSSelector
from premailer import Premailer
from premailer.merge_style import merge_styles

from pipeline.mail.inline import inline_css


def premailer_alone(html: str, css: str) -> str:
    """A fresh Premailer with its own merge_styles, every rule, nothing cached; same options and
    serialisation as inline_css, so the bytes must be equal."""
    marked = re.sub(r"<style(?![^>]*data-premailer)", '<style data-premailer="ignore"', html, flags=re.I)
    ours = premailer.premailer.merge_styles, premailer.premailer._create_cssselector
    premailer.premailer.merge_styles, premailer.premailer._create_cssselector = merge_styles, CSSSelector
    try:
        out = Premailer(
            marked, css_text=css, allow_network=False, allow_loading_external_files=False, disable_validation=True,
            disable_leftover_css=True, keep_style_tags=True, remove_classes=False, strip_important=False,
            preserve_handlebar_syntax=True, disable_basic_attributes=["height", "width"],
            cssutils_logging_level=logging.CRITICAL, cache_css_parsing=False,
        ).transform(pretty_print=False)  # fmt: skip
    finally:
        premailer.premailer.merge_styles, premailer.premailer._create_cssselector = ours
    out = out.replace(' data-premailer="ignore"', "")
    return "<!doctype html>" + out if not out.lower().startswith("<!doctype") else out


ELEMENTS = [
    "<p>Text</p>",
    "<P>Gro&szlig;</P>",
    '<p style="color: red; text-align: center">Rot</p>',
    '<a href="https://example.org/">Link</a>',
    '<a name="x">Anker</a>',
    '<div class="c"><p>Absatz</p><p>Zweiter</p></div>',
    '<div class="c"><blockquote><p>Zitat</p></blockquote></div>',
    '<div class="c"><ul><li>Eins</li><li>Zwei</li></ul></div>',
    '<div class="c"><sup><a href="#n1" class="backref">1</a></sup></div>',
    '<div class="c"><table><tr><th>A</th><td style="width: 40px">B</td></tr></table></div>',
    '<div class="c x"><img src="https://example.org/a.png" style="height: 20px"></div>',
    "<o:p>Outlook</o:p>",
    "<!--[if mso]><table><tr><td><![endif]-->",
    "<!-- <h3>in a comment</h3> -->",
    "Text direkt im body",
    '<span class="backref">s</span>',
    '<td style="background-color: #abc">verwaist</td>',
    '<a href="{{ web_url }}">Web</a>',
    '<a href="{{ url "x" }}" title="{{ a & b }}">Handlebars</a><img src="{{ bild }}" alt="{{ alt }}">',
    "<pre>  eingerückt  </pre>",
    '<div class="c"><div class="c"><p>verschachtelt</p></div></div>',
    '<p class="c">selbst c<span>innen</span></p>',
    '<div class="\tc\nnotes-block "><li>Tab</li><p>x</p><!-- danach --></div>',
    '<div class="C"><p>groß</p></div>',
    '<div class="notes-block"><ol><li>Note</li></ol></div>',
    '<div class="c"><p>a</p><p>b</p><?pi x?></div>',
    '<div class="c"><p class="x">x</p><p>letzter</p><!-- danach --></div>',
    '<div class="notes-block"><div class="c"><p class="backref x">tief</p></div></div>',
]
RULES = [
    "body { margin: 0; }",
    ".c p { margin: 0 0 16px; }",
    "p { color: #123; }",
    "P { color: #321; }",
    ".c p:last-child { margin-bottom: 0; }",
    "li:nth-child(2) { color: red; }",
    ".c a[href] { color: #c00; }",
    "[href] { text-decoration: none; }",
    "a[href^='https'] { color: blue; }",
    ".c .backref { padding: 4px; }",
    "div > p { line-height: 1.3; }",
    "td, th { border: 1px solid #ddd; background-color: #eee; text-align: left; }",
    ".c h3 { font-size: 19px; }",
    ".c img { display: block; width: 100%; }",
    "o|p { color: green; }",
    "* { font-family: serif; }",
    "pre { white-space: pre-wrap; }",
    ".c sup a { padding: 6px 5px; vertical-align: top; }",
    "b, strong { font-weight: 700 !important; }",
    "p:hover { color: pink; }",
    ".c > p { color: olive; }",
    ".c  >  li { color: lime; }",
    ".c :first-child { color: navy; }",
    ".c span, .C p { color: teal; }",
    ".notes-block li { margin: 0 0 10px; }",
    ".c p + p { margin-top: 0; }",
    '.c a[title="a|b"] { color: red; }',
    ".c .c p { color: maroon; }",
    ".c .x { color: gray; }",
    ".c .c { color: silver; }",
    ".notes-block .x { color: aqua; }",
    ".c li:first-child, .c p:last-child { color: purple; }",
    ".c p:first-child:last-child { color: fuchsia; }",
]


def document(body: str) -> str:
    return f"<!doctype html><html><head><style>.keep {{ color: red; }}</style></head><body>{body}</body></html>"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ELEMENTS), max_size=8), st.lists(st.sampled_from(RULES), min_size=1, max_size=8))
def test_inline_matches_premailer_alone_on_mixed_html_and_rules(parts: list[str], rules: list[str]) -> None:
    html, css = document("".join(parts)), "\n".join(rules)
    assert inline_css(html, css) == premailer_alone(html, css)


def test_the_same_styles_on_many_elements_give_each_its_own_attributes() -> None:
    """Kept merge results and HTML attributes are per style, never per element: every cell gets them."""
    html = document("<table>" + '<tr><td style="width: 40px">a</td><td>b</td></tr>' * 30 + "</table>")
    css = "td { background-color: #abc; text-align: right; }"
    out = inline_css(html, css)
    assert out.count('bgcolor="#aabbcc"') == 60
    assert out.count('align="right"') == 60
    assert out.count('style="background-color:#abc; text-align:right; width:40px"') == 30
    assert out == premailer_alone(html, css)


# --- the minifier ----------------------------------------------------------------------------------


def white_and_blocks_as_regexes(text: str) -> str:
    """The minifier's white-space passes as they were: three regular expressions."""
    block = (
        "html|head|body|meta|title|style|link|table|thead|tbody|tfoot|tr|td|th|div|p|h[1-6]|ul|ol|li|"
        "blockquote|hr|br|section|center|xml|noscript|o:[a-z]+"
    )
    tag = rf"</?(?:{block})\b[^>]*>"
    text = re.sub(r"[\t\r\n][ \t\r\n]*| [ \t\r\n]+", " ", text)
    text = re.sub(rf"\s+(?={tag})", "", text, flags=re.I)
    return re.sub(rf"({tag})(\s+)", _after_block, text, flags=re.I)


def _after_block(m: re.Match) -> str:
    """White space after a block tag goes; before text only HTML's own (a no-break space is seen)."""
    run, rest = m.group(2), m.string[m.end() : m.end() + 1]
    return m.group(1) if run.isascii() or rest in ("", "<") else m.group(1) + run.lstrip(" \t\n\r\f")


WHITE_PIECES = [
    *(" ", "  ", "\n", "\t", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2003", "\u2028", "\u3000"),
    *("Wort", "ä", "<p>", "</P>", "<b>", "</b>", "<td >", "<o:p>", "<br/>", "<h2\nid=x>", "<blockquote>", "<pre>"),
    *('<div title=" <p> ">', '<a title="a <td>  b">', "<p", ">", "<", '<img src="x">', "<!-- c -->", "<BR>"),
    *("<p title='a>b'>", "<ul\t>", "<div", "<hr/>", "<x-p>", "<p-x>", "</p >", "<BLOCKQUOTE >", "> "),
]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(WHITE_PIECES), max_size=25).map("".join))
def test_white_space_passes_match_the_regexes_they_replace(text: str) -> None:
    """Also on what lxml never writes: `<` inside attributes, Unicode white space, CR, form feeds."""
    from pipeline.mail.minify import _after_blocks, _before_blocks, _white_runs

    assert _after_blocks(_before_blocks(_white_runs(text))) == white_and_blocks_as_regexes(text)


# --- placeholders ----------------------------------------------------------------------------------


def fill_html_tag_by_tag(marked: str, values: dict[str, str]) -> str:
    """fill_html as it was: every tag looked at on its own, the text between tags filled piece by piece."""
    from pipeline.mail.placeholders import _ATTR, _TAG, _TOKEN, _attribute, fill_text

    out, last = [], 0
    for tag in _TAG.finditer(marked):
        out.append(fill_text(marked[last : tag.start()], values))
        raw = tag.group(0)
        out.append(_ATTR.sub(lambda m: _attribute(m, values), raw) if _TOKEN.search(raw) else raw)
        last = tag.end()
    out.append(fill_text(marked[last:], values))
    return "".join(out)


def token_pieces() -> list[str]:
    from pipeline.mail.placeholders import TOKENS

    web, unsub, name = TOKENS["web"], TOKENS["unsubscribe"], TOKENS["first_name"]
    return [
        *("<p>", "</p>", "Text ", "<", ">", "<a", " ", '"', "'", "<!-- ", " -->", "<br/>", "ä „x“"),
        *(f'<a href="{web}">', f"<a href={unsub} id=x>", f"<img alt='{name}' src=\"x\">", web, unsub, name),
        *(f'<a title="<{web}">', f"<p {name}>", f"<td style='a' data-x=\"{web}?a=1\">", f"<!--{unsub}-->"),
        *("<!-- <b ", "<1", "> <", f"<{web} href={unsub}>", f"<a href='{web}'", "b>"),
    ]


@settings(max_examples=600, deadline=None)
@given(st.data())
def test_fill_html_matches_filling_tag_by_tag(data: st.DataObject) -> None:
    from pipeline.mail.placeholders import fill_html

    marked = "".join(data.draw(st.lists(st.sampled_from(token_pieces()), max_size=20)))
    values = {"unsubscribe": "*|UNSUB|*", "web": 'https://example.org/a?b=1&c="2"', "first_name": "{{ name }}"}
    assert fill_html(marked, values) == fill_html_tag_by_tag(marked, values)


STYLE_PIECES = [
    *(" ", "\n", "\xa0", "\u2028", "x", "<td", ">", '"', 'style="', 'style=""', 'style="a : b ; c:d ;"'),
    *(' style="a;b', "style=", '<p style="x ; y">', '<a title=" style="', 'xstyle="q"', "  style='a;b'"),
    *("<img alt='", "'", '="', "= '"),
]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(STYLE_PIECES), max_size=20).map("".join))
def test_style_attributes_in_tags_are_folded_and_text_is_kept(html: str) -> None:
    from pipeline.mail.minify import _style_attrs

    def folded(attr: str) -> str:  # the minifier's style pass as it was, uncached
        return attr[:8] + re.sub(r"\s*;\s*", ";", attr[8:-1]).strip() + '"'

    def in_tag(m: re.Match) -> bool:  # the last `<` before it, not closed by `>`, outside its values
        tag = re.search(r"<[^<>]*\Z", html[: m.start()])  # serialised values hold no `<`
        if tag is None or not re.match(r"<[A-Za-z]", tag.group(0)):
            return False
        quote, after_equals = "", False  # a quote opens a value only after `=` (and white space)
        for c in tag.group(0):
            if quote:
                quote = "" if c == quote else quote
            elif c in "\"'":
                if not after_equals:
                    return False
                quote, after_equals = c, False
            elif c == "=" or not c.isspace():
                after_equals = c == "="
        return not quote

    expected = re.sub(r'\sstyle="[^"]*"', lambda m: folded(m.group(0)) if in_tag(m) else m.group(0), html)
    assert _style_attrs(html) == expected


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(WHITE_PIECES), max_size=25).map("".join))
def test_white_runs_fold_as_the_regex_did(text: str) -> None:
    from pipeline.mail.minify import _white_runs

    assert _white_runs(text) == re.sub(r"[\t\r\n][ \t\r\n]*| [ \t\r\n]+", " ", text)


def style_blocks_as_they_were(html: str) -> str:
    """The minifier's <style> pass as it was: a lazy `.*?` body, each block's CSS folded anew."""

    def css(m: re.Match) -> str:
        body = re.sub(r"\s+", " ", re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.S))
        return m.group(1) + re.sub(r"\s+(?=[{};,>])|(?<=[{};,>])\s+", "", body).strip() + m.group(3)

    return re.sub(r"(<style\b[^>]*>)(.*?)(</style>)", css, html, flags=re.S | re.I)


STYLE_BLOCK_PIECES = [
    *("<style>", "<STYLE type=x>", "<style\n>", "<styles>", "</style>", "</STYLE>", "</style >", "</styl", "<"),
    *(" ", "\n\t", "a { b : c ; }", "/* x */", "/* <y> */", "@media (min-width:480px) {", "}", "p > a", "<p>"),
    *("x", "ä", "<style>.a{b:c}</style>", "/*", "*/", "</", "<!--", "-->", "\u2028"),
]


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(STYLE_BLOCK_PIECES), max_size=20).map("".join))
def test_style_blocks_fold_as_the_lazy_regex_did(html: str) -> None:
    """Also unclosed blocks, `</style >`, a `<` inside the CSS; every block twice (kept results)."""
    from pipeline.mail.minify import _STYLE, _css

    expected = style_blocks_as_they_were(html)
    assert _STYLE.sub(_css, html) == expected
    assert _STYLE.sub(_css, html) == expected
