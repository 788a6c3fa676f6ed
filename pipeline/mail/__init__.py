"""The email path: rendered fragments → layout → MJML → inlined, minified HTML (see `steps.py` for the order)."""
