"""The month-end close's rules: months close in order, only the latest closed month reopens and
only with a reason, and the checklist counts what is open in the month (accounting's drafts and
the checks donations adds), with the API's checklist."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.closing import (
    CLOSING_CHECKS,
    ClosingItem,
    closing_check_register,
    closing_checklist,
)
from tenant_apps.accounting.models import FiscalPeriod, PeriodState
from tenant_apps.accounting.services import periods
from tenant_apps.accounting.tests.factories import JournalEntryFactory, months_closed_before
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.services.deposits import deposit_create
from tenant_apps.donations.tests.factories import GiftFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 15)
NOVEMBER = date(2026, 11, 10)
API = "/api/v1/accounting"


def _state(day: date) -> str:
    return FiscalPeriod.objects.get(start=day.replace(day=1)).state


def _counts(day: date) -> dict[str, int]:
    period = periods.period_for_date(day)
    return {item.name: item.count for item in closing_checklist(start=period.start, end=period.end)}


# --- Months close in order ----------------------------------------------------------------------


def test_a_month_is_not_closed_while_an_earlier_one_is_open(in_alpha: Tenant) -> None:
    months_closed_before(OCTOBER)
    november = periods.period_for_date(NOVEMBER)

    with pytest.raises(StateConflict) as refused:
        periods.period_close(period=november, acting_user=in_alpha.owner)

    assert str(refused.value) == (
        "October 2026 is still open: months close in order, so close October 2026 before "
        "November 2026."
    )
    assert _state(NOVEMBER) == PeriodState.OPEN
    assert not AuditEvent.objects.filter(object_id=str(november.pk)).exists()

    periods.period_close(period=periods.period_for_date(OCTOBER), acting_user=in_alpha.owner)
    periods.period_close(period=november, acting_user=in_alpha.owner)
    assert _state(NOVEMBER) == PeriodState.CLOSED


# --- Only the latest closed month reopens, with a reason -----------------------------------------


def test_only_the_latest_closed_month_reopens(in_alpha: Tenant) -> None:
    months_closed_before(NOVEMBER)
    october = periods.period_for_date(OCTOBER)
    november = periods.period_for_date(NOVEMBER)
    periods.period_close(period=november, acting_user=in_alpha.owner)

    with pytest.raises(StateConflict) as refused:
        periods.period_reopen(period=october, acting_user=in_alpha.owner, reason="Late bill")

    assert str(refused.value) == (
        "November 2026 is closed after it: only the latest closed month reopens, so reopen "
        "November 2026 first."
    )
    assert _state(OCTOBER) == PeriodState.CLOSED

    periods.period_reopen(period=november, acting_user=in_alpha.owner, reason="Late bill")
    periods.period_reopen(period=october, acting_user=in_alpha.owner, reason="Bank fee")
    assert (_state(OCTOBER), _state(NOVEMBER)) == (PeriodState.OPEN, PeriodState.OPEN)
    reasons = AuditEvent.objects.filter(action="period.reopen").order_by("id")
    assert [event.detail["reason"] for event in reasons] == ["Late bill", "Bank fee"]
    assert all(event.actor_id == in_alpha.owner.pk for event in reasons)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_month_is_not_reopened_without_a_reason(in_alpha: Tenant, reason: str) -> None:
    months_closed_before(NOVEMBER)
    october = periods.period_for_date(OCTOBER)

    with pytest.raises(ServiceError, match="Say why the month is reopened") as refused:
        periods.period_reopen(period=october, acting_user=in_alpha.owner, reason=reason)

    assert refused.value.fields == {"reason": ["Say why the month is reopened."]}
    assert _state(OCTOBER) == PeriodState.CLOSED
    assert not AuditEvent.objects.filter(action="period.reopen").exists()


# --- The checklist ----------------------------------------------------------------------------


def test_the_checklist_counts_what_is_open_in_the_month_only(in_alpha: Tenant) -> None:
    # Given, in October: two draft entries, three gifts not yet posted and one posted, an open
    # deposit; and in November one of each, which October's checklist does not count.
    for _ in range(2):
        JournalEntryFactory.create(date=OCTOBER)
    JournalEntryFactory.create(date=OCTOBER, posted=True)
    JournalEntryFactory.create(date=NOVEMBER)
    for _ in range(3):
        GiftFactory.create(received_on=OCTOBER)
    GiftFactory.create(received_on=OCTOBER, posted=True)
    GiftFactory.create(received_on=NOVEMBER)
    for day in (OCTOBER, NOVEMBER):
        deposit_create(deposit_on=day, expected_count=1, expected_total="10.00", acting_user=None)

    # (The posted entry and the posted gift moved money through the bank, which no statement
    # has reconciled.)
    assert _counts(OCTOBER) == {
        "accounting.draft_entries": 2,
        "donations.open_deposits": 1,
        "donations.unposted_gifts": 3,
        "banking.unreconciled_accounts": 1,
    }
    assert _counts(date(2026, 9, 1)) == {
        "accounting.draft_entries": 0,
        "donations.open_deposits": 0,
        "donations.unposted_gifts": 0,
        "banking.unreconciled_accounts": 0,
    }


def test_each_item_says_what_to_do_and_links_the_page_that_does_it(in_alpha: Tenant) -> None:
    GiftFactory.create(received_on=OCTOBER)
    period = periods.period_for_date(OCTOBER)

    items = {item.name: item for item in closing_checklist(start=period.start, end=period.end)}

    gifts = items["donations.unposted_gifts"]
    assert (gifts.label, gifts.action, gifts.done, gifts.blocks) == (
        "Gifts received in the month, not yet posted",
        "Post them",
        False,
        False,
    )
    assert gifts.url == "/gifts/?state=draft&received_from=2026-10-01&received_to=2026-10-31"
    assert items["donations.open_deposits"].url == "/deposits/?state=open"
    assert items["donations.open_deposits"].done
    assert items["accounting.draft_entries"].blocks


def test_drafts_block_the_close_and_other_open_items_are_recorded_with_it(
    in_alpha: Tenant,
) -> None:
    months_closed_before(OCTOBER)
    october = periods.period_for_date(OCTOBER)
    draft = JournalEntryFactory.create(date=OCTOBER)
    GiftFactory.create(received_on=OCTOBER)

    with pytest.raises(StateConflict, match="1 draft journal entry is dated in"):
        periods.period_close(period=october, acting_user=in_alpha.owner)
    assert _state(OCTOBER) == PeriodState.OPEN

    draft.delete()
    periods.period_close(period=october, acting_user=in_alpha.owner)

    event = AuditEvent.objects.get(action="period.close", object_id=str(october.pk))
    assert event.detail == {"start": "2026-10-01", "open_items": {"donations.unposted_gifts": 1}}


def test_another_app_adds_its_check_once(in_alpha: Tenant) -> None:
    def bank_check(start: date, end: date) -> ClosingItem:
        return ClosingItem("bank.unreconciled", "Bank accounts not reconciled", 4, "", "Do it")

    before = list(CLOSING_CHECKS)
    try:
        closing_check_register("bank.unreconciled", bank_check)
        closing_check_register("bank.unreconciled", bank_check)
        assert _counts(OCTOBER)["bank.unreconciled"] == 4
        assert [name for name, _ in CLOSING_CHECKS].count("bank.unreconciled") == 1
    finally:
        CLOSING_CHECKS[:] = before


# --- The API ----------------------------------------------------------------------------------


def test_the_api_gives_a_periods_checklist(alpha: Tenant, bookkeeper: APIClient) -> None:
    from django_tenants.utils import schema_context

    with schema_context("alpha"):
        JournalEntryFactory.create(date=OCTOBER)
        period = periods.period_for_date(OCTOBER)

    response = bookkeeper.get(f"{API}/periods/{period.pk}/checklist/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"]["start"] == "2026-10-01"
    assert body["items"][0] == {
        "name": "accounting.draft_entries",
        "label": "Draft journal entries dated in the month",
        "count": 1,
        "url": body["items"][0]["url"],
        "action": "Post or delete them",
        "blocks": True,
        "done": False,
    }
    assert [item["name"] for item in body["items"]] == [
        "accounting.draft_entries",
        "donations.open_deposits",
        "donations.unposted_gifts",
        "banking.unreconciled_accounts",
    ]


def test_the_api_refuses_a_reopen_without_a_reason(alpha: Tenant, bookkeeper: APIClient) -> None:
    from django_tenants.utils import schema_context

    from tests.helpers import api_error

    with schema_context("alpha"):
        months_closed_before(NOVEMBER)
        period = periods.period_for_date(OCTOBER)

    error = api_error(bookkeeper.post(f"{API}/periods/{period.pk}/reopen/", {}), 400)

    assert "reason" in str(error)
    with schema_context("alpha"):
        assert _state(OCTOBER) == PeriodState.CLOSED


def test_another_organization_sees_none_of_alphas_checklist(
    alpha: Tenant, beta: Tenant, bookkeeper: APIClient
) -> None:
    from django_tenants.utils import schema_context

    from shared_apps.users.roles import Role

    with schema_context("alpha"):
        GiftFactory.create(received_on=OCTOBER)
        alpha_october = periods.period_for_date(OCTOBER).pk
    with schema_context("beta"):
        beta_october = periods.period_for_date(OCTOBER).pk
    beta_client = beta.api(beta.user(Role.BOOKKEEPER))

    mine = bookkeeper.get(f"{API}/periods/{alpha_october}/checklist/").json()
    theirs = beta_client.get(f"{API}/periods/{beta_october}/checklist/").json()

    assert {item["name"]: item["count"] for item in mine["items"]}["donations.unposted_gifts"] == 1
    assert [item["count"] for item in theirs["items"]] == [0, 0, 0, 0]
