"""Refresh the vendored caniemail data: `npm pack caniemail` in a temporary folder, then trim it.

    python3 scripts/vendor_caniemail.py            # needs npm and the npm registry
    python3 scripts/vendor_caniemail.py --from /tmp/package/data/caniemail.json

Keeps, per feature, its slug, title and the newest result per client (family:platform) as one
letter in a string whose positions follow the `clients` list (y yes, a partial, n no, u unknown,
- not tested): a twentieth of the size. Builds never touch the network; only this script does.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "pipeline" / "clients"


def trim(data: dict, version: str) -> dict:
    newest: dict[str, dict[str, str]] = {}
    for feature in data["data"]:
        stats = newest[feature["slug"]] = {}
        for family, platforms in feature["stats"].items():
            for platform, results in platforms.items():
                if isinstance(results, dict) and results:
                    last = list(results.values())[-1]  # caniemail lists versions oldest first
                    stats[f"{family}:{platform}"] = str(last).strip()[:1] or "u"
    clients = sorted({client for stats in newest.values() for client in stats})
    titles = {f["slug"]: f["title"] for f in data["data"]}
    features = {slug: [titles[slug], "".join(stats.get(c, "-") for c in clients)] for slug, stats in newest.items()}
    return {
        "clients": clients,
        "source": f"caniemail npm package {version} (https://www.caniemail.com, data by Rémi Parmentier et al.)",
        "last_update_date": data["last_update_date"],
        "nicenames": {"family": data["nicenames"]["family"], "platform": data["nicenames"]["platform"]},
        "features": features,
    }


def dumps(trimmed: dict) -> str:
    """Compact JSON with one feature per line, so a refresh reads well as a diff."""
    compact = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
    head = {k: v for k, v in trimmed.items() if k != "features"}
    features = sorted(trimmed["features"].items())
    lines = [json.dumps(slug, **compact) + ":" + json.dumps(f, **compact) for slug, f in features]
    return json.dumps(head, **compact)[:-1] + ',"features":{\n' + ",\n".join(lines) + "\n}}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="an unpacked caniemail.json instead of npm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.source:
            source, package = args.source, args.source.parent.parent
        else:
            subprocess.run(["npm", "pack", "caniemail", "--silent"], cwd=tmp, check=True)
            tgz = next(Path(tmp).glob("caniemail-*.tgz"))
            with tarfile.open(tgz) as archive:
                archive.extractall(tmp, filter="data")
            package = Path(tmp) / "package"
            source = package / "data" / "caniemail.json"
        version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        trimmed = trim(json.loads(source.read_text(encoding="utf-8")), version)
        (TARGET / "caniemail.json").write_text(dumps(trimmed), encoding="utf-8")
        shutil.copy(package / "LICENSE", TARGET / "caniemail-LICENSE")
    print(f"wrote {TARGET / 'caniemail.json'}: {len(trimmed['features'])} features, {trimmed['last_update_date']}")


if __name__ == "__main__":
    main()
