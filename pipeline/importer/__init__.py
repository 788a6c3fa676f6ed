"""`krasse import`: past issues from mail files, web pages and plain text into Markdown issues.

One reader per format (`mail.py`, `htmlpage.py` with `htmlclean.py`, `plain.py`) turns source text into `Draft`s;
`draft.py` holds what they share (number, date, front matter, the word check); `write.py` is the
I/O edge that numbers, checks and writes them, all or nothing.
"""

from pipeline.importer.write import Plan, Planned, check_planned, plan_import, report_lines, write_plan

__all__ = ["Plan", "Planned", "check_planned", "plan_import", "report_lines", "write_plan"]
