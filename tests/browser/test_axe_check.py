"""The axe check that every browser test runs on the pages it visits can fail: a page with an
image without a text alternative and an unlabelled field is refused, rule by rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Platform, axe_check

if TYPE_CHECKING:
    from playwright.sync_api import Browser


pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="en">
<head><title>A form</title></head>
<body>
  <main>
    <h1>A form</h1>
    <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">
    <form><input type="text" name="nickname"></form>
  </main>
</body>
</html>"""


def test_a_page_with_an_image_without_alt_and_an_unlabelled_field_fails_the_check(
    chromium: Browser, platform: Platform
) -> None:
    page = chromium.new_page()
    page.set_content(PAGE)

    with pytest.raises(pytest.fail.Exception) as failed:
        axe_check(page, context="the bad form")

    # Each rule with its impact, its help, the elements at fault and where to read more.
    report = str(failed.value).splitlines()
    assert report[0] == "axe-core found 2 violation(s) on the bad form:"
    assert report[1] == "- image-alt (critical): Images must have alternative text"
    assert report[2] == "    at img"
    assert report[3].startswith("    https://dequeuniversity.com/rules/axe/")
    assert report[4] == "- label (critical): Form elements must have labels"
    assert report[5] == "    at input"


def test_the_same_page_made_right_passes(chromium: Browser, platform: Platform) -> None:
    page = chromium.new_page()
    page.set_content(
        PAGE.replace('height="20">', 'height="20" alt="Our logo">').replace(
            '<input type="text" name="nickname">',
            '<label>Nickname <input type="text" name="nickname"></label>',
        )
    )

    axe_check(page, context="the good form")
