"""The pledges pages: the list with its filters, sorting and CSV; the pledge form with its
schedule; a pledge's page with its schedule, payments and actions by state and role; a payment
recorded from it; the gifts area's tabs and the donor page's links. Roles, query counts,
escaping, CSRF, bad input, audit rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import (
    Campaign,
    Gift,
    Pledge,
    PledgeInstallment,
    PledgeState,
)
from tenant_apps.donations.selectors import installments_status, pledges_with_progress
from tenant_apps.donations.services.pledges import pledge_write_off
from tenant_apps.donations.tests.factories import (
    GiftFactory,
    PledgeFactory,
    RecurringGiftFactory,
    today,
)
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deferred_constraints_checked")]

LIST = "/pledges/"
NEW = "/pledges/new/"
READERS = (
    Role.OWNER,
    Role.ADMIN,
    Role.BOOKKEEPER,
    Role.FUNDRAISER,
    Role.VIEWER,
)


def _page(pledge: Pledge) -> str:
    return f"{LIST}{pledge.pk}/"


def _payment(pledge: Pledge, amount: str, *, posted: bool = True) -> Gift:
    return GiftFactory.create(donor=pledge.donor, amount=amount, pledge=pledge, posted=posted)


def _form(donor: Donor, **fields: Any) -> dict[str, Any]:
    data = {
        "donor_query": donor.display_name,
        "donor_id": donor.pk,
        "amount": "1200.00",
        "pledged_on": today().isoformat(),
        "fund": "GEN",
        "campaign": "",
        "installment_count": "4",
        "frequency": "quarterly",
        "first_due_on": today().isoformat(),
        "memo": "",
    }
    data.update(fields)
    return data


def _shifted_back(pledge: Pledge, days: int) -> None:
    """The pledge's schedule as if made `days` ago (its entry stays where it was posted)."""
    for installment in PledgeInstallment.objects.filter(pledge=pledge):
        installment.due_on -= timedelta(days=days)
        installment.save(update_fields=["due_on"])
    Pledge.objects.filter(pk=pledge.pk).update(pledged_on=pledge.pledged_on - timedelta(days=days))


# --- Who may see and do what ---------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_donor_reader_sees_the_list_and_a_pledge(in_alpha: Tenant, role: str) -> None:
    pledge = PledgeFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(role))
    assert client.get(LIST).status_code == 200
    page = client.get(_page(pledge))
    assert page.status_code == 200
    assert "$1,000.00 pledged by" in page.text


def test_a_volunteer_is_refused_with_the_roles_that_may(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(Role.VOLUNTEER))
    for path in (LIST, _page(pledge), NEW):
        response = client.get(path)
        assert response.status_code == 403
        assert "This page is for the" in response.text


def test_anonymous_people_are_sent_to_log_in(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    for path in (LIST, NEW, _page(pledge)):
        response = in_alpha.client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.BOOKKEEPER, 200),
        (Role.FUNDRAISER, 200),
        (Role.VIEWER, 403),
        (Role.VOLUNTEER_COORDINATOR, 403),
    ],
)
def test_the_form_is_for_those_who_enter_gifts(in_alpha: Tenant, role: str, status: int) -> None:
    pledge = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(role))
    assert client.get(NEW).status_code == status
    assert client.get(f"{_page(pledge)}edit/").status_code == status


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_readers_get_no_actions_and_every_action_is_refused_to_them(
    in_alpha: Tenant, role: str
) -> None:
    draft, posted = PledgeFactory.create(), PledgeFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(role))
    assert "Actions" not in client.get(_page(draft)).text
    for pledge, action, data in (
        (draft, "post", {}),
        (draft, "delete", {"confirm": "on"}),
        (draft, "cancel", {"confirm": "on"}),
        (posted, "write-off", {"date": today().isoformat(), "memo": "Moved away"}),
    ):
        response = client.post(f"{_page(pledge)}{action}/", data)
        assert response.status_code == 403, action
        assert "This page is for the" in response.text
    assert Pledge.objects.get(pk=draft.pk).state == PledgeState.DRAFT
    assert Pledge.objects.get(pk=posted.pk).state == PledgeState.OPEN


