"""The speed-ups give exactly what the plain library calls give: same input, same bytes.

Each fast path is compared with the straightforward use of the library it stands in for, on the
example issues and on generated ones, so a layout or stylesheet edit cannot make them drift apart.
"""

from __future__ import annotations

import itertools
import logging
import re
import textwrap
from pathlib import Path

import pytest
from generate import generate_issue
from hypothesis import given, settings
from hypothesis import strategies as st
from premailer import Premailer

from pipeline.build import prepare
from pipeline.config import load_config
from pipeline.load import parse_issue
from pipeline.mail.compose import _css, environment
from pipeline.mail.inline import inline_css
from pipeline.mail.minify import minify
from pipeline.mail.mjml import mjml_to_html
from pipeline.text import wrap_lines

ROOT = Path(__file__).resolve().parent.parent


def textwrap_lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


PIECES = [" ", "  ", "\t", "\n", "\r", "\x0b", "a", "b", "Wort", "x" * 9, "–", "ä", "Nutzer*innen"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join), st.integers(1, 14))
def test_wrap_lines_breaks_like_textwrap(text: str, width: int) -> None:
    assert wrap_lines(text, width) == textwrap_lines(text, width)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, "\xa0", "\u2003", "\x1c", "S.\xa05"]), max_size=30).map("".join))
def test_wrap_lines_with_unicode_spaces_breaks_like_textwrap(text: str) -> None:
    assert wrap_lines(text, 8) == textwrap_lines(text, 8)


def test_only_the_plain_space_is_printable_white_space() -> None:
    """wrap_lines looks for other white space only in unprintable text: sound only while this holds."""
    spaces = re.findall(r"\s", "".join(map(chr, range(0x110000))))
    assert len(spaces) > 20 and [c for c in spaces if c.isprintable()] == [" "]


def test_wrap_lines_on_real_paragraphs() -> None:
    body = generate_issue(7, 24_000, seed=7, footnotes=5)
    paragraphs = [p for p in body.split("\n\n") if len(p) > 80]
    assert len(paragraphs) > 10
    for width in (72, 70, 66, 40):
        for paragraph in paragraphs:
            assert wrap_lines(paragraph, width) == textwrap_lines(paragraph, width)


def premailer_alone(html: str, css: str) -> str:
    """The inliner as first written: a fresh Premailer per call, nothing cached, pretty-printed."""
    marked = re.sub(r"<style(?![^>]*data-premailer)", '<style data-premailer="ignore"', html, flags=re.I)
    out = Premailer(
        marked, css_text=css, allow_network=False, allow_loading_external_files=False, disable_validation=True,
        disable_leftover_css=True, keep_style_tags=True, remove_classes=False, strip_important=False,
        preserve_handlebar_syntax=True, disable_basic_attributes=["height", "width"],
        cssutils_logging_level=logging.CRITICAL, cache_css_parsing=False,
    ).transform()  # fmt: skip
    out = out.replace(' data-premailer="ignore"', "")
    return "<!doctype html>" + out if not out.lower().startswith("<!doctype") else out


def email_mjml(stem: str, source: str | None = None) -> tuple[str, str]:
    config = load_config(ROOT)
    path = ROOT / "issues" / f"{stem}.md"
    issue, _ = parse_issue(source or path.read_text("utf-8"), path)
    assert issue is not None
    built = prepare(issue, config)
    assert built.email is not None
    css, _ = _css(environment(config.layouts_dir), config)
    return mjml_to_html(built.email.mjml), css


@pytest.mark.parametrize("stem", [p.stem for p in sorted((ROOT / "issues").glob("*.md"))])
def test_inline_matches_premailer_alone_on_the_examples(stem: str) -> None:
    html, css = email_mjml(stem)
    assert minify(inline_css(html, css)) == minify(premailer_alone(html, css))


def test_inline_matches_premailer_alone_on_a_generated_issue() -> None:
    html, css = email_mjml("999-generiert", generate_issue(9, 30_000, seed=9, footnotes=12))
    assert minify(inline_css(html, css)) == minify(premailer_alone(html, css))


