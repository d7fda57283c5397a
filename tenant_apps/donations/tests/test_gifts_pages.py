"""The gifts desk's pages: batch entry of checks (a deposit being filled), a gift's page and
its actions, the list with its filters, CSV and bulk posting; roles, escaping, query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Deposit, DepositState, Gift, GiftMethod, GiftState
from tenant_apps.donations.services.deposits import deposit_create, deposit_gift_enter
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

LIST = "/gifts/"
BATCHES = "/gifts/batch/"
READERS = (Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER)


def _batch(count: int = 3, total: str = "150.00") -> Deposit:
    return deposit_create(
        deposit_on=today(), expected_count=count, expected_total=total, acting_user=None
    )


def _row(donor: Donor, amount: str = "50.00", **fields: Any) -> dict[str, Any]:
    return {
        "donor_query": donor.display_name,
        "donor_id": donor.pk,
        "amount": amount,
        "check_number": "",
        "fund": "GEN",
        **fields,
    }


# --- Batch entry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.ADMIN, 200),
        (Role.BOOKKEEPER, 200),
        (Role.FUNDRAISER, 200),
        (Role.VIEWER, 403),
        (Role.VOLUNTEER_COORDINATOR, 403),
    ],
)
def test_batch_entry_is_for_those_who_enter_gifts(in_alpha: Tenant, role: str, status: int) -> None:
    deposit = _batch()
    client = in_alpha.client(in_alpha.user(role))
    for path in (BATCHES, f"{BATCHES}{deposit.pk}/"):
        response = client.get(path)
        assert response.status_code == status
        if status == 403:
            assert b"This page is for the" in response.content


def test_anonymous_users_are_sent_to_log_in(in_alpha: Tenant) -> None:
    deposit = _batch()
    for path in (LIST, BATCHES, f"{BATCHES}{deposit.pk}/", "/gifts/donors/?donor_query=a"):
        response = in_alpha.client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_bookkeeper_opens_a_batch_with_its_expected_count_and_total(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    response = client.post(
        BATCHES,
        {"deposit_on": today().isoformat(), "expected_count": "20", "expected_total": "1234.50"},
    )
    deposit = Deposit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BATCHES}{deposit.pk}/"
    assert (deposit.expected_count, deposit.expected_total) == (20, Decimal("1234.50"))
    assert AuditEvent.objects.filter(action="deposit.create", object_id=str(deposit.pk)).exists()
    page = client.get(response["Location"])
    assert b"0</span> / 20" in page.content
    assert b"$0.00</span> / $1,234.50" in page.content


def test_a_batch_without_a_count_is_given_back_with_the_error(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    response = client.post(
        BATCHES, {"deposit_on": today().isoformat(), "expected_count": "0", "expected_total": "5"}
    )
    assert response.status_code == 400
    assert b"One thing needs fixing" in response.content
    assert not Deposit.objects.exists()


def test_enter_saves_a_row_as_a_draft_check_in_the_batch(in_alpha: Tenant) -> None:
    deposit = _batch()
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = client.post(
        f"{BATCHES}{deposit.pk}/", _row(ada, "75.00", check_number="1042"), HTTP_HX_REQUEST="true"
    )

    gift = Gift.objects.get()
    assert (gift.donor, gift.amount, gift.method, gift.state) == (
        ada,
        Decimal("75.00"),
        GiftMethod.CHECK,
        GiftState.DRAFT,
    )
    assert (gift.deposit, gift.received_on, gift.check_number) == (deposit, today(), "1042")
    assert [a.fund.code for a in gift.allocations.all()] == ["GEN"]
    assert AuditEvent.objects.filter(action="gift.create", object_id=str(gift.pk)).exists()
    assert AuditEvent.objects.filter(action="deposit.add_gift", object_id=str(deposit.pk)).exists()
    # The fragment alone, with a fresh row whose donor field has the focus.
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="batch"' in response.content
    assert b"1</span> / 3" in response.content
    assert b"$75.00</span> / $150.00" in response.content
    assert b"autofocus" in response.content
    assert b"Saved Ada Lovelace" in response.content


def test_without_the_script_a_row_names_its_donor_by_the_one_match(in_alpha: Tenant) -> None:
    deposit = _batch()
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(f"{BATCHES}{deposit.pk}/", _row(ada, donor_id="", donor_query="Lovel"))
    assert response.status_code == 302
    assert Gift.objects.get().donor == ada


def test_a_row_with_no_such_donor_or_amount_is_given_back(in_alpha: Tenant) -> None:
    deposit = _batch()
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        f"{BATCHES}{deposit.pk}/", _row(ada, "", donor_id="", donor_query="Nobody Atall")
    )
    assert response.status_code == 400
    assert "No donor matches “Nobody Atall”." in response.content.decode()
    assert b"2 things need fixing" in response.content
    assert not Gift.objects.exists()


def test_the_donor_field_suggests_donors_and_escapes_their_names(in_alpha: Tenant) -> None:
    donor_made("Ada", "<script>alert(1)</script>")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.get("/gifts/donors/", {"donor_query": "Ada"})
    assert response.status_code == 200
    assert b'role="option"' in response.content
    assert b"<script>alert" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_post_the_batch_posts_every_draft_then_the_deposit_closes(in_alpha: Tenant) -> None:
    deposit = _batch(count=2, total="100.00")
    for name in ("Ada", "Grace"):
        deposit_gift_enter(
            deposit=deposit, donor=donor_made(name, "Test"), amount="50.00", acting_user=None
        )
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    assert b"Post the batch" in client.get(f"{BATCHES}{deposit.pk}/").content

    response = client.post(f"{BATCHES}{deposit.pk}/post/")

    assert response.status_code == 302
    assert set(Gift.objects.values_list("state", flat=True)) == {GiftState.POSTED}
    assert AuditEvent.objects.filter(action="deposit.post_drafts").count() == 1
    page = client.get(response["Location"])
    assert b"Posted 2 gifts for $100.00." in page.content
    assert b"Close the deposit" in page.content

    client.post(f"{BATCHES}{deposit.pk}/close/")
    deposit.refresh_from_db()
    assert deposit.state == DepositState.CLOSED


def test_a_batch_posts_all_or_nothing_and_says_why(in_alpha: Tenant) -> None:
    from tenant_apps.accounting.models import Fund

    deposit = _batch(count=2, total="10.00")
    deposit_gift_enter(deposit=deposit, donor=donor_made("Ada", "L"), amount="5", acting_user=None)
    deposit_gift_enter(
        deposit=deposit, donor=donor_made("Bo", "L"), amount="5", fund="PRP", acting_user=None
    )
    # The second check's fund was closed after it was entered: the ledger refuses it.
    Fund.objects.filter(code="PRP").update(is_active=False)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    page = client.get(client.post(f"{BATCHES}{deposit.pk}/post/")["Location"]).content.decode()

    assert "Nothing was posted:" in page
    assert "Fund PRP is inactive" in page
    assert set(Gift.objects.values_list("state", flat=True)) == {GiftState.DRAFT}
    assert not AuditEvent.objects.filter(action__in=["gift.post", "deposit.post_drafts"]).exists()


def test_a_fundraiser_cannot_post_a_batch_and_sees_no_button(in_alpha: Tenant) -> None:
    deposit = _batch()
    deposit_gift_enter(deposit=deposit, donor=donor_made("Ada", "L"), amount="5", acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert b"Post the batch" not in client.get(f"{BATCHES}{deposit.pk}/").content
    response = client.post(f"{BATCHES}{deposit.pk}/post/")
    assert response.status_code == 403
    assert Gift.objects.get().state == GiftState.DRAFT


def test_a_deposit_with_drafts_does_not_close(in_alpha: Tenant) -> None:
    deposit = _batch(count=1, total="5.00")
    deposit_gift_enter(deposit=deposit, donor=donor_made("Ada", "L"), amount="5", acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    page = client.get(client.post(f"{BATCHES}{deposit.pk}/close/")["Location"])
    assert b"post them before closing it" in page.content
    deposit.refresh_from_db()
    assert deposit.state == DepositState.OPEN


def test_a_batch_page_runs_as_many_queries_for_many_rows_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    deposit = _batch(count=30, total="300.00")
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    client.get(f"{BATCHES}{deposit.pk}/")  # the session and the caches, once

    def rows(number: int) -> int:
        for _ in range(number):
            donor = donor_made("Ada", "L")
            deposit_gift_enter(deposit=deposit, donor=donor, amount="10", acting_user=None)
        with count_queries() as queries:
            assert client.get(f"{BATCHES}{deposit.pk}/").status_code == 200
        return len(queries)

    assert rows(2) == rows(20)


# --- A gift's page ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_reader_sees_a_gift(in_alpha: Tenant, role: str) -> None:
    gift = GiftFactory.create(posted=True)
    response = in_alpha.client(in_alpha.user(role)).get(f"{LIST}{gift.pk}/")
    assert response.status_code == 200
    assert b"$100.00" in response.content
    assert b"Journal entry" in response.content


def test_a_volunteer_coordinator_is_refused_the_gifts_desk(in_alpha: Tenant) -> None:
    # DONORS_READ is theirs, GIVING_READ is not: donors yes, what they give no.
    gift = GiftFactory.create()
    client = in_alpha.client(in_alpha.user(Role.VOLUNTEER_COORDINATOR))
    response = client.get(f"{LIST}{gift.pk}/")
    assert response.status_code == 403
    assert b"This page is for the" in response.content
    assert b"$100.00" not in response.content


def test_a_bookkeeper_posts_a_draft_from_its_page(in_alpha: Tenant) -> None:
    gift = GiftFactory.create()
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    assert b"Post to the books" in client.get(f"{LIST}{gift.pk}/").content
    response = client.post(f"{LIST}{gift.pk}/post/")
    gift.refresh_from_db()
    assert gift.state == GiftState.POSTED
    assert AuditEvent.objects.filter(action="gift.post", object_id=str(gift.pk)).exists()
    assert b"Gift posted to the books." in client.get(response["Location"]).content


def test_a_fundraiser_may_delete_a_draft_but_not_post_it(in_alpha: Tenant) -> None:
    gift = GiftFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    page = client.get(f"{LIST}{gift.pk}/")
    assert b"Post to the books" not in page.content
    assert b"Delete the draft" in page.content
    assert client.post(f"{LIST}{gift.pk}/post/").status_code == 403
    response = client.post(f"{LIST}{gift.pk}/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert not Gift.objects.filter(pk=gift.pk).exists()
    assert AuditEvent.objects.filter(action="gift.delete", object_id=str(gift.pk)).exists()


def test_a_posted_gift_is_refunded_with_a_reason(in_alpha: Tenant) -> None:
    gift = GiftFactory.create(posted=True, method=GiftMethod.CARD)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    response = client.post(
        f"{LIST}{gift.pk}/refund/", {"date": today().isoformat(), "memo": "Charged twice"}
    )
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.state == GiftState.REFUNDED
    assert AuditEvent.objects.filter(action="gift.refund", object_id=str(gift.pk)).exists()


def test_a_refund_dated_before_the_gift_is_given_back(in_alpha: Tenant) -> None:
    gift = GiftFactory.create(posted=True, method=GiftMethod.CARD)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    before = (today() - timedelta(days=1)).isoformat()
    response = client.post(f"{LIST}{gift.pk}/refund/", {"date": before, "memo": "Twice"})
    assert response.status_code == 400
    assert b"On or after" in response.content
    gift.refresh_from_db()
    assert gift.state == GiftState.POSTED


def test_a_gift_page_escapes_its_donor(in_alpha: Tenant) -> None:
    gift = GiftFactory.create(donor=donor_made("<script>x</script>", "Evil"))
    content = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{LIST}{gift.pk}/").content
    assert b"<script>x</script>" not in content
    assert b"&lt;script&gt;x&lt;/script&gt;" in content


def test_other_tenants_see_nothing_of_alpha_gifts(alpha: Tenant, beta: Tenant) -> None:
    from django_tenants.utils import schema_context

    with schema_context(alpha.organization.schema_name):
        gift = GiftFactory.create()
    response = beta.client(beta.user(Role.OWNER)).get(f"{LIST}{gift.pk}/")
    assert response.status_code == 404


# --- The list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 200), (Role.VOLUNTEER, 403)])
def test_the_list_is_for_donor_readers(in_alpha: Tenant, role: str, status: int) -> None:
    assert in_alpha.client(in_alpha.user(role)).get(LIST).status_code == status


def test_the_list_filters_in_the_url_and_downloads_what_it_selects(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    GiftFactory.create(donor=ada, amount="12.00", posted=True)
    GiftFactory.create(donor=donor_made("Grace", "Hopper"), amount="34.00")
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    drafts = client.get(LIST, {"state": "draft"}).content
    assert b"$34.00" in drafts
    assert b"$12.00" not in drafts
    by_donor = client.get(LIST, {"donor": "Lovelace"}).content
    assert b"$12.00" in by_donor
    assert b"$34.00" not in by_donor
    assert b"1\xe2\x80\x931 of 1 gifts" in by_donor

    download: Any = client.get(LIST, {"state": "posted", "format": "csv"})
    csv = b"".join(download.streaming_content)
    row = b"Ada Lovelace,$12.00,Check,General fund,,Entered by hand,Posted,No"
    assert csv.splitlines()[1].endswith(row)


def test_the_list_runs_as_many_queries_for_many_gifts_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    client.get(LIST)  # the session and the caches, once

    def gifts(number: int) -> int:
        GiftFactory.create_batch(number)
        with count_queries() as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    assert gifts(2) == gifts(20)


def test_post_selected_posts_each_and_names_the_one_refused(in_alpha: Tenant) -> None:
    good = GiftFactory.create()
    posted = GiftFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    page = client.get(LIST).content
    assert f'name="gift" value="{good.pk}"'.encode() in page
    assert f'name="gift" value="{posted.pk}"'.encode() not in page

    response = client.post("/gifts/post/", {"gift": [good.pk, posted.pk], "next": LIST})

    good.refresh_from_db()
    assert good.state == GiftState.POSTED
    messages = client.get(response["Location"]).content.decode()
    assert f"Gift {posted.pk} was not posted: Gift {posted.pk} is posted" in messages
    assert "Posted 1 gift." in messages


def test_a_fundraiser_has_no_post_selected(in_alpha: Tenant) -> None:
    gift = GiftFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert b"Post selected" not in client.get(LIST).content
    assert client.post("/gifts/post/", {"gift": [gift.pk]}).status_code == 403


# --- The gift form ------------------------------------------------------------------------------

NEW = "/gifts/new/"


def _gift_form(donor: Donor, **fields: Any) -> dict[str, Any]:
    data = {
        "donor_query": donor.display_name,
        "donor_id": donor.pk,
        "amount": "300.00",
        "received_on": today().isoformat(),
        "method": "check",
        "check_number": "",
        "payment_reference": "",
        "campaign": "",
        "tribute_type": "none",
        "tribute_name": "",
        "goods_services_description": "",
        "goods_services_value": "",
        "designation": "",
        "fund-TOTAL_FORMS": "3",
        "fund-INITIAL_FORMS": "0",
        "credit-TOTAL_FORMS": "2",
        "credit-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("role", "status"), [(Role.FUNDRAISER, 200), (Role.BOOKKEEPER, 200), (Role.VIEWER, 403)]
)
def test_the_gift_form_is_for_those_who_enter_gifts(
    in_alpha: Tenant, role: str, status: int
) -> None:
    response = in_alpha.client(in_alpha.user(role)).get(NEW)
    assert response.status_code == status


def test_a_fundraiser_records_a_split_gift_in_memory_of_someone(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    donor_made("Charles", "Babbage")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        NEW,
        _gift_form(
            ada,
            **{
                "tribute_type": "memory",
                "tribute_name": "Lord Byron",
                "fund-0-fund": "GEN",
                "fund-0-amount": "200.00",
                "fund-1-fund": "PRP",
                "fund-1-amount": "100.00",
                "credit-0-donor_query": "Babbage",
                "credit-0-amount": "300.00",
                "designation": "For the <b>library</b>",
            },
        ),
    )
    gift = Gift.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}{gift.pk}/"
    assert (gift.amount, gift.tribute_type, gift.tribute_name) == (
        Decimal("300.00"),
        "memory",
        "Lord Byron",
    )
    assert sorted((a.fund.code, a.amount) for a in gift.allocations.all()) == [
        ("GEN", Decimal("200.00")),
        ("PRP", Decimal("100.00")),
    ]
    assert [c.donor.display_name for c in gift.soft_credits.all()] == ["Charles Babbage"]
    assert AuditEvent.objects.filter(action="gift.create", object_id=str(gift.pk)).exists()
    page = client.get(response["Location"]).content.decode()
    assert "In memory of Lord Byron" in page
    assert "Purpose-restricted gifts" in page
    assert "For the &lt;b&gt;library&lt;/b&gt;" in page


def test_a_soft_credit_names_the_donor_picked_from_the_suggestions(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    # Two donors of the same name: the one picked from the suggestions is the one credited.
    donor_made("William", "King")
    william = donor_made("William", "King")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    form = client.get(NEW).content.decode()
    assert 'name="credit-0-donor_query"' in form
    assert 'data-donor-id-field="id_credit-0-donor_id"' in form
    assert 'data-next="id_credit-0-amount"' in form

    suggestions = client.get("/gifts/donors/", {"credit-0-donor_query": "Willam Kng"})

    assert f'id="credit-0-donor-option-{william.pk}"' in suggestions.content.decode()
    response = client.post(
        NEW,
        _gift_form(
            ada,
            **{
                "credit-0-donor_query": "William King",
                "credit-0-donor_id": str(william.pk),
                "credit-0-amount": "300.00",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    gift = Gift.objects.get()
    assert [(c.donor_id, c.amount) for c in gift.soft_credits.all()] == [
        (william.pk, Decimal("300.00"))
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"credit-0-donor_query": "William King"}, "2 donors match “William King”"),
        (
            {"credit-0-donor_query": "Ada Lovelace", "credit-0-donor_id": "ADA"},
            "Give the amount credited to this donor.",
        ),
        ({"credit-1-amount": "20.00"}, "Name the donor credited with this amount."),
        (
            {
                "credit-0-donor_query": "Ada Lovelace",
                "credit-0-donor_id": "ADA",
                "credit-0-amount": "50.00",
            },
            "gets the hard credit, not a soft credit.",
        ),
    ],
)
def test_a_soft_credit_that_cannot_be_made_is_given_back_and_nothing_is_saved(
    in_alpha: Tenant, fields: dict[str, str], message: str
) -> None:
    ada = donor_made("Ada", "Lovelace")
    donor_made("William", "King")
    donor_made("William", "King")
    fields = {key: str(ada.pk) if value == "ADA" else value for key, value in fields.items()}
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = client.post(NEW, _gift_form(ada, **fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Gift.objects.exists()


def test_a_split_that_does_not_add_up_is_given_back_and_nothing_is_saved(
    in_alpha: Tenant,
) -> None:
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        NEW,
        _gift_form(
            ada,
            **{
                "fund-0-fund": "GEN",
                "fund-0-amount": "200.00",
                "fund-1-fund": "PRP",
                "fund-1-amount": "50.00",
            },
        ),
    )
    assert response.status_code == 400
    assert "The funds add up to $250.00; the gift is $300.00." in response.content.decode()
    assert not Gift.objects.exists()


def test_a_tribute_without_a_name_is_refused_by_the_service_next_to_the_field(
    in_alpha: Tenant,
) -> None:
    ada = donor_made("Ada", "Lovelace")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(NEW, _gift_form(ada, tribute_type="honor"))
    assert response.status_code == 400
    assert b"One thing needs fixing" in response.content
    assert not Gift.objects.exists()


def test_a_fundraiser_edits_a_draft_and_its_split(in_alpha: Tenant) -> None:
    gift = GiftFactory.create(amount="300.00")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    page = client.get(f"{LIST}{gift.pk}/edit/")
    assert page.status_code == 200
    assert b'value="300.00"' in page.content

    response = client.post(
        f"{LIST}{gift.pk}/edit/",
        _gift_form(
            gift.donor,
            **{
                "amount": "400.00",
                "fund-0-fund": "GEN",
                "fund-0-amount": "250.00",
                "fund-1-fund": "PRP",
                "fund-1-amount": "150.00",
            },
        ),
    )

    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.amount == Decimal("400.00")
    assert sorted((a.fund.code, a.amount) for a in gift.allocations.all()) == [
        ("GEN", Decimal("250.00")),
        ("PRP", Decimal("150.00")),
    ]
    assert AuditEvent.objects.filter(action="gift.update", object_id=str(gift.pk)).exists()


def test_a_posted_gift_is_not_edited_and_a_viewer_may_not_edit(in_alpha: Tenant) -> None:
    posted = GiftFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    response = client.post(f"{LIST}{posted.pk}/edit/", _gift_form(posted.donor, amount="5.00"))
    assert response.status_code == 302
    posted.refresh_from_db()
    assert posted.amount == Decimal("100.00")
    viewer = in_alpha.client(in_alpha.user(Role.VIEWER))
    assert viewer.get(f"{LIST}{GiftFactory.create().pk}/edit/").status_code == 403
