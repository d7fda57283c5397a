"""The recurring-gifts pages: the list with its filters and CSV, the form, a recurring gift's
page with its coming dates and the gifts it made, and pause, resume, cancel, edit and delete.
Roles, query counts, escaping, CSRF, bad input, audit rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.dateformat import format as date_format
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, RecurringGift, RecurringGiftState
from tenant_apps.donations.services.recurring import recurring_gift_pause, recurring_gifts_run
from tenant_apps.donations.services.schedules import months_added
from tenant_apps.donations.tests.factories import RecurringGiftFactory, later, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

LIST = "/recurring/"
NEW = "/recurring/new/"


def _page(recurring: RecurringGift) -> str:
    return f"{LIST}{recurring.pk}/"


def _shown(day: date) -> str:
    return date_format(day, "M j, Y")


def _form(donor: Donor | None = None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "amount": "25.00",
        "frequency": "monthly",
        "next_on": later(3).isoformat(),
        "end_on": "",
        "method": "ach",
        "fund": "GEN",
        "campaign": "",
        "payment_reference": "",
    }
    if donor is not None:
        data.update({"donor_query": donor.display_name, "donor_id": donor.pk})
    data.update(fields)
    return data


def _with_gifts(number: int) -> RecurringGift:
    """A monthly recurring gift that has made `number` gifts, the last today."""
    first = months_added(today(), -(number - 1), anchor_day=today().day)
    recurring = RecurringGiftFactory.create(next_on=first)
    recurring_gifts_run(today=today())
    assert recurring.gifts.count() == number
    return RecurringGift.objects.get(pk=recurring.pk)


# --- Who may see and do what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        Role.OWNER,
        Role.ADMIN,
        Role.BOOKKEEPER,
        Role.FUNDRAISER,
        Role.VIEWER,
    ],
)
def test_every_donor_reader_sees_the_list_and_a_recurring_gift(in_alpha: Tenant, role: str) -> None:
    recurring = RecurringGiftFactory.create()
    client = in_alpha.client(in_alpha.user(role))
    assert client.get(LIST).status_code == 200
    page = client.get(_page(recurring))
    assert page.status_code == 200
    assert "$25.00 monthly from" in page.text


def test_a_volunteer_is_refused_with_the_roles_that_may(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create()
    client = in_alpha.client(in_alpha.user(Role.VOLUNTEER))
    for path in (LIST, NEW, _page(recurring)):
        response = client.get(path)
        assert response.status_code == 403
        assert "This page is for the" in response.text


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_readers_change_nothing(in_alpha: Tenant, role: str) -> None:
    recurring = RecurringGiftFactory.create()
    client = in_alpha.client(in_alpha.user(role))
    page = client.get(_page(recurring)).text
    assert "Actions" not in page
    assert "Pause" not in page
    assert client.get(NEW).status_code == 403
    assert client.get(f"{_page(recurring)}edit/").status_code == 403
    for action, data in (
        ("pause", {}),
        ("resume", {}),
        ("cancel", {"confirm": "on"}),
        ("delete", {"confirm": "on"}),
    ):
        response = client.post(f"{_page(recurring)}{action}/", data)
        assert response.status_code == 403, action
        assert "This page is for the" in response.text
    assert RecurringGift.objects.get(pk=recurring.pk).state == RecurringGiftState.ACTIVE


def test_actions_need_the_csrf_token(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create()
    client = Client(HTTP_HOST=in_alpha.host, enforce_csrf_checks=True)
    client.force_login(in_alpha.user(Role.FUNDRAISER))
    assert client.post(f"{_page(recurring)}pause/").status_code == 403
    assert client.post(NEW, _form(donor_made("Ada", "Lovelace"))).status_code == 403
    assert RecurringGift.objects.get().state == RecurringGiftState.ACTIVE


def test_other_tenants_see_nothing_of_alpha_recurring_gifts(alpha: Tenant, beta: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        recurring = RecurringGiftFactory.create()
    client = beta.client(beta.user(Role.OWNER))
    assert client.get(_page(recurring)).status_code == 404
    assert client.post(f"{_page(recurring)}pause/").status_code == 404
    assert "$25.00" not in client.get(LIST).text


# --- The form ------------------------------------------------------------------------------------


def test_a_fundraiser_sets_up_a_quarterly_gift_with_an_end(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    first, end = later(10), later(400)

    response = client.post(
        NEW,
        _form(
            ada,
            amount="75.00",
            frequency="quarterly",
            next_on=first.isoformat(),
            end_on=end.isoformat(),
            fund="PRP",
            payment_reference="SO-<b>1</b>",
        ),
    )

    recurring = RecurringGift.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _page(recurring)
    assert (recurring.donor, recurring.amount, recurring.frequency, recurring.fund.code) == (
        ada,
        Decimal("75.00"),
        "quarterly",
        "PRP",
    )
    assert (recurring.next_on, recurring.end_on, recurring.anchor_day) == (first, end, first.day)
    assert AuditEvent.objects.filter(
        action="recurring_gift.create", object_id=str(recurring.pk)
    ).exists()
    page = client.get(response["Location"]).text
    assert "Recurring gift saved" in page
    assert "$75.00 quarterly from Ada Lovelace" in page
    assert "SO-&lt;b&gt;1&lt;/b&gt;" in page
    # Five dates fit before the end: no "and so on".
    upcoming = page[
        page.index('class="upcoming"') : page.index("</ol>", page.index('class="upcoming"'))
    ]
    assert upcoming.count("<li>") == 5
    assert _shown(months_added(first, 12, anchor_day=first.day)) in upcoming
    assert "And so on" not in page


def test_bad_input_is_given_back_next_to_the_fields_and_nothing_is_saved(
    in_alpha: Tenant,
) -> None:
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        NEW,
        _form(ada, amount="-5", method="card", end_on=today().isoformat(), next_on=later(5)),
    )
    assert response.status_code == 400
    page = response.text
    assert 'id="id_amount_error"' in page
    assert 'id="id_method_error"' in page
    assert 'id="id_end_on_error"' in page
    assert "On or after the date of the first gift." in page
    assert "3 things need fixing" in page
    assert not RecurringGift.objects.exists()


def test_a_reference_already_used_is_refused(in_alpha: Tenant) -> None:
    RecurringGiftFactory.create(payment_reference="SO-1")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(NEW, _form(donor_made("Ada", "Lovelace"), payment_reference="SO-1"))
    assert response.status_code == 400
    assert "payment reference SO-1 exists" in response.text
    assert RecurringGift.objects.count() == 1


def test_the_form_opened_from_a_donor_names_the_donor(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(NEW, {"donor": ada.pk}).text
    assert 'value="Ada Lovelace"' in page
    # Card is not offered: card gifts recur through the donation page.
    assert '<option value="card"' not in page


def test_an_edit_changes_what_changed_and_says_so_in_the_log(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    data = _form(amount="40.00", next_on=recurring.next_on.isoformat())
    response = client.post(f"{_page(recurring)}edit/", data)
    assert response.status_code == 302
    recurring.refresh_from_db()
    assert recurring.amount == Decimal("40.00")
    event = AuditEvent.objects.get(action="recurring_gift.update", object_id=str(recurring.pk))
    assert event.detail["changed"] == ["amount"]


def test_an_edit_with_an_end_before_the_next_gift_changes_nothing(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create(next_on=later(10))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        f"{_page(recurring)}edit/",
        _form(next_on=later(10).isoformat(), end_on=later(5).isoformat(), amount="99.00"),
    )
    assert response.status_code == 400
    assert 'id="id_end_on_error"' in response.text
    recurring.refresh_from_db()
    assert (recurring.amount, recurring.end_on) == (Decimal("25.00"), None)


# --- A recurring gift's page and its actions -----------------------------------------------------


def test_the_page_lists_the_coming_dates_and_the_gifts_made(in_alpha: Tenant) -> None:
    recurring = _with_gifts(2)
    made = list(recurring.gifts.order_by("-received_on"))
    page = in_alpha.client(in_alpha.user(Role.VIEWER)).get(_page(recurring)).text
    next_on = recurring.next_on
    assert _shown(next_on) in page
    assert "And so on." in page
    for gift in made:
        assert f'href="/gifts/{gift.pk}/"' in page
    assert page.count("<td>Draft</td>") == 2


def test_pause_then_resume_on_a_date(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create(next_on=later(3))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = client.post(f"{_page(recurring)}pause/")

    recurring.refresh_from_db()
    assert recurring.state == RecurringGiftState.PAUSED
    assert AuditEvent.objects.filter(
        action="recurring_gift.pause", object_id=str(recurring.pk)
    ).exists()
    page = client.get(response["Location"]).text
    assert "Recurring gift paused" in page
    assert "Resumed today, its next gifts would be on" in page
    assert ">Resume</button>" in page

    resume_on = later(20)
    response = client.post(f"{_page(recurring)}resume/", {"next_on": resume_on.isoformat()})

    recurring.refresh_from_db()
    assert (recurring.state, recurring.next_on) == (RecurringGiftState.ACTIVE, resume_on)
    event = AuditEvent.objects.get(action="recurring_gift.resume", object_id=str(recurring.pk))
    assert event.detail["next_on"] == resume_on.isoformat()
    assert f"the next gift is on {_shown(resume_on)}" in client.get(response["Location"]).text


def test_resume_without_a_date_skips_the_dates_passed(in_alpha: Tenant) -> None:
    first = months_added(today(), -3, anchor_day=today().day)
    recurring = RecurringGiftFactory.create(next_on=first)
    recurring_gift_pause(recurring_gift=recurring, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    client.post(f"{_page(recurring)}resume/", {"next_on": ""})
    recurring.refresh_from_db()
    assert recurring.state == RecurringGiftState.ACTIVE
    assert recurring.next_on == today()
    assert not Gift.objects.exists()


def test_resume_on_a_past_date_is_refused_next_to_the_field(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create()
    recurring_gift_pause(recurring_gift=recurring, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = client.post(f"{_page(recurring)}resume/", {"next_on": yesterday})
    assert response.status_code == 400
    assert 'id="id_next_on_error"' in response.text
    assert RecurringGift.objects.get(pk=recurring.pk).state == RecurringGiftState.PAUSED
    assert not AuditEvent.objects.filter(action="recurring_gift.resume").exists()


def test_cancel_needs_confirming_and_keeps_the_gifts_made(in_alpha: Tenant) -> None:
    recurring = _with_gifts(1)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    unconfirmed = client.post(f"{_page(recurring)}cancel/", {})
    assert unconfirmed.status_code == 400
    assert 'id="id_confirm_error"' in unconfirmed.text
    assert RecurringGift.objects.get(pk=recurring.pk).state == RecurringGiftState.ACTIVE

    response = client.post(f"{_page(recurring)}cancel/", {"confirm": "on"})

    assert RecurringGift.objects.get(pk=recurring.pk).state == RecurringGiftState.CANCELLED
    assert AuditEvent.objects.filter(
        action="recurring_gift.cancel", object_id=str(recurring.pk)
    ).exists()
    assert Gift.objects.filter(recurring_gift=recurring).count() == 1
    page = client.get(response["Location"]).text
    assert "Cancelled: it makes no more gifts." in page
    assert "Actions" not in page
    assert client.get(f"{_page(recurring)}edit/").status_code == 302


def test_one_that_made_no_gift_may_be_deleted(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create(next_on=later(5))
    made = _with_gifts(1)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert "Delete the recurring gift" in client.get(_page(recurring)).text
    assert "Delete the recurring gift" not in client.get(_page(made)).text

    response = client.post(f"{_page(recurring)}delete/", {"confirm": "on"})

    assert response["Location"] == LIST
    assert not RecurringGift.objects.filter(pk=recurring.pk).exists()
    assert AuditEvent.objects.filter(
        action="recurring_gift.delete", object_id=str(recurring.pk)
    ).exists()
    refused = client.post(f"{_page(made)}delete/", {"confirm": "on"})
    assert "has made gifts; cancel it instead" in client.get(refused["Location"]).text
    assert RecurringGift.objects.filter(pk=made.pk).exists()


def test_a_page_escapes_its_donor(in_alpha: Tenant) -> None:
    recurring = RecurringGiftFactory.create(donor=donor_made("<script>x</script>", "Evil"))
    client = in_alpha.client(in_alpha.user(Role.VIEWER))
    for content in (client.get(_page(recurring)).text, client.get(LIST).text):
        assert "<script>x</script>" not in content
        assert "&lt;script&gt;x&lt;/script&gt;" in content


def test_a_page_runs_as_many_queries_for_many_gifts_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    def page_of(gifts: int) -> int:
        recurring = _with_gifts(gifts)
        client.get(_page(recurring))  # the session and the caches, once
        with count_queries() as queries:
            assert client.get(_page(recurring)).status_code == 200
        return len(queries)

    assert page_of(1) == page_of(10)


# --- The list ------------------------------------------------------------------------------------


def test_the_list_filters_sorts_and_downloads_what_it_selects(in_alpha: Tenant) -> None:
    soon = RecurringGiftFactory.create(donor=donor_made("Soon", "Sally"), next_on=later(1))
    RecurringGiftFactory.create(
        donor=donor_made("Later", "Lou"), next_on=later(9), frequency="annually"
    )
    paused = RecurringGiftFactory.create(donor=donor_made("Paused", "Pat"), next_on=later(2))
    recurring_gift_pause(recurring_gift=paused, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    page = client.get(LIST).text
    assert page.index("Soon Sally") < page.index("Later Lou")
    assert "Annually" in page
    assert "When resumed" in page
    annual = client.get(LIST, {"frequency": "annually"}).text
    assert "Later Lou" in annual
    assert "Soon Sally" not in annual
    assert "Paused Pat" in client.get(LIST, {"state": "paused"}).text
    assert "Soon Sally" not in client.get(LIST, {"state": "paused"}).text

    download: Any = client.get(LIST, {"state": "active", "donor": "Sally", "format": "csv"})
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines[0] == (
        "Recurring gift,Donor,Amount,Frequency,Next gift,Ends,State,Method,Fund,Campaign,Reference"
    )
    assert lines[1:] == [
        f"{soon.pk},Soon Sally,$25.00,Monthly,{later(1).isoformat()},,Active,ACH,General fund,,"
    ]


def test_the_list_runs_as_many_queries_for_many_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    client.get(LIST)  # the session and the caches, once

    def rows(number: int) -> int:
        RecurringGiftFactory.create_batch(number)
        with count_queries() as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    assert rows(2) == rows(20)


def test_an_empty_list_says_what_to_do(in_alpha: Tenant) -> None:
    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(LIST).text
    assert "No recurring gift yet." in page
    assert f'href="{NEW}"' in page
    filtered = in_alpha.client(in_alpha.user(Role.VIEWER)).get(LIST, {"state": "paused"}).text
    assert "No recurring gift matches these filters." in filtered