@pytest.mark.parametrize("stem", ["041-plattform-daemmerung", "042-der-moment"])
def test_inline_without_css_validation_matches_premailer_with_it(stem: str, monkeypatch) -> None:
    """The inliner removes cssutils' validation profiles; premailer with all of them gives the same bytes."""
    import cssutils
    import cssutils.profiles
    from premailer import cache as premailer_cache

    html, css = email_mjml(stem)
    ours = inline_css(html, css)
    assert not cssutils.profile.knownNames  # validation is off for our inlining
    monkeypatch.setattr(cssutils, "profile", cssutils.profiles.Profiles(log=cssutils.log))
    premailer_cache.cache.clear()  # premailer keeps parsed style attributes per process
    assert "font-size" in cssutils.profile.knownNames
    assert minify(ours) == minify(premailer_alone(html, css))
    premailer_cache.cache.clear()


def test_inline_sees_an_edited_stylesheet() -> None:
    """The rules are kept per stylesheet text: a changed sheet (as in `watch`) is worked out anew."""
    html, css = email_mjml("041-plattform-daemmerung")
    inline_css(html, css)
    edited = css + "\n.c p { color: #123456; }\n.c li { letter-spacing: 1px; }"
    out = inline_css(html, edited)
    assert "color:#123456" in out
    assert minify(out) == minify(premailer_alone(html, edited))


def minify_as_first_written(html: str) -> str:
    """The minifier before its speed-up: one `\\s*`-led pattern per pass, templates in re.sub."""
    keep = re.compile(r"(<(pre|textarea|script)\b.*?</\2>)", re.S | re.I)
    comment = re.compile(r"<!--(?!\[if|>|<!\[endif|\s*\[endif).*?-->", re.S)
    block = (
        "html|head|body|meta|title|style|link|table|thead|tbody|tfoot|tr|td|th|div|p|h[1-6]|ul|ol|li|"
        "blockquote|hr|br|section|center|xml|noscript|o:[a-z]+"
    )
    around = re.compile(rf"\s*(</?(?:{block})\b[^>]*>)(\s*)", re.I)

    def after(m: re.Match) -> str:  # before text only HTML's white space goes: a no-break space is seen
        run, rest = m.group(2), m.string[m.end() : m.end() + 1]
        return m.group(1) if run.isascii() or rest in ("", "<") else m.group(1) + run.lstrip(" \t\n\r\f")

    def css(m: re.Match) -> str:
        text = re.sub(r"/\*.*?\*/", "", m.group(2), flags=re.S)
        text = re.sub(r"\s*([{};,>])\s*", r"\1", re.sub(r"\s+", " ", text))
        return m.group(1) + text.strip() + m.group(3)

    parts = keep.split(html)
    out = []
    for i in range(0, len(parts), 3):
        out.append(around.sub(after, re.sub(r"[ \t\r\n]+", " ", comment.sub("", parts[i]))))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    html = re.sub(r"(<style\b[^>]*>)(.*?)(</style>)", css, "".join(out), flags=re.S | re.I)
    html = re.sub(
        r'(\sstyle=")([^"]*)(")', lambda m: m.group(1) + re.sub(r"\s*;\s*", ";", m.group(2)).strip() + m.group(3), html
    )
    return html.strip() + "\n"


# Serialised HTML as the inliner (lxml) writes it: a `<` inside a tag is always escaped.
HTML_PIECES = [
    "<p>", "</p>", '<div class="c">', "</div>", "<b>", "</b>", " ", "  ", "\n", "\t", "\r\n", "\xa0", " \u2003 ",
    "Wort", "<!-- Notiz -->", "<!--[if mso]>", "<![endif]-->", "<!--[if !mso]><!-->", "<!--<![endif]-->", "<pre>",
    "</pre>", '<td style=" a : b ; c:d ; ">', "</td>", "<style>", "</style>", " a > b { c : d ; } ", "/* k */",
    '<a title="x &lt;p&gt; y">', "</a>", "<br>", "<BR/>", "<o:p>", 'style="x;y"', '<img style="a;b" src="x">',
    "<script>", "</script>", "<TABLE>", "<tr >", '<h2 id="a">', "<textarea>", "{{ unsubscribe_url }}",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(HTML_PIECES), max_size=30).map("".join))
def test_minify_matches_the_first_version(html: str) -> None:
    assert minify(html) == minify_as_first_written(html)


