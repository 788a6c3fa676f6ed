"""Each email transform on its own: literal HTML in, expected fragments out."""

from __future__ import annotations

import socket

import pytest

from pipeline.mail.inline import inline_css
from pipeline.mail.minify import minify
from pipeline.mail.mjml import MjmlError, mjml_to_html
from pipeline.mail.steps import email_steps, run_steps

MJML = """<mjml lang="de">
  <mj-head><mj-title>Betreff</mj-title></mj-head>
  <mj-body width="600px">
    <mj-section><mj-column>
      <mj-text font-family="Georgia, serif"><div class="c"><p>Hallo „Welt“</p></div></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>
"""


# --- mjml ---------------------------------------------------------------------------------------


def test_mjml_renders_a_full_document() -> None:
    html = mjml_to_html(MJML)
    assert html.lower().startswith("<!doctype html>")
    assert '<html lang="de"' in html
    assert "<title>Betreff</title>" in html
    assert '<div class="c"><p>Hallo „Welt“</p></div>' in html
    assert 'role="presentation"' in html
    assert "max-width:600px" in html.replace(" ", "")


def test_mjml_adds_no_web_fonts() -> None:
    html = mjml_to_html(MJML.replace('font-family="Georgia, serif"', 'font-family="Roboto, Ubuntu, sans-serif"'))
    assert "fonts.googleapis" not in html
    assert "@import" not in html


def test_mjml_error_is_a_clear_exception() -> None:
    with pytest.raises(MjmlError, match="MJML could not be rendered"):
        mjml_to_html("<mjml><mj-body><mj-section></mj-body></mjml>")


# --- inline -------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="de"><head><title>T</title>
<style>@media (max-width:480px){.x{color:red}}</style>
</head><body><div class="c"><p>Absatz</p><blockquote><p>Zitat</p></blockquote></div><p>Layout</p></body></html>
"""
CSS = ".c p { margin: 0 0 16px; } .c blockquote { border-left: 4px solid #c2185b; }"


def test_inline_styles_on_issue_text_only() -> None:
    out = inline_css(PAGE, CSS)
    assert '<p style="margin:0 0 16px">Absatz</p>' in out
    assert '<blockquote style="border-left:4px solid #c2185b">' in out
    assert "<p>Layout</p>" in out  # outside `.c`: untouched


def test_inline_keeps_doctype_head_styles_and_media_queries() -> None:
    out = inline_css(PAGE, CSS)
    assert out.lower().startswith("<!doctype html>")
    assert "@media (max-width:480px){.x{color:red}}" in out
    assert "data-premailer" not in out


def test_inline_keeps_merge_tags_intact() -> None:
    out = inline_css(PAGE.replace("<p>Layout</p>", '<a href="{{unsubscribe_url}}">Abmelden</a>'), CSS)
    assert 'href="{{unsubscribe_url}}"' in out


def test_inline_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access during inline_css")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    page = PAGE.replace("<title>T</title>", '<title>T</title><link rel="stylesheet" href="http://evil.example/x.css">')
    out = inline_css(page, CSS)
    assert attempts == []
    assert '<p style="margin:0 0 16px">Absatz</p>' in out


# --- minify -------------------------------------------------------------------------------------


def test_minify_keeps_outlook_conditionals() -> None:
    html = (
        "<body>\n  <!--[if mso | IE]><table><tr><td><![endif]-->\n  <div>x</div>\n"
        "  <!--[if !mso]><!--><p>nicht Outlook</p><!--<![endif]-->\n"
        "  <!--[if mso | IE]></td></tr></table><![endif]-->\n"
        "</body>"
    )
    out = minify(html)
    assert "<!--[if mso | IE]><table><tr><td><![endif]-->" in out
    assert "<!--[if !mso]><!--><p>nicht Outlook</p><!--<![endif]-->" in out
    assert "<!--[if mso | IE]></td></tr></table><![endif]-->" in out


def test_minify_removes_plain_comments() -> None:
    assert minify("<p>a<!-- geheim -->b</p>\n<!--\nmehrzeilig\n-->") == "<p>ab</p>\n"


def test_minify_keeps_pre_whitespace() -> None:
    pre = "<pre>Zeile 1\n    eingerückt\n\n  Ende</pre>"
    assert pre in minify(f"<div>\n  {pre}\n</div>")


def test_minify_keeps_space_between_inline_elements() -> None:
    assert minify("<p><b>a</b> <i>b</i></p>") == "<p><b>a</b> <i>b</i></p>\n"
    assert minify("<p>\n  <b>a</b>\n  <i>b</i>\n</p>") == "<p><b>a</b> <i>b</i></p>\n"
    assert minify("<p>Wort <a href='x'>Link</a>, weiter</p>") == "<p>Wort <a href='x'>Link</a>, weiter</p>\n"


def test_minify_folds_whitespace_around_blocks_and_in_css() -> None:
    out = minify("<table>\n  <tr>\n    <td>x</td>\n  </tr>\n</table>\n<style>\n  .a { color : red ; }\n</style>")
    assert out == "<table><tr><td>x</td></tr></table><style>.a{color : red;}</style>\n"
    assert minify('<div style="color: red ;  margin: 0">x</div>') == '<div style="color: red;margin: 0">x</div>\n'


def test_minify_is_idempotent() -> None:
    html = mjml_to_html(MJML)
    once = minify(html)
    assert minify(once) == once


# --- the ordered list ---------------------------------------------------------------------------


def test_steps_run_in_order_and_are_timed() -> None:
    timings: dict[str, float] = {}
    out = run_steps(MJML, email_steps(".c p { margin: 0 0 16px; }"), timings)
    assert [name for name, _ in email_steps("")] == ["mjml", "inline", "minify"]
    assert set(timings) == {"mjml", "inline", "minify"} and all(t >= 0 for t in timings.values())
    assert '<p style="margin:0 0 16px">Hallo „Welt“</p>' in out
    assert "\n" not in out.rstrip("\n").split("</head>")[1][:200]  # minified body
