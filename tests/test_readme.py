"""README's "What to open" table is the list `make run` prints (provisioning/demo/pages.py): a
page added to one and not the other fails here."""

from __future__ import annotations

import re
from pathlib import Path

from provisioning.demo.pages import PAGES

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| (http://\S+) \| (.+) \|$")


def readme_rows() -> list[tuple[str, str]]:
    text = README.read_text()
    section = text.split("## What to open", 1)[1].split("\n## ", 1)[0]
    return [
        (match.group(1), match.group(2))
        for line in section.splitlines()
        if (match := ROW.match(line))
    ]


def test_readme_lists_the_pages_make_run_prints() -> None:
    hosts = {"platform": "http://localhost:8000", "demo": "http://demo.localhost:8000"}
    printed = [(hosts[page.site] + page.path, page.what) for page in PAGES]
    assert readme_rows() == printed


def test_every_page_is_listed_once() -> None:
    paths = [(page.site, page.path, page.what) for page in PAGES]
    assert len(paths) == len(set(paths))
    assert len(readme_rows()) >= 15
