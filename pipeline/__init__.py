"""Krasse Links: Markdown issues in, send-ready email and web archive out."""

__version__ = "0.1.0"
