"""README.md documents every setting, every front matter key and every check rule (Datasette's rule)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from pipeline.checks import RULE_IDS
from pipeline.config import SCHEMA
from pipeline.load import FIELDS

README = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else ""


def documented(name: str) -> bool:
    """Named in code style, as a table cell or inline: `email.clip_budget`, `clip-budget`."""
    return re.search(rf"`{re.escape(name)}`", README) is not None


def test_readme_exists() -> None:
    assert README, "README.md is missing"


@pytest.mark.parametrize("key", sorted(SCHEMA))
def test_config_key_documented(key: str) -> None:
    assert documented(key), f"newsletter.toml key {key} is not in README.md"


@pytest.mark.parametrize("key", sorted(FIELDS))
def test_front_matter_key_documented(key: str) -> None:
    assert documented(key), f"front matter key {key} is not in README.md"


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_id_documented(rule: str) -> None:
    assert documented(rule), f"check rule {rule} is not in README.md"