@pytest.mark.parametrize("stem", [p.stem for p in sorted((ROOT / "issues").glob("*.md"))])
def test_minify_matches_the_first_version_on_the_examples(stem: str) -> None:
    html, css = email_mjml(stem)
    inlined = inline_css(html, css)
    assert minify(inlined) == minify_as_first_written(inlined)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30))
def test_link_normalisation_matches_markdown_it(path: str) -> None:
    """Plain ASCII links skip the URL parse and, when nothing needs escaping, the encoder too."""
    from markdown_it.common.normalize_url import normalizeLink

    from pipeline.markdown import parser

    for url in ("https://example.org/" + path, "http://x.example/" + path.replace("[", "")):
        assert parser().normalizeLink(url) == normalizeLink(url)


def _modules_after(code: str) -> set[str]:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return set(out.stdout.split())


def test_inlining_does_not_import_requests() -> None:
    """premailer's `requests` and cssutils' `urllib.request`, `importlib.metadata`, `encutils` and
    `email.message` (remote stylesheets only) stay unloaded, yet are real when used."""
    loaded = _modules_after(
        "from pipeline.mail.inline import inline_css\n"
        "out = inline_css('<html><body><div class=\"c\"><p>x</p></div></body></html>', '.c p { margin: 0; }')\n"
        "assert 'style=\"margin:0\"' in out, out\n"
    )
    assert "premailer" in loaded
    fetching = {"requests", "urllib.request", "importlib.metadata", "encutils", "email.message"}
    assert {*fetching, "http.client", "ssl"} & loaded == set()
    loaded = _modules_after(
        "from pipeline.mail.inline import inline_css\n"
        "inline_css('<p>x</p>', 'p { margin: 0; }')\n"
        "import premailer.premailer, requests\n"
        "assert premailer.premailer.requests.Session is requests.Session\n"
        "import cssutils._fetch, urllib.request\n"
        "assert cssutils._fetch.urllib.request.urlopen is urllib.request.urlopen\n"
        "assert cssutils._fetch._get_version()[0].isdigit(), cssutils._fetch._get_version()\n"
        "assert cssutils._fetch.encutils.getHTTPInfo.__module__ == 'encutils'\n"
        "import email\n"
        "assert email.message.EmailMessage.__module__ == 'email.message'\n"
    )
    assert fetching <= loaded
    loaded = _modules_after(  # used by cssutils before anyone imported it
        "from pipeline.mail.inline import inline_css\n"
        "inline_css('<p>x</p>', 'p { margin: 0; }')\n"
        "import cssutils\n"
        "assert cssutils.Replacer('file:///tmp/x.css')('a b.css') == '/tmp/a%20b.css'\n"
    )
    assert "urllib.request" in loaded


def test_the_archive_and_the_cli_start_without_premailer() -> None:
    loaded = _modules_after("import pipeline.cli, pipeline.archive")
    assert "premailer" not in loaded
    assert "cssutils" not in loaded


# Heavy modules that only some commands or some issues need; importing them up front was most of a
# cold `krasse build` (`python -X importtime -m pipeline build ...`).
ON_DEMAND = ["premailer", "cssutils", "numpy", "py3langid", "PIL", "pipeline.export.services", "watchdog", "feedgen",
             "rich.progress", "webbrowser", "requests"]  # fmt: skip


def test_the_cli_starts_without_the_modules_only_some_commands_need() -> None:
    loaded = _modules_after("import pipeline.cli")
    assert sorted(set(ON_DEMAND) & loaded) == []


def test_export_help_still_lists_the_services() -> None:
    """The service names are read when the help is shown, not at import."""
    from click.testing import CliRunner

    from pipeline.cli import cli
    from pipeline.export.listing import builtin_names

    out = " ".join(CliRunner().invoke(cli, ["export", "--help"]).output.split())
    assert len(builtin_names()) > 5
    assert ", ".join(builtin_names()) in out


