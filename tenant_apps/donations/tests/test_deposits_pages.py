"""The deposits desk's pages: the list with its CSV, opening a deposit, adding and removing
gifts (with and without htmx), the tally against what was counted, closing and the slip; roles,
escaping and query counts."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Deposit, DepositState, Gift
from tenant_apps.donations.services.deposits import deposit_add_gift, deposit_create
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

INDEX = "/deposits/"


def opened(count: int = 2, total: str = "150.00") -> Deposit:
    return deposit_create(
        deposit_on=today(), expected_count=count, expected_total=total, acting_user=None
    )


def check(donor: Donor, amount: str, number: str = "1001", **fields: object) -> Gift:
    return GiftFactory.create(
        donor=donor, amount=amount, method="check", check_number=number, posted=True, **fields
    )


# --- Roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
)
def test_readers_of_donors_see_deposits(in_alpha: Tenant, role: str) -> None:
    deposit = opened()
    client = in_alpha.client(in_alpha.user(role))
    assert client.get(INDEX).status_code == 200
    assert client.get(f"{INDEX}{deposit.pk}/").status_code == 200
    assert client.get(f"{INDEX}{deposit.pk}/slip.pdf").status_code == 200


def test_other_roles_get_the_refusal(in_alpha: Tenant) -> None:
    deposit = opened()
    client = in_alpha.client(in_alpha.user(Role.VOLUNTEER))
    for path in (INDEX, f"{INDEX}{deposit.pk}/", f"{INDEX}{deposit.pk}/slip.pdf"):
        response = client.get(path)
        assert response.status_code == 403
        assert b"This page is for the" in response.content


def test_anonymous_visitors_are_sent_to_log_in(alpha: Tenant) -> None:
    response = alpha.client().get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_viewer_can_neither_open_add_nor_close(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened(1, "50.00")
    gift = check(ada, "50.00")
    client = in_alpha.client(in_alpha.user(Role.VIEWER))
    page = client.get(f"{INDEX}{deposit.pk}/").content
    assert b"Add gifts" not in page and b"Close the deposit" not in page
    assert b"Open a deposit" not in client.get(INDEX).content
    assert client.get(f"{INDEX}new/").status_code == 403
    assert client.post(f"{INDEX}{deposit.pk}/add/", {"gifts": [gift.pk]}).status_code == 403
    assert client.post(f"{INDEX}{deposit.pk}/close/").status_code == 403
    assert not Gift.objects.filter(deposit=deposit).exists()


def test_a_fundraiser_adds_gifts_but_does_not_close(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened(1, "50.00")
    deposit_add_gift(deposit=deposit, gift=check(ada, "50.00"), acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert b"Close the deposit" not in client.get(f"{INDEX}{deposit.pk}/").content
    assert client.post(f"{INDEX}{deposit.pk}/close/").status_code == 403
    assert Deposit.objects.get(pk=deposit.pk).state == DepositState.OPEN


# --- The list ----------------------------------------------------------------------------------


def test_the_list_shows_expected_against_entered_and_filters_by_state(
    in_alpha: Tenant, ada: Donor
) -> None:
    deposit = opened(2, "150.00")
    deposit_add_gift(deposit=deposit, gift=check(ada, "100.00"), acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    page = client.get(INDEX).content.decode()
    assert "$150.00" in page and "$100.00" in page
    assert "Open" in page
    assert "No deposit is in that state." in client.get(INDEX, {"state": "closed"}).content.decode()

    response = client.get(INDEX, {"format": "csv"})
    lines = response.getvalue().decode().strip().splitlines()
    assert lines[0] == (
        "Deposit,Date,State,Expected gifts,Entered gifts,Expected total,Entered total"
    )
    assert lines[1].endswith(",Open,2,1,$150.00,$100.00")


def test_the_list_runs_as_many_queries_for_many_deposits_as_for_few(
    in_alpha: Tenant, ada: Donor, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    opened()
    client.get(INDEX)
    with count_queries() as few:
        client.get(INDEX)
    for _ in range(5):
        deposit_add_gift(deposit=opened(), gift=check(ada, "10.00"), acting_user=None)
    with count_queries() as many:
        client.get(INDEX)
    assert len(many) == len(few)


# --- Opening one -------------------------------------------------------------------------------


def test_a_fundraiser_opens_a_deposit(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    assert client.get(f"{INDEX}new/").status_code == 200
    response = client.post(
        f"{INDEX}new/",
        {"deposit_on": today().isoformat(), "expected_count": "3", "expected_total": "275.50"},
        follow=True,
    )
    deposit = Deposit.objects.get()
    assert response.redirect_chain[-1][0] == f"{INDEX}{deposit.pk}/"
    assert f"Deposit {deposit.pk} is open".encode() in response.content
    assert deposit.expected_count == 3
    assert deposit.expected_total == Decimal("275.50")
    assert AuditEvent.objects.filter(action="deposit.create").count() == 1


def test_a_deposit_without_a_count_is_refused_next_to_the_field(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        f"{INDEX}new/",
        {"deposit_on": today().isoformat(), "expected_count": "0", "expected_total": "10"},
    )
    assert response.status_code == 400
    assert b'id="id_expected_count_error"' in response.content
    assert b"One thing needs fixing" in response.content
    assert not Deposit.objects.exists()


# --- One deposit -------------------------------------------------------------------------------


def test_the_tally_says_how_far_short_the_deposit_is(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened(3, "250.00")
    deposit_add_gift(deposit=deposit, gift=check(ada, "100.00"), acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    assert b"2 short, $150.00 short" in client.get(f"{INDEX}{deposit.pk}/").content


def test_gifts_are_added_and_removed_without_htmx(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened(2, "150.00")
    first, second = check(ada, "100.00", "1001"), check(ada, "50.00", "1002")
    card = GiftFactory.create(donor=ada, amount="40.00", method="card", posted=True)
    draft = GiftFactory.create(donor=ada, amount="30.00", method="check")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    page = client.get(f"{INDEX}{deposit.pk}/").content.decode()
    assert f'id="add-{first.pk}"' in page and f'id="add-{second.pk}"' in page
    assert f'id="add-{card.pk}"' not in page and f'id="add-{draft.pk}"' not in page
    found = client.get(f"{INDEX}{deposit.pk}/", {"q": "1002"}).content.decode()
    assert f'id="add-{second.pk}"' in found and f'id="add-{first.pk}"' not in found

    response = client.post(
        f"{INDEX}{deposit.pk}/add/", {"gifts": [first.pk, second.pk]}, follow=True
    )
    assert b"2 gifts added to deposit" in response.content
    assert b"The gifts match the count and total." in response.content
    assert set(Gift.objects.filter(deposit=deposit)) == {first, second}
    assert AuditEvent.objects.filter(action="deposit.add_gift").count() == 2

    response = client.post(f"{INDEX}{deposit.pk}/remove/{second.pk}/", follow=True)
    assert b"gift of $50.00 was taken out" in response.content
    assert b"1 short, $50.00 short" in response.content
    assert AuditEvent.objects.filter(action="deposit.remove_gift").count() == 1


def test_htmx_gets_the_working_part_back(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened(1, "100.00")
    gift = check(ada, "100.00")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        f"{INDEX}{deposit.pk}/add/", {"gifts": [gift.pk]}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="deposit-work"')
    assert "1 gift added to deposit" in content
    assert "The gifts match the count and total." in content


def test_adding_nothing_is_refused_and_changes_nothing(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened()
    check(ada, "100.00")
    response = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).post(f"{INDEX}{deposit.pk}/add/")
    assert response.status_code == 400
    assert b"Choose at least one gift to add." in response.content
    assert not Gift.objects.filter(deposit=deposit).exists()


def test_a_gift_another_deposit_took_meanwhile_is_refused_with_why(
    in_alpha: Tenant, ada: Donor
) -> None:
    deposit, elsewhere = opened(), opened()
    gift = check(ada, "100.00")
    deposit_add_gift(deposit=elsewhere, gift=gift, acting_user=None)

    response = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).post(
        f"{INDEX}{deposit.pk}/add/", {"gifts": [gift.pk]}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="deposit-work"')
    assert "A chosen gift can no longer be added: it is in another deposit now" in content
    assert "not one of the available choices" not in content
    assert Gift.objects.get(pk=gift.pk).deposit_id == elsewhere.pk


def test_a_deposit_that_does_not_add_up_is_not_closed(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened(2, "150.00")
    deposit_add_gift(deposit=deposit, gift=check(ada, "100.00"), acting_user=None)
    response = in_alpha.client(in_alpha.user(Role.BOOKKEEPER)).post(f"{INDEX}{deposit.pk}/close/")
    assert response.status_code == 400
    assert b"Find the difference before closing it." in response.content
    assert Deposit.objects.get(pk=deposit.pk).state == DepositState.OPEN


def test_a_bookkeeper_closes_a_deposit_and_prints_its_slip(in_alpha: Tenant, ada: Donor) -> None:
    deposit = opened(2, "150.00")
    for gift in (check(ada, "100.00", "1001"), check(ada, "50.00", "1002")):
        deposit_add_gift(deposit=deposit, gift=gift, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    response = client.post(f"{INDEX}{deposit.pk}/close/", follow=True)

    assert b"is closed and its gifts are in the bank" in response.content
    assert b"Close the deposit" not in response.content
    assert b"Add gifts" not in response.content
    assert Deposit.objects.get(pk=deposit.pk).state == DepositState.CLOSED
    assert AuditEvent.objects.filter(action="deposit.close").count() == 1

    slip = client.get(f"{INDEX}{deposit.pk}/slip.pdf")
    assert slip["Content-Type"] == "application/pdf"
    assert slip.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(slip.content)).pages)
    for expected in ("Ada Lovelace", "1001", "1002", "$100.00", "$50.00", "$150.00"):
        assert expected in text


def test_the_page_runs_as_many_queries_for_many_gifts_as_for_few(
    in_alpha: Tenant, ada: Donor, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    deposit = opened(9, "900.00")
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    deposit_add_gift(deposit=deposit, gift=check(ada, "100.00"), acting_user=None)
    check(ada, "100.00")
    client.get(f"{INDEX}{deposit.pk}/")
    with count_queries() as few:
        client.get(f"{INDEX}{deposit.pk}/")
    for _ in range(4):
        deposit_add_gift(deposit=deposit, gift=check(ada, "100.00"), acting_user=None)
        check(ada, "100.00")
    with count_queries() as many:
        client.get(f"{INDEX}{deposit.pk}/")
    assert len(many) == len(few)


def test_names_are_escaped(in_alpha: Tenant) -> None:
    donor = donor_made("<script>alert(1)</script>", "Smith")
    deposit = opened(2, "150.00")
    deposit_add_gift(deposit=deposit, gift=check(donor, "100.00"), acting_user=None)
    check(donor, "50.00")
    content = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(f"{INDEX}{deposit.pk}/").content
    assert b"<script>alert(1)" not in content
    assert b"&lt;script&gt;alert(1)" in content