def test_a_fundraiser_may_not_post_write_off_or_reverse_a_pledge(in_alpha: Tenant) -> None:
    draft, posted = PledgeFactory.create(), PledgeFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    draft_page = client.get(_page(draft)).text
    assert "Post to the books" not in draft_page
    assert "Edit the draft" in draft_page
    posted_page = client.get(_page(posted)).text
    assert "Write off" not in posted_page
    assert "Cancel the pledge" not in posted_page
    assert "Record a payment" in posted_page

    assert client.post(f"{_page(draft)}post/").status_code == 403
    write_off = {"date": today().isoformat(), "memo": "Moved away"}
    assert client.post(f"{_page(posted)}write-off/", write_off).status_code == 403
    # Cancelling a posted pledge reverses its entry: a posting, as in the API.
    refused = client.post(f"{_page(posted)}cancel/", {"confirm": "on"})
    assert refused.status_code == 403
    assert "Bookkeeper" in refused.text
    assert Pledge.objects.get(pk=draft.pk).state == PledgeState.DRAFT
    assert Pledge.objects.get(pk=posted.pk).state == PledgeState.OPEN
    # Only the setup's posting is in the log.
    assert list(
        AuditEvent.objects.filter(action__startswith="pledge.")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["pledge.create", "pledge.create", "pledge.post"]


def test_actions_need_the_csrf_token(in_alpha: Tenant) -> None:
    draft = PledgeFactory.create()
    client = Client(HTTP_HOST=in_alpha.host, enforce_csrf_checks=True)
    client.force_login(in_alpha.user(Role.BOOKKEEPER))
    assert client.post(f"{_page(draft)}post/").status_code == 403
    assert client.post(NEW, _form(donor_made("Ada", "Lovelace"))).status_code == 403
    assert Pledge.objects.get(pk=draft.pk).state == PledgeState.DRAFT
    assert Pledge.objects.count() == 1


def test_other_tenants_see_nothing_of_alpha_pledges(alpha: Tenant, beta: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        pledge = PledgeFactory.create()
    client = beta.client(beta.user(Role.OWNER))
    assert client.get(_page(pledge)).status_code == 404
    assert client.post(f"{_page(pledge)}post/").status_code == 404
    assert "$1,000.00" not in client.get(LIST).text


# --- The form ------------------------------------------------------------------------------------


def test_a_fundraiser_records_a_pledge_in_four_quarterly_installments(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    campaign = Campaign.objects.create(code="ROOF", name="New roof")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = client.post(
        NEW, _form(ada, amount="1000.01", campaign=campaign.pk, memo="For the <b>roof</b>")
    )

    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _page(pledge)
    assert (pledge.donor, pledge.amount, pledge.state, pledge.campaign) == (
        ada,
        Decimal("1000.01"),
        PledgeState.DRAFT,
        campaign,
    )
    installments = list(pledge.installments.values_list("amount", flat=True))
    assert installments == [Decimal("250.01"), *[Decimal("250.00")] * 3]
    assert AuditEvent.objects.filter(action="pledge.create", object_id=str(pledge.pk)).exists()
    page = client.get(response["Location"]).text
    assert "Pledge recorded as a draft" in page
    assert page.count("To come") == 4
    assert "For the &lt;b&gt;roof&lt;/b&gt;" in page
    assert "New roof" in page


def test_bad_input_is_given_back_next_to_the_fields_and_nothing_is_saved(
    in_alpha: Tenant,
) -> None:
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    before = (today() - timedelta(days=1)).isoformat()
    response = client.post(
        NEW,
        _form(
            ada,
            donor_id="",
            donor_query="Nobody Atall",
            amount="0",
            installment_count="0",
            first_due_on=before,
        ),
    )
    assert response.status_code == 400
    page = response.text
    assert "No donor matches “Nobody Atall”." in page
    # The donor, the amount, the count, and the first date before the day pledged.
    assert page.count('class="field-error"') == 4
    assert "4 things need fixing" in page
    assert not Pledge.objects.exists()

    due_before = client.post(NEW, _form(ada, first_due_on=before))
    assert due_before.status_code == 400
    assert "On or after the day it was pledged." in due_before.text
    assert not Pledge.objects.exists()


def test_a_refusal_of_the_service_is_shown_next_to_the_schedule(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(NEW, _form(ada, amount="0.03", installment_count="4"))
    assert response.status_code == 400
    assert 'id="id_installment_count_error"' in response.text
    assert "Too many installments for the amount." in response.text
    assert not Pledge.objects.exists()


def test_nonsense_input_gives_errors_not_a_crash(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        NEW,
        {
            "donor_id": "abc",
            "amount": "1e400",
            "pledged_on": "31/02/2026",
            "fund": "NOPE",
            "frequency": "weekly",
            "installment_count": "9999",
        },
    )
    assert response.status_code == 400
    assert not Pledge.objects.exists()
    assert (
        client.get(LIST, {"state": "bogus", "campaign": "x", "sort": "-nonsense"}).status_code
        == 200
    )
    assert client.get(f"{LIST}999999/").status_code == 404


def test_the_form_opened_from_a_donor_names_the_donor(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(NEW, {"donor": ada.pk}).text
    assert 'value="Ada Lovelace"' in page
    assert f'name="donor_id" value="{ada.pk}"' in page


def test_a_draft_is_edited_and_rescheduled(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    form = client.get(f"{_page(pledge)}edit/").text
    assert 'value="1000.00"' in form
    assert '<option value="quarterly" selected>' in form

    response = client.post(
        f"{_page(pledge)}edit/",
        _form(pledge.donor, amount="600.00", installment_count="2", frequency="monthly"),
    )

    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.amount == Decimal("600.00")
    assert list(pledge.installments.values_list("amount", flat=True)) == [Decimal("300.00")] * 2
    event = AuditEvent.objects.get(action="pledge.update", object_id=str(pledge.pk))
    assert "amount" in str(event.detail)


def test_an_edit_that_changes_nothing_says_so(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    data = _form(pledge.donor, amount="1000.00", installment_count="4")
    response = client.post(f"{_page(pledge)}edit/", data)
    assert "Nothing was changed." in client.get(response["Location"]).text
    assert not AuditEvent.objects.filter(action="pledge.update").exists()


def test_a_posted_pledge_is_not_edited(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    response = client.post(f"{_page(pledge)}edit/", _form(pledge.donor, amount="5.00"))
    assert response.status_code == 302
    assert "Only a draft can be edited" in client.get(response["Location"]).text
    pledge.refresh_from_db()
    assert pledge.amount == Decimal("1000.00")


# --- A pledge's page and its actions -------------------------------------------------------------


def test_a_bookkeeper_posts_a_draft(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    assert "Post to the books" in client.get(_page(pledge)).text
    response = client.post(f"{_page(pledge)}post/")
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.OPEN
    assert pledge.journal_entry is not None
    assert AuditEvent.objects.filter(action="pledge.post", object_id=str(pledge.pk)).exists()
    page = client.get(response["Location"]).text
    assert "Pledge posted" in page
    assert f"Journal entry {pledge.journal_entry.number}" in page


def test_the_schedule_shows_what_is_paid_per_installment_and_the_payments(
    in_alpha: Tenant,
) -> None:
    pledge = PledgeFactory.create(posted=True)
    paid = _payment(pledge, "300.00")
    _payment(pledge, "40.00", posted=False)
    page = in_alpha.client(in_alpha.user(Role.VIEWER)).get(_page(pledge)).text
    assert "$300.00 of $1,000.00" in page
    assert "$700.00" in page  # still to pay
    schedule = page[page.index('<h2 id="schedule-heading">') : page.index("payments-heading")]
    assert schedule.count("<td>Paid</td>") == 1
    assert "Partly paid" in schedule
    assert "$50.00" in schedule  # the second installment's balance
    assert f'href="/gifts/{paid.pk}/"' in page
    assert "(counts once posted)" in page


def test_a_bookkeeper_writes_off_the_remainder(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create(posted=True)
    _payment(pledge, "250.00")
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    assert "Write off $750.00" in client.get(_page(pledge)).text

    response = client.post(
        f"{_page(pledge)}write-off/", {"date": today().isoformat(), "memo": "Donor moved away"}
    )

    assert response.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.state, pledge.written_off_amount) == (PledgeState.WRITTEN_OFF, Decimal("750"))
    event = AuditEvent.objects.get(action="pledge.write_off", object_id=str(pledge.pk))
    assert event.detail["amount"] == "750.00"
    page = client.get(response["Location"]).text
    assert "$750.00 written off" in page
    assert page.count("<td>Written off</td>") == 3
    assert "Record a payment" not in page


def test_a_write_off_without_a_reason_or_before_the_pledge_changes_nothing(
    in_alpha: Tenant,
) -> None:
    pledge = PledgeFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    missing = client.post(f"{_page(pledge)}write-off/", {"date": today().isoformat(), "memo": ""})
    assert missing.status_code == 400
    assert 'id="id_memo_error"' in missing.text
    before = (today() - timedelta(days=1)).isoformat()
    early = client.post(f"{_page(pledge)}write-off/", {"date": before, "memo": "Gone"})
    assert early.status_code == 400
    assert "Before the pledge." in early.text
    pledge.refresh_from_db()
    assert (pledge.state, pledge.written_off_amount) == (PledgeState.OPEN, Decimal("0"))
    assert not AuditEvent.objects.filter(action="pledge.write_off").exists()


def test_a_draft_is_cancelled_by_a_fundraiser_after_confirming(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    unconfirmed = client.post(f"{_page(pledge)}cancel/", {})
    assert unconfirmed.status_code == 400
    assert 'id="id_confirm_error"' in unconfirmed.text
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.DRAFT

    client.post(f"{_page(pledge)}cancel/", {"confirm": "on"})
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.CANCELLED
    assert AuditEvent.objects.filter(action="pledge.cancel", object_id=str(pledge.pk)).exists()


def test_a_posted_pledge_without_payments_is_reversed_by_a_bookkeeper(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    response = client.post(
        f"{_page(pledge)}cancel/", {"confirm": "on", "date": today().isoformat()}
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.CANCELLED
    assert pledge.reversal_entry is not None
    page = client.get(response["Location"]).text
    assert "its entry is reversed" in page
    assert f"reversed by entry {pledge.reversal_entry.number}" in page


def test_a_pledge_with_payments_is_not_cancelled_but_written_off(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create(posted=True)
    _payment(pledge, "100.00")
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    page = client.get(_page(pledge)).text
    assert "Cancel the pledge" not in page
    assert "write off what is still to pay instead" in page
    response = client.post(f"{_page(pledge)}cancel/", {"confirm": "on"})
    assert response.status_code == 302
    assert "has posted payments" in client.get(response["Location"]).text
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.OPEN


def test_a_draft_is_deleted_only_once_confirmed(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    client.post(f"{_page(pledge)}delete/", {})
    assert Pledge.objects.filter(pk=pledge.pk).exists()
    response = client.post(f"{_page(pledge)}delete/", {"confirm": "on"})
    assert response["Location"] == LIST
    assert not Pledge.objects.filter(pk=pledge.pk).exists()
    assert AuditEvent.objects.filter(action="pledge.delete", object_id=str(pledge.pk)).exists()


def test_a_pledge_page_escapes_its_donor_and_memo(in_alpha: Tenant) -> None:
    evil = donor_made("<script>x</script>", "Evil")
    pledge = PledgeFactory.create(donor=evil, memo="<script>y</script>")
    client = in_alpha.client(in_alpha.user(Role.VIEWER))
    for content in (client.get(_page(pledge)).text, client.get(LIST).text):
        assert "<script>x</script>" not in content
        assert "&lt;script&gt;x&lt;/script&gt;" in content
    assert "&lt;script&gt;y&lt;/script&gt;" in client.get(_page(pledge)).text


def test_a_pledge_page_runs_as_many_queries_for_many_payments_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    def page_of(installments: int, payments: int) -> int:
        pledge = PledgeFactory.create(posted=True, count=installments, frequency="monthly")
        for _ in range(payments):
            _payment(pledge, "10.00")
        client.get(_page(pledge))  # the session and the caches, once
        with count_queries() as queries:
            assert client.get(_page(pledge)).status_code == 200
        return len(queries)

    assert page_of(2, 1) == page_of(12, 10)


# --- Recording a payment from the pledge ---------------------------------------------------------


def test_record_a_payment_opens_the_gift_form_for_the_next_installment(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create(posted=True, fund="PRP")
    _payment(pledge, "100.00")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert f'href="/gifts/new/?pledge={pledge.pk}"' in client.get(_page(pledge)).text

    form = client.get("/gifts/new/", {"pledge": pledge.pk}).text
    assert f'name="pledge_id" value="{pledge.pk}"' in form
    assert 'value="150.00"' in form  # what is left of the first installment
    assert f'value="{pledge.donor.display_name}"' in form
    assert "$900.00 still to pay" in form

    response = client.post(
        "/gifts/new/",
        {
            "donor_query": pledge.donor.display_name,
            "donor_id": pledge.donor_id,
            "amount": "150.00",
            "received_on": today().isoformat(),
            "method": "check",
            "tribute_type": "none",
            "pledge_id": pledge.pk,
            "fund-TOTAL_FORMS": "3",
            "fund-INITIAL_FORMS": "0",
            "credit-TOTAL_FORMS": "2",
            "credit-INITIAL_FORMS": "0",
        },
    )

    gift = Gift.objects.exclude(pledge=None).latest("id")
    assert response.status_code == 302
    assert gift.pledge == pledge
    assert [a.fund.code for a in gift.allocations.all()] == ["PRP"]
    assert AuditEvent.objects.filter(action="gift.create", object_id=str(gift.pk)).exists()
    gift_page = client.get(response["Location"]).text
    assert f"Payment on pledge {pledge.pk} recorded as a draft" in gift_page
    assert f'href="{_page(pledge)}"' in gift_page


def test_a_payment_larger_than_the_balance_is_refused_and_not_saved(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        "/gifts/new/",
        {
            "donor_query": pledge.donor.display_name,
            "donor_id": pledge.donor_id,
            "amount": "1500.00",
            "received_on": today().isoformat(),
            "method": "check",
            "tribute_type": "none",
            "pledge_id": pledge.pk,
            "fund-TOTAL_FORMS": "3",
            "fund-INITIAL_FORMS": "0",
            "credit-TOTAL_FORMS": "2",
            "credit-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    assert "At most 1000.00." in response.text
    assert not Gift.objects.exists()


def test_a_payment_on_a_pledge_that_is_not_open_is_refused(in_alpha: Tenant) -> None:
    draft = PledgeFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert 'name="pledge_id" value' not in client.get("/gifts/new/", {"pledge": draft.pk}).text
    response = client.post(
        "/gifts/new/",
        {
            "donor_query": draft.donor.display_name,
            "donor_id": draft.donor_id,
            "amount": "10.00",
            "received_on": today().isoformat(),
            "method": "check",
            "tribute_type": "none",
            "pledge_id": draft.pk,
            "fund-TOTAL_FORMS": "3",
            "fund-INITIAL_FORMS": "0",
            "credit-TOTAL_FORMS": "2",
            "credit-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    assert "not open for payments" in response.text
    assert not Gift.objects.exists()


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_paid_balance_and_next_due_and_filters_the_overdue(
    in_alpha: Tenant,
) -> None:
    late = PledgeFactory.create(donor=donor_made("Late", "Larry"), posted=True)
    _payment(late, "250.00")
    _shifted_back(late, 200)  # the second installment fell due about 110 days ago
    PledgeFactory.create(donor=donor_made("Prompt", "Paula"), posted=True)
    PledgeFactory.create(donor=donor_made("Drafty", "Dan"))
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    page = client.get(LIST).text
    assert "Overdue" in page
    assert "$750.00" in page
    overdue = client.get(LIST, {"overdue": "on"}).text
    assert "Late Larry" in overdue
    assert "Prompt Paula" not in overdue
    assert "1–1 of 1 pledges" in overdue
    drafts = client.get(LIST, {"state": "draft"}).text
    assert "Drafty Dan" in drafts
    assert "Late Larry" not in drafts


def test_the_progress_columns_agree_with_the_schedule(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create(posted=True, count=4, frequency="monthly")
    _payment(pledge, "300.00")
    _payment(pledge, "200.00")
    row = pledges_with_progress().get(pk=pledge.pk)
    schedule = installments_status(row, paid_total=row.paid_total)
    first_unpaid = next(item for item in schedule if item.status != "paid")
    assert (row.paid_total, row.balance) == (Decimal("500.00"), Decimal("500.00"))
    assert row.next_due_on == first_unpaid.due_on == schedule[2].due_on

    pledge_write_off(pledge=pledge, acting_user=None)
    row = pledges_with_progress().get(pk=pledge.pk)
    assert (row.balance, row.next_due_on) == (Decimal("0"), None)


def test_the_list_sorts_by_balance_and_downloads_what_it_selects(in_alpha: Tenant) -> None:
    PledgeFactory.create(donor=donor_made("Small", "Sam"), amount="100.00")
    big = PledgeFactory.create(donor=donor_made("Big", "Bea"), amount="5000.00", posted=True)
    client = in_alpha.client(in_alpha.user(Role.VIEWER))
    page = client.get(LIST, {"sort": "-balance"}).text
    assert page.index("Big Bea") < page.index("Small Sam")
    page = client.get(LIST, {"sort": "balance"}).text
    assert page.index("Small Sam") < page.index("Big Bea")

    download: Any = client.get(LIST, {"state": "open", "format": "csv"})
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines[0].startswith("Pledge,Pledged on,Donor,Amount,Paid,Balance,Next due")
    assert len(lines) == 2
    assert lines[1].startswith(f"{big.pk},{today().isoformat()},Big Bea,")
    assert ',"$5,000.00",$0.00,"$5,000.00",' in lines[1]
    assert lines[1].endswith(",No,Open,,General fund,")


def test_the_list_runs_as_many_queries_for_many_pledges_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    client.get(LIST)  # the session and the caches, once

    def pledges(number: int) -> int:
        for _ in range(number):
            pledge = PledgeFactory.create(posted=True)
            _payment(pledge, "10.00")
        with count_queries() as queries:
            assert client.get(LIST, {"sort": "next_due"}).status_code == 200
        return len(queries)

    assert pledges(2) == pledges(20)


def test_an_empty_list_says_what_to_do(in_alpha: Tenant) -> None:
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(LIST).text
    assert "No pledge yet." in fundraiser
    assert f'href="{NEW}"' in fundraiser
    filtered = in_alpha.client(in_alpha.user(Role.VIEWER)).get(LIST, {"state": "open"}).text
    assert "No pledge matches these filters." in filtered


# --- The gifts area and the donor page -----------------------------------------------------------


def test_the_gifts_area_is_current_and_its_tabs_link_its_pages(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    for path, tab in (
        (LIST, "Pledges"),
        ("/recurring/", "Recurring gifts"),
        ("/gifts/", "Gifts"),
        ("/gifts/batch/", "Batch entry"),
    ):
        page = client.get(path).text
        start = page.index('aria-label="Sections"')
        sections = page[start : page.index("</nav>", start)]
        assert 'href="/gifts/" aria-current="page"' in sections, path
        tabs = page[page.index('aria-label="Gifts area"') :]
        assert f'aria-current="page">{tab}</a>' in tabs, path
        assert 'href="/pledges/"' in tabs and 'href="/recurring/"' in tabs
    viewer_tabs = in_alpha.client(in_alpha.user(Role.VIEWER)).get(LIST).text
    assert 'href="/gifts/batch/"' not in viewer_tabs


def test_the_donor_page_links_pledges_and_recurring_gifts_and_offers_to_add_one(
    in_alpha: Tenant,
) -> None:
    ada = donor_made("Ada", "Lovelace")
    pledge = PledgeFactory.create(donor=ada)
    recurring = RecurringGiftFactory.create(donor=ada)
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(f"/donors/{ada.pk}/").text
    assert f'href="/pledges/{pledge.pk}/"' in fundraiser
    assert f'href="/recurring/{recurring.pk}/"' in fundraiser
    assert "Monthly recurring gift (Active)" in fundraiser
    assert f'href="/pledges/new/?donor={ada.pk}">Add pledge</a>' in fundraiser
    assert f'href="/recurring/new/?donor={ada.pk}">Add recurring gift</a>' in fundraiser
    viewer = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"/donors/{ada.pk}/").text
    assert "Add pledge" not in viewer
    assert f'href="/pledges/{pledge.pk}/"' in viewer


def test_pledge_dates_show_in_words(in_alpha: Tenant) -> None:
    pledge = PledgeFactory.create()
    page = in_alpha.client(in_alpha.user(Role.VIEWER)).get(_page(pledge)).text
    day: date = pledge.pledged_on
    assert f"{day:%b} {day.day}, {day.year}" in page
    assert "<dd>Draft</dd>" in page
