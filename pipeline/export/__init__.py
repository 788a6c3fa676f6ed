"""`krasse export` and `send-test`: per-service bundles, the .eml, and test sends over SMTP."""
