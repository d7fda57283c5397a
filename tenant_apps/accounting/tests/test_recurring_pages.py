"""Recurring entries: set up from their page, posted for a month with one action (dated on
their day, once a month only), refused to roles that do not keep the books."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import EntryState, JournalEntry, RecurringEntry
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.services.recurring import recurring_create
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

RECURRING = "/accounting/journal/recurring/"


def _rent() -> RecurringEntry:
    with schema_context("alpha"):
        return recurring_create(
            name="Office rent",
            memo="Rent",
            day_of_month=5,
            lines=[
                LineSpec(
                    account="8210", fund="GEN", debit="1200.00", function="management_general"
                ),
                LineSpec(account="1010", fund="GEN", credit="1200.00"),
            ],
            acting_user=None,
        )


def test_a_bookkeeper_sets_up_a_recurring_entry(alpha: Tenant) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    assert client.get(f"{RECURRING}new/").status_code == 200
    data = {
        "name": "Office rent",
        "memo": "Rent",
        "day_of_month": "5",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-account": "8210",
        "lines-0-fund": "GEN",
        "lines-0-debit": "1200",
        "lines-0-function": "management_general",
        "lines-1-account": "1010 Cash",
        "lines-1-fund": "GEN",
        "lines-1-credit": "1200",
        "action": "save",
    }

    response = client.post(f"{RECURRING}new/", data, follow=True)

    assert "“Office rent” is ready to post each month." in response.content.decode()
    with schema_context("alpha"):
        recurring = RecurringEntry.objects.get()
        assert recurring.lines.count() == 2


def test_an_unbalanced_recurring_entry_is_refused(alpha: Tenant) -> None:
    data = {
        "name": "Rent",
        "day_of_month": "1",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-account": "1010",
        "lines-0-fund": "GEN",
        "lines-0-debit": "10",
        "lines-1-account": "4010",
        "lines-1-fund": "GEN",
        "lines-1-credit": "9",
    }
    response = alpha.client(alpha.owner).post(f"{RECURRING}new/", data)

    assert response.status_code == 400
    assert "fund GEN is out of balance by $1.00" in response.content.decode()
    with schema_context("alpha"):
        assert not RecurringEntry.objects.exists()


def test_post_for_a_month_makes_the_entry_once(alpha: Tenant) -> None:
    recurring = _rent()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    first = client.post(f"{RECURRING}{recurring.pk}/post/", {"month": "2026-03"}, follow=True)
    again = client.post(f"{RECURRING}{recurring.pk}/post/", {"month": "2026-03"}, follow=True)

    with schema_context("alpha"):
        entry = JournalEntry.objects.get()
    assert (entry.date, entry.state, entry.memo) == (
        date(2026, 3, 5),
        EntryState.POSTED,
        "Rent, March 2026",
    )
    assert sum(line.debit for line in entry.lines.all()) == Decimal("1200.00")
    assert f"posted as entry {entry.number}" in first.content.decode()
    assert "already posted for March 2026" in again.content.decode()
    listing = client.get(RECURRING).content.decode()
    assert "Last posted for March 2026" in listing


@pytest.mark.parametrize("month", ["", "March", "2026-13", "99999-01"])
def test_a_bad_month_is_refused_and_posts_nothing(alpha: Tenant, month: str) -> None:
    recurring = _rent()
    response = alpha.client(alpha.owner).post(
        f"{RECURRING}{recurring.pk}/post/", {"month": month}, follow=True
    )
    assert response.status_code == 200
    with schema_context("alpha"):
        assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FUNDRAISER])
def test_readers_see_recurring_entries_but_cannot_post_them(alpha: Tenant, role: str) -> None:
    recurring = _rent()
    client = alpha.client(alpha.user(role))

    html = client.get(RECURRING).content.decode()

    assert "Office rent" in html and "Post for this month" not in html
    assert client.post(f"{RECURRING}{recurring.pk}/post/", {"month": "2026-03"}).status_code == 403
    assert client.get(f"{RECURRING}new/").status_code == 403


def test_the_recurring_page_is_refused_to_roles_without_the_books(alpha: Tenant) -> None:
    client = alpha.client(alpha.user(Role.VOLUNTEER_COORDINATOR))
    assert client.get(RECURRING).status_code == 403