def test_a_build_loads_pillow_and_numpy_only_for_images_and_foreign_passages(project: Path) -> None:
    """042 has English quotes but no image, 043 an image but no foreign passage: each cold build
    imports only what its issue needs, and what it imports is really used. The language model is
    unpacked first, as after any machine's first build (unpacking it uses numpy)."""
    import subprocess
    import sys

    from pipeline import language

    language._identifier.__wrapped__()  # into the session's cache folder, which the builds below use
    after_build = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES', ' '.join(sys.modules)))\n"
        "from pipeline.cli import main\n"
        "sys.argv = ['krasse', 'build', sys.argv[1]]\n"
        "main()\n"
    )

    def modules_of_build(stem: str) -> set[str]:
        out = subprocess.run(
            [sys.executable, "-c", after_build, f"issues/{stem}.md"], capture_output=True, text=True, cwd=project
        )
        assert out.returncode == 0, out.stderr
        return set(out.stdout.split("MODULES", 1)[1].split())

    essay = modules_of_build("042-der-moment")
    assert "premailer" in essay  # the build really ran
    assert "PIL" not in essay
    assert {"numpy", "py3langid"} & essay == set()  # the language model is read and scored without them
    assert ' lang="en"' in (project / "outbox" / "042-der-moment" / "email.html").read_text("utf-8")
    short = modules_of_build("043-kurz-und-buendig")
    assert "PIL" in short
    assert {"numpy", "py3langid"} & short == set()
    assert 'width="' in (project / "outbox" / "043-kurz-und-buendig" / "email.html").read_text("utf-8")


@pytest.mark.parametrize(
    "parts",
    [
        ("abc", "Öffentlichkeit „zitiert“ \\u2028", None),
        ({"title": "Über", "number": 5}, [("041-a.md", "f00"), ("042-b.md", "ba4")]),
        (b"raw bytes", 3, 2.5, True, ["x", {"b": 1, "a": [1, 2]}]),
    ],
)
def test_archive_digest_is_the_json_dumps_hash(parts: tuple) -> None:
    """Manifests written before keep matching: the hash is the one json.dumps gave."""
    import hashlib
    import json

    from pipeline.archive.manifest import digest

    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, ensure_ascii=False, sort_keys=True).encode())
        h.update(b"\x00")
    assert digest(*parts) == h.hexdigest()


def test_neighbour_keys_tell_every_pair_apart() -> None:
    """The page hash holds neighbours as "number title": no two pairs may give the same text."""
    from pipeline.archive.pages import Neighbour

    pairs = [
        (41, "Plattform"),
        (4, "1 Plattform"),
        (41, "Plattform "),
        (41, " Plattform"),
        (1, "41 Plattform"),
        (41, ""),
    ]
    assert len({Neighbour(n, t).key() for n, t in pairs}) == len(pairs)
    assert Neighbour(41, "Plattform").key() != Neighbour(42, "Plattform").key()


def test_candidates_sorted_by_name_match_sorted_paths(tmp_path: Path) -> None:
    """Issue files are sorted by name, not as Path objects: the same order."""
    from pipeline.load import _candidates

    names = ["10-b.md", "2-a.md", "02-a.md", "1-ä.md", "1-z.md", "100.md", "1_x.md", "1-A.md", "_skip.md", ".h.md"]
    for name in names:
        (tmp_path / name).write_text("x", "utf-8")
    found = _candidates(tmp_path)  # the *.md and *.markdown files, one listing
    assert found == sorted(p for p in tmp_path.glob("*.md") if not p.name.startswith((".", "_")))
    assert len(found) == 8


def test_fill_html_skips_only_tags_without_a_token() -> None:
    """Same bytes as walking every attribute of every tag, on a real email and on awkward tags."""
    from pipeline.mail import placeholders as ph

    def every_tag(marked: str, values: dict[str, str]) -> str:
        out, last = [], 0
        for tag in ph._TAG.finditer(marked):
            out.append(ph.fill_text(marked[last : tag.start()], values))
            out.append(ph._ATTR.sub(lambda m: ph._attribute(m, values), tag.group(0)))
            last = tag.end()
        out.append(ph.fill_text(marked[last:], values))
        return "".join(out)

    config = load_config(ROOT)
    path = ROOT / "issues" / "041-plattform-daemmerung.md"
    issue, _ = parse_issue(path.read_text("utf-8"), path)
    assert issue is not None
    email = prepare(issue, config).email
    assert email is not None
    token = ph.TOKENS["unsubscribe"]
    awkward = (
        f"<a href=\"{token}\" title='x {token}' data-{token}=1>a</a><p {token}>t {token}</p>"
        f'<img alt={token} src="https://x.example/a.png"><b>ohne</b>'
    )
    values = {"unsubscribe": 'https://u.example/?a="b"', "web": "{{ web url }}", "first_name": "Lea"}
    for marked in (email.marked_html, awkward):
        assert ph.fill_html(marked, values) == every_tag(marked, values)


