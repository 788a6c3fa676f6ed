"""The CLI's output: rich's Console, imported only when a line needs it.

Importing rich was 30 ms of every cold `krasse build`, and a clean build prints only plain lines
(no markup, emoji codes, tabs or control characters), which rich writes out unchanged. Those are
written directly, to the stream of the moment (click's test runner swaps them); anything else, and
everything but `print`, goes to rich.
"""

from __future__ import annotations

import re
import sys
from functools import cached_property
from typing import Any

# What rich would change: markup tags, :emoji: codes, tabs (expanded), control characters (dropped).
_NEEDS_RICH = re.compile(r"[\[\t\x00-\x09\x0b-\x1f\x7f]|:\S*:")


def escape(text: str) -> str:
    """rich's markup escape (`[` → `\\[`), so text is never read as markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


class Console:
    """`print` like rich's `Console(highlight=False, soft_wrap=True)`; rich itself on first real need."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr

    @cached_property
    def rich(self):  # type: ignore[no-untyped-def]
        from rich.console import Console as RichConsole

        return RichConsole(stderr=self.stderr, highlight=False, soft_wrap=True)

    def print(self, *objects: Any, **options: Any) -> None:
        plain = len(objects) == 1 and type(text := objects[0]) is str and not _NEEDS_RICH.search(text)
        if plain and set(options) <= {"markup", "highlight"}:  # neither changes a plain line
            stream = sys.stderr if self.stderr else sys.stdout
            stream.write(text + "\n")
            stream.flush()  # as rich does after every print: stdout and stderr stay in order
            return
        self.rich.print(*objects, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)
