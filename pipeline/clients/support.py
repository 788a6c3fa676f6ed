"""The vendored caniemail data: which client supports which HTML/CSS feature.

`caniemail.json` is a trimmed copy of the `caniemail` npm package (MIT, see caniemail-LICENSE);
`scripts/vendor_caniemail.py` refreshes it. Read once, never from the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("caniemail.json")

# Who reads a German newsletter: Gmail, Outlook, Apple Mail, Yahoo, GMX and WEB.DE (`email.clients`).
DEFAULT_CLIENTS = (
    "gmail:desktop-webmail", "gmail:ios", "gmail:android",
    "outlook:windows", "outlook:macos", "outlook:outlook-com", "outlook:ios", "outlook:android",
    "apple-mail:macos", "apple-mail:ios",
    "yahoo:desktop-webmail",
    "gmx:desktop-webmail", "web-de:desktop-webmail",
)  # fmt: skip


@dataclass(frozen=True)
class Support:
    clients: tuple[str, ...]
    features: dict[str, tuple[str, str]]  # slug → (title, one letter per client: y a n u -)
    date: str
    nicenames: dict

    def title(self, slug: str) -> str:
        return self.features[slug][0]

    def unsupported(self, slug: str, clients: tuple[str, ...]) -> list[str]:
        """The clients (of those asked) that caniemail lists as not supporting `slug`."""
        if slug not in self.features:
            return []
        letters = self.features[slug][1]
        return [c for c in clients if c in self.index and letters[self.index[c]] == "n"]

    @cached_property
    def index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.clients)}

    def name(self, client: str) -> str:
        """`outlook:windows` → `Outlook Windows`."""
        family, platform = client.split(":", 1)
        return f"{self.nicenames['family'].get(family, family)} {self.nicenames['platform'].get(platform, platform)}"


@lru_cache(maxsize=1)
def support() -> Support:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    features = {slug: (title, letters) for slug, (title, letters) in data["features"].items()}
    return Support(tuple(data["clients"]), features, data["last_update_date"], data["nicenames"])
