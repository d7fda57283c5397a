"""The board packet: three statements in one PDF, read back for their figures; a long range made
in the background; refused to roles that do not read the books."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from tenant_apps.accounting.services import postings
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import JournalEntryFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PATH = "/accounting/board-packet/"


def _october() -> None:
    """1,500.00 given to GEN on 1 October 2026, 300.00 of supplies paid from its cash on the 9th;
    400.00 given on 1 October 2025."""
    postings.post_contribution(
        date=date(2026, 10, 1), amount=Decimal("1500.00"), fund="GEN", acting_user=None
    )
    postings.post_contribution(
        date=date(2025, 10, 1), amount=Decimal("400.00"), fund="GEN", acting_user=None
    )
    JournalEntryFactory.create(
        date=date(2026, 10, 9),
        memo="Supplies",
        posted=True,
        lines=[
            LineSpec(account="8110", fund="GEN", debit="300.00", function="management_general"),
            LineSpec(account="1010", fund="GEN", credit="300.00"),
        ],
    )


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_packet_holds_the_three_statements_with_their_totals(in_alpha: Tenant) -> None:
    _october()
    client = in_alpha.client(in_alpha.owner)

    response = client.post(
        PATH, {"start": "2026-10-01", "end": "2026-10-31", "compare": "prior-year"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="board-packet-2026-10-01-to-2026-10-31.pdf"' in response["Content-Disposition"]
    position, activities, functional = _pages(response.content)
    for page in (position, activities, functional):
        assert "Alpha Relief Fund" in page
        assert "beside the prior year" in page
    assert "Statement of financial position" in position
    assert "As of 31 October 2026" in position
    # Cash: 400.00 + 1,500.00 - 300.00 = 1,600.00 now, 400.00 a year before, 1,200.00 more.
    assert "1,600.00 400.00 1,200.00" in position
    assert "Statement of activities" in activities
    assert "1 October 2026 to 31 October 2026" in activities
    # Revenue 1,500.00 this October against 400.00 the October before.
    assert "Total revenue and support 1,500.00 0.00 1,500.00 400.00 1,100.00" in activities
    assert "Statement of functional expenses" in functional
    assert "300.00" in functional


def test_a_range_longer_than_a_year_is_made_in_the_background(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    _october()
    client = in_alpha.client(in_alpha.user("bookkeeper"))

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(PATH, {"start": "2025-07-01", "end": "2026-10-31"})

    assert started.status_code == 302
    page = client.get(started["Location"])
    html = page.content.decode()
    assert "The board packet from 2025-07-01 to 2026-10-31 is ready." in html
    token = started["Location"].split("run=")[1]
    download = client.get(f"{PATH}download/", {"run": token})
    assert download.status_code == 200
    pdf = download.getvalue()
    activities = _pages(pdf)[1]
    assert "1 July 2025 to 31 October 2026" in activities
    assert "Total revenue and support 1,900.00" in activities


def test_an_unknown_run_is_not_found(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)

    assert client.get(f"{PATH}download/", {"run": "nope"}).status_code == 404
    assert "no longer kept" in client.get(PATH, {"run": "nope"}).content.decode()


def test_a_period_that_ends_before_it_starts_is_refused(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).post(PATH, {"start": "2026-10-31", "end": "2026-10-01"})

    assert response.status_code == 400
    assert "The start date is after the end date." in response.content.decode()


def test_the_packet_is_for_the_roles_that_read_the_books(alpha: Tenant) -> None:
    coordinator = alpha.client(alpha.user("volunteer_coordinator"))

    assert coordinator.get(PATH).status_code == 403
    assert coordinator.post(PATH, {"start": "2026-10-01", "end": "2026-10-31"}).status_code == 403
    assert alpha.client().get(PATH).status_code == 302  # to the login page
