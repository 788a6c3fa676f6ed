"""Mailing-service profiles: loading, validation with file:line, and the placeholder mapping."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.export import services as esp
from pipeline.mail.placeholders import TOKENS, fill_html, fill_text, unresolved

ARCHIVE = "https://krasse-links.example/archiv/41/"
# What the transforms hand over: the layout's placeholders as tokens.
HTML = (
    f'<p>Hallo {TOKENS["first_name"]},</p><a href="{TOKENS["web"]}" title="Web">Im Browser</a> · '
    f'<a href="{TOKENS["unsubscribe"]}" style="color:#555;">Abmelden</a>'
)

# Expected tags per built-in profile, as checked with the services' documentation (see README).
EXPECTED = {
    "mailchimp": ("*|UNSUB|*", "*|ARCHIVE|*", "*|FNAME|*"),
    "brevo": ("{{ unsubscribe }}", "{{ mirror }}", "{{ contact.FIRSTNAME }}"),
    "mailerlite": ("{$unsubscribe}", "{$url}", "{$name}"),
    "kit": ("{{ unsubscribe_url }}", "", "{{ subscriber.first_name }}"),
    "buttondown": ("{{ unsubscribe_url }}", "{{ email_url }}", "{{ subscriber.metadata.first_name }}"),
    "listmonk": ("{{ UnsubscribeURL }}", "{{ MessageURL }}", "{{ .Subscriber.FirstName }}"),
    "sendy": ("[unsubscribe]", "[webversion]", "[Name,fallback=]"),
    "mailjet": ("[[UNSUB_LINK_DE]]", "[[PERMALINK]]", '[[data:firstname:""]]'),
    "postmark": ("{{{ pm:unsubscribe }}}", "", ""),
    "keila": ("{{ unsubscribe_link }}", "", "{{ contact.first_name }}"),
}


class Links(HTMLParser):
    """The attributes and text a browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[dict[str, str | None]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def profiles() -> dict[str, esp.Profile]:
    return esp.load_profiles(Path("/nonexistent-project"))


def test_builtin_profiles_are_the_documented_ones(profiles):
    assert set(profiles) == {"generic", *EXPECTED}
    for key, (unsub, web, first) in EXPECTED.items():
        p = profiles[key]
        assert (p.unsubscribe, p.web, p.first_name) == (unsub, web, first)
        assert p.import_ and p.name


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_tags_land_intact_in_attributes_and_text(profiles, key):
    profile = profiles[key]
    unsub, web, first = EXPECTED[key]
    out = fill_html(HTML, esp.values(profile, ARCHIVE, hosted_copy=True))
    page = parse(out)
    assert page.attrs[1]["href"] == (web or ARCHIVE)
    assert page.attrs[2]["href"] == unsub
    assert page.attrs[2]["style"] == "color:#555;"
    assert page.text.startswith(f"Hallo {first},")
    assert unresolved(out, (unsub, web, first)) == []


def test_web_link_is_the_archive_unless_the_hosted_copy_is_asked_for(profiles):
    mailchimp = profiles["mailchimp"]
    assert esp.values(mailchimp, ARCHIVE, hosted_copy=False)["web"] == ARCHIVE
    assert esp.values(mailchimp, ARCHIVE, hosted_copy=True)["web"] == "*|ARCHIVE|*"
    assert esp.values(profiles["kit"], ARCHIVE, hosted_copy=True)["web"] == ARCHIVE


def test_quotes_in_a_tag_switch_the_attribute_quotes(profiles):
    html = f'<a title="Hallo {TOKENS["first_name"]}" href={TOKENS["unsubscribe"]}>x</a>'
    out = fill_html(html, esp.values(profiles["mailjet"], ARCHIVE, hosted_copy=False))
    assert out == """<a title='Hallo [[data:firstname:""]]' href="[[UNSUB_LINK_DE]]">x</a>"""
    attrs = parse(out).attrs[0]
    assert attrs == {"title": 'Hallo [[data:firstname:""]]', "href": "[[UNSUB_LINK_DE]]"}


def test_generic_keeps_neutral_placeholders_but_links_the_archive(profiles):
    out = fill_html(HTML, esp.values(profiles["generic"], ARCHIVE, hosted_copy=False))
    assert 'href="{{unsubscribe_url}}"' in out and "Hallo {{first_name}}," in out
    assert f'href="{ARCHIVE}"' in out


def test_mapping_is_one_pass_and_text_is_plain(profiles):
    # A tag that looks like another placeholder is not mapped a second time.
    odd = esp.Profile(key="odd", name="Odd", unsubscribe="{{web_url}}", web="", first_name="")
    marked = f"Abmelden: {TOKENS['unsubscribe']}\nWeb: {TOKENS['web']}"
    out = fill_text(marked, esp.values(odd, ARCHIVE, False))
    assert out == f"Abmelden: {{{{web_url}}}}\nWeb: {ARCHIVE}"
    assert unresolved(out, [odd.unsubscribe]) == []


def test_user_profiles_add_and_override_key_by_key(profiles, tmp_path):
    path = tmp_path / "esp.toml"
    text = (
        "[mailchimp]\nhosted_copy = true\n\n"
        '[hauspost]\nname = "Hauspost"\nunsubscribe = \'{% unsubscribe "de" %}\'\nweb = "{% web %}"\n'
    )
    merged = esp.parse_profiles(text, path, profiles)
    assert merged["mailchimp"].hosted_copy is True
    assert merged["mailchimp"].unsubscribe == "*|UNSUB|*"  # untouched keys stay
    assert merged["hauspost"] == esp.Profile(
        key="hauspost", name="Hauspost", unsubscribe='{% unsubscribe "de" %}', web="{% web %}", live=(r"\{%",)
    )
    assert profiles["mailchimp"].hosted_copy is False  # the built-ins are not changed in place


@pytest.mark.parametrize(
    ("text", "line", "rule", "words"),
    [
        ('[a]\nname = "A"\nunsubscribe = "x\n', 3, "esp-syntax", "Illegal character"),
        ('[a]\nname = "A"\nunsubscribe = "[u]"\nunsubscibe_url = "x"\n', 4, "esp-key", "did you mean"),
        ('[a]\nname = "A"\nunsubscribe = "[u]"\nhosted_copy = "yes"\n', 4, "esp-value", "true or false"),
        ('\n[a]\nname = "A"\nweb = "[w]"\n', 2, "esp-missing", "unsubscribe"),
        ('[a]\nname = "A"\nunsubscribe = "<a href>"\n', 3, "esp-value", "<, >"),
        ('[a]\nname = "A"\nunsubscribe = "[u \\"x\\" \'y\']"\n', 3, "esp-value", "both"),
        ('["Groß"]\nname = "A"\nunsubscribe = "[u]"\n', 1, "esp-profile", "lower-case"),
        ('[a]\nname = "A"\nunsubscribe = 3\n', 3, "esp-value", "text"),
    ],
)
def test_broken_profiles_name_file_and_line(profiles, tmp_path, text, line, rule, words):
    path = tmp_path / "esp.toml"
    with pytest.raises(PipelineError) as caught:
        esp.parse_profiles(text, path, profiles)
    found = caught.value.findings
    assert any(
        f.line == line and f.rule == rule and words in f.message and f.file.endswith("esp.toml") for f in found
    ), found


def test_load_profiles_reads_the_project_file(tmp_path):
    (tmp_path / "esp.toml").write_text('[hauspost]\nname = "Hauspost"\nunsubscribe = "[[abmelden]]"\n', "utf-8")
    assert esp.load_profiles(tmp_path)["hauspost"].unsubscribe == "[[abmelden]]"


def test_unknown_profile_suggests_a_close_name(profiles):
    with pytest.raises(PipelineError) as caught:
        esp.choose(profiles, "mailchimps")
    assert "did you mean 'mailchimp'" in str(caught.value)
