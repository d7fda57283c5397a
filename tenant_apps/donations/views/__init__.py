"""Pages of donations: the CSV imports (imports.py) and the fundraising reports (reports.py)."""
