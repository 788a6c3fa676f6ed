"""`krasse init DIR`: a ready newsletter project anywhere, like `mkdocs new`.

The config file is generated from the schema, so it names every key with its documentation;
the required keys get example values to replace, the optional ones are commented out with
their defaults. Nothing existing is ever overwritten: every target is checked before the
first file is written.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from pipeline.config import CONFIG_NAME, SCHEMA
from pipeline.errors import Finding, PipelineError, display_path
from pipeline.layouts import stock_layouts

# Example values for the required keys: what a German newsletter must say about itself.
EXAMPLES: dict[str, Any] = {
    "newsletter.name": "Mein Newsletter",
    "newsletter.base_url": "https://newsletter.example.org/archiv",
    "sender.name": "Mein Newsletter",
    "sender.address": "post@newsletter.example.org",
    "footer.imprint": "Mein Newsletter · Vorname Name · Beispielweg 1 · 12345 Musterstadt · post@example.org",
}

# Shown commented out where the default is "no value".
HINTS: dict[str, Any] = {"sender.reply_to": "antwort@newsletter.example.org"}

GITIGNORE = """# Built output: krasse build, export and archive write here; it can always be made again.
outbox/
__pycache__/
"""

EXAMPLE_ISSUE = """---
number: 1
title: "Die erste Ausgabe"
subject: {subject}
preheader: "Worum es hier gehen wird, und drei Links für den Anfang."
date: {date}
---

Hallo und willkommen! Das ist die erste Ausgabe. Schreib hier eine kurze Einleitung; jede Ausgabe ist
eine Markdown-Datei in `issues/`, und `krasse build` macht daraus eine fertige E-Mail in `outbox/`.

---

Ein Eintrag besteht aus einem Link und deinem Kommentar dazu, etwa zu [einem lesenswerten
Artikel über offene Standards](https://example.org/offene-standards). Ein Zitat wird so gesetzt:

> Ein Satz aus dem verlinkten Text, der zeigt, worum es geht.

Zwei Zeilen aus drei Strichen trennen die Einträge voneinander.[^1]

---

Fußnoten stehen am Ende der E-Mail und sind nummeriert. Wenn alles passt: `krasse check` prüft
Links, Bilder und Vorschautext, `krasse export` packt die E-Mail für deinen Versanddienst.

[^1]: So sieht eine Anmerkung aus.
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value is None:
        return '""'
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string for every text we write


def config_text(values: dict[str, Any] | None = None) -> str:
    """newsletter.toml with every schema key and its documentation; required keys set, others commented."""
    values = {**EXAMPLES, **(values or {})}
    lines = [
        "# Settings of this newsletter. Every key is listed with what it does; lines starting with",
        "# `# key =` show the default and can be uncommented to change it. Replace the example values.",
    ]
    section = ""
    for key, option in SCHEMA.items():
        table, name = key.split(".", 1)
        if table != section:
            lines += ["", f"[{table}]"]
            section = table
        lines.append(f"# {option.doc}")
        if key in values:
            lines.append(f"{name} = {_toml_value(values[key])}")
        else:
            lines.append(f"# {name} = {_toml_value(HINTS.get(key, option.default))}")
    return "\n".join(lines) + "\n"


def project_files(name: str, today: dt.date) -> dict[str, str]:
    """The text files of a new project, by path relative to its folder."""
    return {
        CONFIG_NAME: config_text({"newsletter.name": name, "sender.name": name}),
        "issues/001-die-erste-ausgabe.md": EXAMPLE_ISSUE.format(
            subject=json.dumps(f"{name} No. 1: Die erste Ausgabe", ensure_ascii=False), date=today.isoformat()
        ),
        ".gitignore": GITIGNORE,
    }


def init_project(target: Path, name: str = EXAMPLES["newsletter.name"], today: dt.date | None = None) -> list[Path]:
    """Create the project in `target` (made if missing); returns the files written. Refuses to overwrite."""
    files = project_files(name, today or dt.date.today())
    stock = stock_layouts()
    layouts = sorted(
        p.relative_to(stock)
        for p in stock.rglob("*")
        if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(stock).parts)
    )
    targets = [target / rel for rel in files] + [target / "layouts" / rel for rel in layouts]
    if (target / CONFIG_NAME).exists():
        raise PipelineError(
            Finding(display_path(target / CONFIG_NAME), 0, "init-exists", "a project is already here; nothing written")
        )
    taken = [p for p in targets if p.exists() or p.is_symlink()]
    if taken:
        names = ", ".join(display_path(p) for p in taken)
        message = f"would overwrite {names}; nothing written"
        raise PipelineError(Finding(display_path(target), 0, "init-exists", message))
    written: list[Path] = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
        written.append(path)
    for rel in layouts:
        (target / "layouts" / rel).parent.mkdir(parents=True, exist_ok=True)
        written.append(Path(shutil.copyfile(stock / rel, target / "layouts" / rel)))
    (target / "outbox").mkdir(exist_ok=True)
    return written