def test_search_index_reuses_the_manifest_text_with_the_same_bytes() -> None:
    """search-index.js takes the manifest's words text: the same bytes as one JSON literal of it all,
    and the manifest's differences read back as the same numbers."""
    import json

    from pipeline.archive.search import Postings, SearchDoc, search_index_js

    docs = {41: ("a", "netz plattform ökonomie"), 7: ("b", "netz </script> x"), 300: ("c", "plattform netz")}
    postings = Postings().update(docs)
    listed = [SearchDoc(300, 'Titel "drei" </b>', "1. März 2024"), SearchDoc(41, "Vier", "2. März 2024")]
    words = {w: [ns[0], *(b - a for a, b in itertools.pairwise(ns))] for w, ns in postings.words.items()}
    data = {"version": 2, "docs": [[d.number, d.title, d.date] for d in listed], "words": words}
    whole = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    assert search_index_js(listed, postings) == f"window.KRASSE_SEARCH={whole};\n"
    again = Postings.from_json(json.loads(json.dumps(postings.to_json()))).unpack()
    expected = {"</script>": [7], "netz": [7, 41, 300], "plattform": [41, 300], "x": [7], "ökonomie": [41]}
    assert list(again.words.items()) == list(postings.words.items()) == list(expected.items())


def toml_line_as_first_written(text: str, section: str, key: str | None = None) -> int:
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if m := re.fullmatch(r"\[\s*\"?([^\]\"]+?)\"?\s*\]", stripped):
            current = m.group(1)
            if key is None and current == section:
                return number
        elif key and current == section and re.match(rf"\"?{re.escape(key)}\"?\s*=", stripped):
            return number
    return 0


def test_toml_line_matches_the_first_version_on_the_shipped_files() -> None:
    """Every section and key of the service profiles and the example config, plus a few that are missing."""
    import tomllib

    from pipeline.config import toml_line
    from pipeline.export.services import BUILTIN

    for path in (BUILTIN, ROOT / "newsletter.toml"):
        text = path.read_text("utf-8")
        asked = [("", None), ("", ""), ("nope", None), ("nope", "x")]
        for section, table in tomllib.loads(text).items():
            asked += [(section, None), ("", section), (section, "nope")]
            asked += [(section, key) for key in table] if isinstance(table, dict) else []
        for section, key in asked:
            assert toml_line(text, section, key) == toml_line_as_first_written(text, section, key)


TOML_PIECES = ["[a]", "[ \"b\" ]", "[[a]]", "[a.b]", "a = 1", "\"a\" = 2", "b=3", "ab = 4", "  a  =", "\"a = 5",
               "# a = 6", "a.b = 7", "", "[\"a\"", "c = [", "]"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOML_PIECES), max_size=12).map("\n".join))
def test_toml_line_matches_the_first_version(text: str) -> None:
    from pipeline.config import toml_line

    for section in ("", "a", "b", "a.b", "c"):
        for key in (None, "", "a", "b", "ab", "a.b", '"a"'):
            assert toml_line(text, section, key) == toml_line_as_first_written(text, section, key)


def _layout_env(folder: Path):  # type: ignore[no-untyped-def]
    import jinja2

    from pipeline.usercache import layout_bytecode

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), bytecode_cache=layout_bytecode())


def test_compiled_layouts_are_kept_and_an_edited_layout_is_compiled_again(tmp_path, monkeypatch) -> None:
    import jinja2

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path / "cache"))
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "email.txt.j2").write_text("Ausgabe {{ number }}\n", "utf-8")
    assert _layout_env(layouts).get_template("email.txt.j2").render(number=3) == "Ausgabe 3"
    assert list((tmp_path / "cache" / "layouts").iterdir())

    def no_compiling(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("compiled again")

    with monkeypatch.context() as patch:
        patch.setattr(jinja2.Environment, "compile", no_compiling)
        assert _layout_env(layouts).get_template("email.txt.j2").render(number=4) == "Ausgabe 4"
    (layouts / "email.txt.j2").write_text("Nummer {{ number }}\n", "utf-8")
    assert _layout_env(layouts).get_template("email.txt.j2").render(number=5) == "Nummer 5"


def test_layouts_render_without_a_writable_cache(tmp_path, monkeypatch) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path / "file" / "cache"))  # below a file: cannot be created
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "a.j2").write_text("{{ 1 + 1 }}", "utf-8")
    assert _layout_env(layouts).get_template("a.j2").render() == "2"


