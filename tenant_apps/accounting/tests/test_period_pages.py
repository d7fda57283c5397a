"""The periods pages: the months with their state, a month's checklist, closing (with open items
only once confirmed) and reopening with a reason, each action refused to roles without the books'
write capability, fixed query counts and bad addresses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import FiscalPeriod, PeriodState
from tenant_apps.accounting.services import periods
from tenant_apps.accounting.tests.factories import JournalEntryFactory, months_closed_before
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.services.deposits import deposit_create
from tenant_apps.donations.tests.factories import GiftFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 15)
PERIODS = "/accounting/periods/"
PAGE = f"{PERIODS}2026-10/"
WRITERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER]
READERS_ONLY = [Role.FUNDRAISER, Role.VIEWER]
NO_BOOKS = [Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER]


def _client(alpha: Tenant, role: str = Role.BOOKKEEPER) -> Client:
    return alpha.client(alpha.owner if role == Role.OWNER else alpha.user(role))


def _state() -> str:
    with schema_context("alpha"):
        return FiscalPeriod.objects.get(start=date(2026, 10, 1)).state


def _october_next_to_close(*, draft_gifts: int = 0) -> None:
    with schema_context("alpha"):
        months_closed_before(OCTOBER)
        for _ in range(draft_gifts):
            GiftFactory.create(received_on=OCTOBER)


# --- The months -------------------------------------------------------------------------------


def test_the_months_show_their_state_and_who_closed_them(alpha: Tenant) -> None:
    with schema_context("alpha"):
        periods.period_close(
            period=periods.period_for_date(date(2026, 1, 5)), acting_user=alpha.owner
        )

    html = _client(alpha).get(PERIODS).content.decode()

    assert '<a href="/accounting/periods/2026-01/">January 2026</a>' in html
    assert '<a href="/accounting/periods/2026-10/">October 2026</a>' in html
    assert "owner@alpha.org" in html
    assert '<span class="state period-closed">Closed</span>' in html
    assert '<span class="state period-open">Open</span>' in html
    assert 'Next to close: <a href="/accounting/periods/2026-02/">February 2026</a>' in html
    assert 'aria-current="page">Periods</a>' in html


@pytest.mark.parametrize("role", WRITERS + READERS_ONLY)
def test_those_who_read_the_books_see_the_pages(alpha: Tenant, role: str) -> None:
    client = _client(alpha, role)
    assert client.get(PERIODS).status_code == 200
    page = client.get(PAGE)
    assert page.status_code == 200
    assert ("Close the month</button>" in page.content.decode()) == (role in WRITERS)


@pytest.mark.parametrize("role", NO_BOOKS)
def test_the_pages_are_refused_to_roles_without_the_books(alpha: Tenant, role: str) -> None:
    client = _client(alpha, role)
    assert client.get(PERIODS).status_code == 403
    assert client.get(PAGE).status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "abcd", "2026-1", "1999-01", "0000-01"])
def test_a_month_not_in_the_books_is_not_found(alpha: Tenant, month: str) -> None:
    assert _client(alpha).get(f"{PERIODS}{month}/").status_code == 404


# --- A month's checklist -----------------------------------------------------------------------


def test_the_checklist_counts_and_links_what_is_open(alpha: Tenant) -> None:
    with schema_context("alpha"):
        JournalEntryFactory.create(date=OCTOBER)
        GiftFactory.create(received_on=OCTOBER)
        GiftFactory.create(received_on=OCTOBER)

    html = _client(alpha).get(PAGE).content.decode()

    assert "Draft journal entries dated in the month: <strong>1</strong>" in html
    assert "Blocks the close" in html
    assert "Gifts received in the month, not yet posted: <strong>2</strong>" in html
    assert (
        '<a href="/gifts/?state=draft&amp;received_from=2026-10-01&amp;received_to=2026-10-31">'
        "Post them</a>" in html
    )
    assert 'Open deposits dated in the month: <span class="muted">none</span>' in html
    # Drafts block the close: there is no close button, only what stands in the way.
    assert "The month cannot close while draft journal entries dated in the month (1)" in html
    assert "Close the month</button>" not in html


# --- Closing ----------------------------------------------------------------------------------


def test_a_month_with_nothing_open_closes_with_a_message(alpha: Tenant) -> None:
    _october_next_to_close()
    client = _client(alpha)

    response = client.post(f"{PAGE}close/")

    assert response.status_code == 302
    assert response["Location"] == PAGE
    html = client.get(PAGE).content.decode()
    assert "October 2026 is closed: nothing more can be posted or drafted in it." in html
    assert "Reopen the month</button>" in html
    assert _state() == PeriodState.CLOSED


def test_open_items_close_only_once_confirmed(alpha: Tenant) -> None:
    _october_next_to_close(draft_gifts=2)
    client = _client(alpha)
    page = client.get(PAGE).content.decode()
    assert "Close the month with the open items above" in page

    refused = client.post(f"{PAGE}close/")

    assert refused.status_code == 400
    assert "2 items are still open: settle them first, or tick this box" in refused.content.decode()
    assert _state() == PeriodState.OPEN

    assert client.post(f"{PAGE}close/", {"confirm": "on"}).status_code == 302
    assert _state() == PeriodState.CLOSED
    with schema_context("alpha"):
        event = AuditEvent.objects.get(action="period.close", detail__start="2026-10-01")
    assert event.detail["open_items"] == {"donations.unposted_gifts": 2}


def test_a_month_is_refused_while_an_earlier_one_is_open(alpha: Tenant) -> None:
    response = _client(alpha).post(f"{PAGE}close/")

    assert response.status_code == 409
    assert "January 2026 is still open: months close in order" in response.content.decode()
    assert _state() == PeriodState.OPEN


@pytest.mark.parametrize("role", READERS_ONLY + NO_BOOKS)
def test_closing_and_reopening_are_refused_without_the_books_write(
    alpha: Tenant, role: str
) -> None:
    _october_next_to_close()
    client = _client(alpha, role)

    assert client.post(f"{PAGE}close/", {"confirm": "on"}).status_code == 403
    assert _state() == PeriodState.OPEN
    with schema_context("alpha"):
        periods.period_close(period=periods.period_for_date(OCTOBER), acting_user=None)
    assert client.post(f"{PAGE}reopen/", {"reason": "Late bill"}).status_code == 403
    assert _state() == PeriodState.CLOSED


@pytest.mark.parametrize("role", WRITERS)
def test_those_who_write_the_books_close_and_reopen(alpha: Tenant, role: str) -> None:
    _october_next_to_close()
    client = _client(alpha, role)

    assert client.post(f"{PAGE}close/").status_code == 302
    assert client.post(f"{PAGE}reopen/", {"reason": "Late bill"}).status_code == 302
    assert _state() == PeriodState.OPEN


# --- Reopening --------------------------------------------------------------------------------


def test_a_month_reopens_with_a_reason_and_not_without(alpha: Tenant) -> None:
    _october_next_to_close()
    with schema_context("alpha"):
        periods.period_close(period=periods.period_for_date(OCTOBER), acting_user=None)
    client = _client(alpha)

    refused = client.post(f"{PAGE}reopen/", {"reason": "  "})

    assert refused.status_code == 400
    assert "Say why the month is reopened." in refused.content.decode()
    assert _state() == PeriodState.CLOSED

    response = client.post(f"{PAGE}reopen/", {"reason": "Bank fee <b>late</b>"})

    assert response.status_code == 302
    assert _state() == PeriodState.OPEN
    html = client.get(PAGE).content.decode()
    assert "October 2026 is open again: entries can be posted in it." in html
    with schema_context("alpha"):
        event = AuditEvent.objects.get(action="period.reopen")
    assert event.detail["reason"] == "Bank fee <b>late</b>"


def test_an_earlier_month_does_not_reopen_before_a_later_one(alpha: Tenant) -> None:
    with schema_context("alpha"):
        months_closed_before(date(2026, 12, 1))

    response = _client(alpha).post(f"{PAGE}reopen/", {"reason": "Late bill"})

    assert response.status_code == 409
    assert "November 2026 is closed after it" in response.content.decode()
    assert _state() == PeriodState.CLOSED


def test_the_forms_carry_the_csrf_token(alpha: Tenant) -> None:
    _october_next_to_close()
    html = _client(alpha).get(PAGE).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html

    strict = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context("alpha"):
        strict.force_login(alpha.user(Role.BOOKKEEPER))
    assert strict.post(f"{PAGE}close/").status_code == 403
    assert _state() == PeriodState.OPEN


# --- Queries ----------------------------------------------------------------------------------


def test_the_pages_run_as_many_queries_for_many_items_as_for_few(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = _client(alpha)
    client.get(PERIODS)
    with count_queries() as few_months:
        client.get(PERIODS)
    with count_queries() as few_items:
        client.get(PAGE)

    with schema_context("alpha"):
        periods.fiscal_year_open(fiscal_year=2027)
        periods.period_close(period=periods.period_for_date(date(2026, 1, 5)), acting_user=None)
        for _ in range(5):
            JournalEntryFactory.create(date=OCTOBER)
            GiftFactory.create(received_on=OCTOBER)
            deposit_create(
                deposit_on=OCTOBER, expected_count=1, expected_total="5.00", acting_user=None
            )
    with count_queries() as many_months:
        html = client.get(PERIODS).content.decode()
    with count_queries() as many_items:
        client.get(PAGE)

    assert "December 2027" in html
    assert len(many_months.captured_queries) == len(few_months.captured_queries)
    assert len(many_items.captured_queries) == len(few_items.captured_queries)
