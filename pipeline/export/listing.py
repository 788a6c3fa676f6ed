"""What the CLI says about the mailing-service profiles: the list, and the next step after an export.

Pure text from the profile data (services.toml plus a project's esp.toml), so `krasse services`,
`krasse export --list` and `--help` always show what `export` will actually use.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.export.services import BUILTIN, Profile, load_profiles, parse_profiles
from pipeline.mail.placeholders import NAMES


def builtin_names() -> list[str]:
    """The names of the profiles that ship with krasse, for `--help` (no project needed)."""
    try:
        return sorted(parse_profiles(BUILTIN.read_text(encoding="utf-8"), BUILTIN))
    except Exception:  # --help must work even if the data file were broken; export reports it properly
        return []


def as_dict(profile: Profile) -> dict:
    return {
        "key": profile.key,
        "name": profile.name,
        "tags": {name: getattr(profile, name) for name in NAMES},
        "hosted_copy": profile.hosted_copy,
        "import": profile.import_,
        "source": profile.source,
    }


def describe(profile: Profile) -> str:
    """A few lines per profile: name, tags (a dash where the service has none), import steps."""
    tags = f"unsubscribe {profile.unsubscribe} · web {profile.web or '-'} · first name {profile.first_name or '-'}"
    lines = [f"{profile.key}: {profile.name}", f"  tags: {tags}"]
    if profile.import_:
        lines.append(f"  import: {profile.import_}")
    if profile.source:
        lines.append(f"  checked: {profile.source}")
    return "\n".join(lines)


def listing(root: Path) -> list[Profile]:
    """Every profile the project can export to, sorted by key (raises PipelineError for a bad esp.toml)."""
    return [p for _, p in sorted(load_profiles(root).items())]


def next_step(profile: Profile) -> str:
    """The line printed after an export: where the files go in the service."""
    return f"next, in {profile.name}: {profile.import_}" if profile.import_ else ""