PLAIN_LINES = [
    "041-plattform-daemmerung: 44,149 bytes (44% of clip budget), 0 warnings, 385 ms → outbox/041-plattform-daemmerung",
    "1 built, 0 errors, 0 warnings in 0.4 s",
    "Nutzer*innen lesen „Krasse Links“ <Moment> & mehr – " + "sehr lang " * 30,
    "zwei\nZeilen", "", "   eingerückt und mit Leerzeichen am Ende   ", "一二三 emoji 🙂 a:b", "Pfad C:\\temp",
]  # fmt: skip
RICH_LINES = ["[red]rot[/red]", "a :smile: b", "Tab\there", "Wagen\rrücklauf", "Glocke\x07", "x\\[y]", "ESC\x1b[31m"]


@pytest.mark.parametrize("terminal", [False, True])
def test_plain_lines_are_printed_as_rich_prints_them(terminal: bool, monkeypatch) -> None:
    """The CLI writes plain lines itself (rich is not even imported for a clean build): they come out
    exactly as rich's Console(highlight=False, soft_wrap=True) prints them, on a terminal or not."""
    import io

    from rich.console import Console as RichConsole

    from pipeline import console as cli_console

    for line in PLAIN_LINES + RICH_LINES:
        expected = io.StringIO()
        RichConsole(file=expected, force_terminal=terminal, highlight=False, soft_wrap=True).print(line)
        ours = io.StringIO()
        monkeypatch.setattr("sys.stdout", ours)
        out = cli_console.Console()
        out.rich = RichConsole(file=ours, force_terminal=terminal, highlight=False, soft_wrap=True)
        out.print(line)
        monkeypatch.undo()
        assert ours.getvalue() == expected.getvalue(), line
    assert not any(cli_console._NEEDS_RICH.search(line) for line in PLAIN_LINES)
    assert all(cli_console._NEEDS_RICH.search(line) for line in RICH_LINES)


def test_a_clean_build_does_not_import_rich(project: Path) -> None:
    import subprocess
    import sys

    code = "import atexit, sys\natexit.register(lambda: print('MODULES', ' '.join(sys.modules)))\n"
    code += "from pipeline.cli import main\nsys.argv = ['krasse', 'build', sys.argv[1]]\nmain()\n"
    out = subprocess.run(
        [sys.executable, "-c", code, "issues/041-plattform-daemmerung.md"], capture_output=True, text=True, cwd=project
    )
    assert out.returncode == 0, out.stderr
    printed, modules = out.stdout.split("MODULES", 1)
    assert "1 built, 0 errors, 0 warnings" in printed
    assert "rich" not in modules.split()


@pytest.mark.parametrize("locale", ["de", "de-AT", "de-CH", "en", "fr"])
def test_dates_are_babels_day_by_day(locale: str, tmp_path, monkeypatch) -> None:
    """german_date writes Babel's "d. MMMM y" from month names kept in the user cache; the first
    call asks Babel, later ones (and later runs) read the cache, a damaged cache asks Babel again."""
    import datetime as dt

    from babel.dates import format_date

    from pipeline import model

    monkeypatch.setenv("KRASSE_CACHE_DIR", str(tmp_path))
    days = [dt.date(2023, 12, 25) + dt.timedelta(days=n) for n in range(400)]
    days += [dt.date(5, 3, 1), dt.date(9999, 12, 31)]
    expected = [format_date(d, "d. MMMM y", locale=locale.replace("-", "_")) for d in days]
    for damage in ('{"key": "another Babel", "value": ["x"]}', "{not json", None):
        model._month_names.cache_clear()
        assert [model.german_date(d, locale) for d in days] == expected
        (cached,) = tmp_path.glob("months-*.json")
        if damage is not None:
            cached.write_text(damage, "utf-8")

    def no_babel(locale: str) -> list[str]:
        raise AssertionError("asked Babel again")

    model._month_names.cache_clear()
    monkeypatch.setattr(model, "_babel_month_names", no_babel)
    assert [model.german_date(d, locale) for d in days] == expected
    model._month_names.cache_clear()


