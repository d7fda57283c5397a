"""The bookkeeping desk's tabs: the page's area is the current tab, the longest URL winning."""

from __future__ import annotations

import pytest

from tenant_apps.accounting.navigation import tab_links

pytestmark = pytest.mark.django_db


def test_a_report_is_under_statements_and_the_index_is_current_on_its_own_page() -> None:
    links = tab_links("/accounting/reports/trial-balance/")
    assert links[0].label == "Statements"
    assert [link.label for link in links if link.current] == ["Statements"]


def test_a_path_outside_the_books_has_no_current_tab() -> None:
    assert not any(link.current for link in tab_links("/donors/"))
