"""The client-support lint: the final HTML against the vendored caniemail data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import krasse

from pipeline.clients.features import features_of
from pipeline.clients.lint import gaps
from pipeline.clients.support import DATA, DEFAULT_CLIENTS, support


def client_findings(project: Path, *args: str) -> list[dict]:
    result = krasse(project, "check", "--format", "json", *args)
    return [f for f in json.loads(result.stdout) if f["rule"] == "client-support"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_vendored_data_has_its_licence_and_date() -> None:
    assert (DATA.parent / "caniemail-LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    data = support()
    assert data.date.startswith("20") and len(data.features) > 250
    assert set(DEFAULT_CLIENTS) <= set(data.clients)
    assert data.unsupported("css-display-flex", ("outlook:windows", "apple-mail:ios")) == ["outlook:windows"]


def test_the_examples_have_no_unexpected_findings(project: Path) -> None:
    assert client_findings(project) == []


@pytest.mark.parametrize(
    ("rule", "slug", "who"),
    [
        (".c p { display: flex; }", "css-display-flex", "Outlook Windows"),
        (".c p { background-image: url(https://example.org/x.png); }", "css-background-image", "Outlook Windows"),
    ],
)
def test_a_layout_that_adds_an_unsupported_feature_is_caught(project: Path, rule: str, slug: str, who: str) -> None:
    css = project / "layouts/email.css.j2"
    css.write_text(css.read_text(encoding="utf-8") + rule + "\n", encoding="utf-8")
    line = len(css.read_text(encoding="utf-8").splitlines())
    issue = str(project / "issues/043-kurz-und-buendig.md")
    found = [f for f in client_findings(project, issue) if slug in f["message"]]
    assert found, f"{slug} not reported"
    assert found[0]["file"].endswith("layouts/email.css.j2") and found[0]["line"] == line
    assert who in found[0]["message"] and found[0]["severity"] == "warning"


def test_an_allowance_is_needed_for_each_deliberate_gap(project: Path) -> None:
    """Without its comment, the dark-mode media query is reported where it is written."""
    dark = project / "layouts/email-dark.css.j2"
    edit(dark, "caniemail-allow: css-at-media, css-at-media-prefers-color-scheme", "(no allowance)")
    found = client_findings(project, str(project / "issues/043-kurz-und-buendig.md"))
    slugs = {f["message"].split("caniemail ")[1].split(")")[0] for f in found}
    assert slugs == {"css-at-media", "css-at-media-prefers-color-scheme"}
    lines = dark.read_text(encoding="utf-8").splitlines()
    assert all("@media" in lines[f["line"] - 1] for f in found)


def test_clients_come_from_the_config(project: Path) -> None:
    css = project / "layouts/email.css.j2"
    css.write_text(css.read_text(encoding="utf-8") + ".c p { display: flex; }\n", encoding="utf-8")
    toml = project / "newsletter.toml"
    edit(toml, "[email]\n", '[email]\nclients = ["apple-mail:ios", "apple-mail:macos"]\n')
    assert client_findings(project, str(project / "issues/043-kurz-und-buendig.md")) == []  # Apple Mail knows flexbox


def test_unknown_client_is_a_config_error_with_a_suggestion(project: Path) -> None:
    edit(project / "newsletter.toml", "[email]\n", '[email]\nclients = ["outlook:windos"]\n')
    result = krasse(project, "check")
    assert result.exit_code != 0
    assert "newsletter.toml" in result.output and "did you mean 'outlook:windows'" in result.output


def test_features_inside_ignored_containers_do_not_count() -> None:
    """GMX drops <style>: what is inside is not reported again for GMX, only the <style> itself."""
    html = (
        "<!doctype html><html><head><style>@media (max-width:480px){.a{display:flex}}</style></head>"
        '<body><p style="display:flex">x</p></body></html>'
    )
    uses = features_of(html)
    assert {u.within for u in uses["css-display-flex"]} == {(), ("html-style", "css-at-media")}
    found = {g.slug: g.clients for g in gaps(html, ("gmx:desktop-webmail", "outlook:windows"))}
    assert found["html-style"] == ("gmx:desktop-webmail",)
    assert "outlook:windows" in found["css-display-flex"]


def test_a_finding_quotes_the_first_use_in_the_document() -> None:
    """Tags were looked at in a set's order, which changes with each process's hash seed: the
    snippet a finding quotes (`<ol>` or `<ul>`, `margin-top` or `margin-left`) could change from
    one build of the same issue to the next. Now it is the first use in the document."""
    sides = "".join(f'<p style="margin-{side}:1px">x</p>' for side in ("top", "bottom", "left", "right"))
    html = f"<html><body><ol><li>a</li></ol><ul><li>b</li></ul>{sides}</body></html>"
    uses = features_of(html)
    assert [u.snippet for u in uses["html-lists"]] == ["<ol>"]
    assert [u.snippet for u in uses["css-margin"]] == ["margin-top"]


@pytest.mark.parametrize(
    ("css", "slug"),
    [
        ("a:hover{color:red}", "css-pseudo-class-hover"),
        ("a + b{color:red}", "css-selector-adjacent-sibling"),
        ("@font-face{font-family:x}", "css-at-font-face"),
        ("p{position:absolute;left:0}", "css-left-right-top-bottom"),
        ("p{width:calc(100% - 2px)}", "css-unit-calc"),
    ],
)
def test_selectors_at_rules_and_values_are_named(css: str, slug: str) -> None:
    assert slug in features_of(f"<html><head><style>{css}</style></head><body></body></html>")


def test_vendoring_keeps_the_newest_result_per_client() -> None:
    """scripts/vendor_caniemail.py trims the npm package's data to one letter per client."""
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    from vendor_caniemail import dumps, trim

    data = {
        "last_update_date": "2025-01-01",
        "nicenames": {"family": {"gmx": "GMX"}, "platform": {"desktop-webmail": "Desktop Webmail"}},
        "data": [
            {"slug": "css-x", "title": "x", "stats": {"gmx": {"desktop-webmail": {"2019": "y", "2022-06": "n #1"}}}},
            {"slug": "css-y", "title": "y", "stats": {"outlook": {"windows": {"2019": "a #2"}}}},
        ],
    }
    trimmed = trim(data, "1.0.0")
    assert trimmed["clients"] == ["gmx:desktop-webmail", "outlook:windows"]
    assert trimmed["features"] == {"css-x": ["x", "n-"], "css-y": ["y", "-a"]}
    assert json.loads(dumps(trimmed))["features"] == trimmed["features"]
