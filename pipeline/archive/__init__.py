"""The web archive (`krasse archive`): pages, search, feed and the manifest that keeps rebuilds small."""

from pipeline.archive.site import ArchiveResult, build_archive

__all__ = ["ArchiveResult", "build_archive"]
