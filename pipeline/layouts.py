"""Where the layouts come from: the project's own `layouts/`, else the stock layouts in the package.

The stock layouts are the repository's top-level `layouts/` folder; a non-editable install carries
them as `pipeline/stock_layouts/` (see `[tool.setuptools.package-dir]` in pyproject.toml). A source
checkout or an editable install reads the folder where it is.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def stock_layouts() -> Path:
    """The folder of the layouts that ship with krasse."""
    installed = _PACKAGE / "stock_layouts"
    return installed if installed.is_dir() else _PACKAGE.parent / "layouts"


def project_layouts(root: Path) -> Path:
    """`<root>/layouts` when the project has one (an author may edit it), else the stock layouts."""
    own = root / "layouts"
    return own if own.is_dir() else stock_layouts()