def test_inlining_rules_come_from_the_user_cache_on_a_first_build(tmp_path) -> None:
    """A fresh process inlines with the rules an earlier one worked out (cssutils does not parse the
    stylesheet again) and gets the same bytes; a damaged or foreign entry is parsed again; a sheet
    with @media leftovers is never kept."""
    import json
    import os
    import subprocess
    import sys

    css = ".c p { margin: 0 0 16px } .c a[href] { color: #c2185b } a:hover { color: red } p { color: #111 }"
    media = css + " @media (max-width: 600px) { .c p { margin: 0 } }"
    code = (
        "import sys\n"
        "from pipeline.mail import inline\n"
        "if sys.argv[2] == 'no-parsing':\n"
        "    def refuse(*a):\n"
        "        raise AssertionError('parsed again')\n"
        "    inline._inliner().__mro__[1]._parse_style_rules = refuse\n"
        'html = \'<html><body><div class="c"><p>Text <a href="x">Link</a></p></div></body></html>\'\n'
        "print(inline.inline_css(html, sys.argv[1]))\n"
    )
    env = dict(os.environ, KRASSE_CACHE_DIR=str(tmp_path))

    def inlined(sheet: str, mode: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code, sheet, mode], capture_output=True, text=True, env=env, cwd=ROOT
        )

    first = inlined(css)
    assert first.returncode == 0, first.stderr
    assert 'style="color:#111; margin:0 0 16px"' in first.stdout
    (kept,) = tmp_path.glob("premailer-rules-*.json")
    again = inlined(css, "no-parsing")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    kept.write_text("{damaged", "utf-8")
    assert inlined(css).stdout == first.stdout
    assert json.loads(kept.read_text("utf-8"))["value"]  # written anew
    kept.unlink()
    with_media = inlined(media)
    assert with_media.returncode == 0, with_media.stderr
    assert not list(tmp_path.glob("premailer-rules-*.json"))
    assert inlined(media, "no-parsing").returncode != 0  # parsed on every first use


def _krasse(project: Path, prelude: str, *args: str):  # type: ignore[no-untyped-def]
    """`krasse ARGS` in a fresh process through the real entry point, after `prelude`."""
    import subprocess
    import sys

    code = f"import sys\n{prelude}\nsys.argv = ['krasse', *sys.argv[1:]]\nfrom pipeline.cli import main\nmain()\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=project)


def test_a_finished_command_exits_like_python_would(project: Path) -> None:
    """The quick exit keeps the exit status (0 built, 1 errors, 2 usage), runs the exit handlers
    after the command's own output, and flushes both streams."""
    handler = "import atexit\natexit.register(lambda: print('HANDLER RAN', flush=True))"
    built = _krasse(project, handler, "build", "issues/041-plattform-daemmerung.md")
    assert built.returncode == 0, built.stderr
    assert built.stdout.index("1 built") < built.stdout.index("HANDLER RAN")
    (project / "issues" / "099-kaputt.md").write_text("---\ntitle: [unclosed\n---\nText\n", "utf-8")
    broken = _krasse(project, handler, "build", "issues/099-kaputt.md")
    assert broken.returncode == 1
    assert "099-kaputt.md" in broken.stderr and "HANDLER RAN" in broken.stdout
    wrong = _krasse(project, "", "build", "--no-such-option")
    assert wrong.returncode == 2 and "No such option" in wrong.stderr


def test_a_command_waits_for_a_running_thread_as_python_does(project: Path) -> None:
    """With another (non-daemon) thread still running, the command takes Python's normal exit, which
    waits for it: nothing it does is cut off."""
    marker = project / "thread-finished"
    prelude = (
        "import threading, time, pathlib\n"
        f"threading.Thread(target=lambda: (time.sleep(1.0), pathlib.Path({str(marker)!r}).write_text('ok'))).start()"
    )
    done = _krasse(project, prelude, "build", "issues/041-plattform-daemmerung.md")
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "ok"
