"""The donations API: answers, roles, other tenants, bad input, query counts, and the ledger
after each step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import JournalEntry
from tenant_apps.donations.models import Campaign, Deposit, Gift
from tenant_apps.donations.services.allocations import SoftCreditSpec
from tenant_apps.donations.services.campaigns import campaign_create
from tenant_apps.donations.services.deposits import deposit_add_gift, deposit_create
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donations.tests.readers import ledger
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donations"
READERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
# The volunteer coordinator reads donors but not their giving (tests/test_privacy.py).
WRITERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER]
NOT_WRITERS = [Role.VIEWER]  # the volunteer coordinator reads no giving at all
POSTERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER]
NOT_POSTERS = [Role.FUNDRAISER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR]


@pytest.fixture
def spouse(alpha: Tenant) -> Donor:
    with schema_context("alpha"):
        return donor_made("William", "King")


@pytest.fixture
def spring(alpha: Tenant) -> Campaign:
    with schema_context("alpha"):
        return campaign_create(
            code="SPRING", name="Spring appeal", goal="5000.00", acting_user=None
        )


# --- Campaigns ---------------------------------------------------------------------------------


def test_a_campaign_is_created_read_and_changed_by_code(fundraiser: APIClient) -> None:
    response = fundraiser.post(
        f"{API}/campaigns/",
        {"code": "GALA26", "name": "Gala", "goal": "10000", "start": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "GALA26",
        "name": "Gala",
        "goal": "10000.00",
        "start": "2026-01-01",
        "end": None,
        "is_active": True,
    }

    changed = fundraiser.patch(f"{API}/campaigns/GALA26/", {"is_active": False}, format="json")

    assert changed.status_code == 200
    assert changed.json()["is_active"] is False
    assert fundraiser.get(f"{API}/campaigns/GALA26/").json()["name"] == "Gala"
    assert [row["code"] for row in fundraiser.get(f"{API}/campaigns/").json()["results"]] == [
        "GALA26"
    ]


def test_a_bad_campaign_is_a_400(in_alpha: Tenant, fundraiser: APIClient, spring: Campaign) -> None:
    error = api_error(fundraiser.post(f"{API}/campaigns/", {"code": "SPRING", "name": "x"}), 400)
    assert "code" in error["fields"]
    error = api_error(
        fundraiser.post(
            f"{API}/campaigns/",
            {"code": "X", "name": "x", "start": "2026-05-01", "end": "2026-04-01"},
        ),
        400,
    )
    assert "end" in error["fields"]
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_readers_cannot_write_campaigns(alpha: Tenant, role: str, spring: Campaign) -> None:
    client = alpha.api(alpha.user(role))
    assert client.get(f"{API}/campaigns/SPRING/").status_code == 200
    assert client.post(f"{API}/campaigns/", {"code": "X", "name": "x"}).status_code == 403
    assert client.patch(f"{API}/campaigns/SPRING/", {"name": "y"}).status_code == 403


# --- Gifts -------------------------------------------------------------------------------------


def test_a_gift_is_entered_posted_and_refunded_and_the_ledger_follows(
    fundraiser: APIClient, bookkeeper: APIClient, ada: Donor, spouse: Donor, spring: Campaign
) -> None:
    response = fundraiser.post(
        f"{API}/gifts/",
        {
            "donor": ada.pk,
            "amount": "1000.00",
            "received_on": today().isoformat(),
            "method": "check",
            "check_number": "5521",
            "campaign": "SPRING",
            "allocations": [{"fund": "GEN", "amount": "600.00"}, {"fund": "PRP", "amount": "400"}],
            "soft_credits": [{"donor": spouse.pk, "amount": "1000.00"}],
            "tribute_type": "memory",
            "tribute_name": "Charles Babbage",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["amount"], body["campaign"], body["donor_name"]) == (
        "draft",
        "1000.00",
        "SPRING",
        "Ada Lovelace",
    )
    assert body["allocations"] == [
        {"fund": "GEN", "amount": "600.00"},
        {"fund": "PRP", "amount": "400.00"},
    ]
    assert body["soft_credits"] == [
        {"donor": spouse.pk, "donor_name": "William King", "amount": "1000.00"}
    ]
    assert body["journal_entry"] is None
    assert ledger() == {}
    gift_id = body["id"]

    api_error(fundraiser.post(f"{API}/gifts/{gift_id}/post/"), 403)
    posted = bookkeeper.post(f"{API}/gifts/{gift_id}/post/")

    assert posted.status_code == 200, posted.content
    assert posted.json()["state"] == "posted"
    assert posted.json()["journal_entry"] is not None
    assert ledger() == {"1050": ("1000.00", "0.00"), "4010": ("0.00", "1000.00")}

    refused = api_error(
        fundraiser.patch(f"{API}/gifts/{gift_id}/", {"amount": "900.00"}, format="json"), 409
    )
    assert "refund it and record a new gift" in refused["message"]
    assert ledger() == {"1050": ("1000.00", "0.00"), "4010": ("0.00", "1000.00")}

    refunded = bookkeeper.post(
        f"{API}/gifts/{gift_id}/refund/", {"date": today().isoformat()}, format="json"
    )

    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["state"] == "refunded"
    assert refunded.json()["refund_entry"]
    assert ledger() == {}
    api_error(bookkeeper.post(f"{API}/gifts/{gift_id}/refund/", {}, format="json"), 409)


def test_a_refund_dated_before_the_gift_is_refused_and_changes_nothing(
    in_alpha: Tenant, bookkeeper: APIClient, ada: Donor
) -> None:
    gift = GiftFactory.create(donor=ada, amount="250.00", received_on=date(2026, 1, 3), posted=True)
    books = ledger()

    error = api_error(
        bookkeeper.post(f"{API}/gifts/{gift.pk}/refund/", {"date": "2025-12-31"}, format="json"),
        400,
    )

    assert error["message"] == "A refund cannot be dated before the gift was received (2026-01-03)."
    assert error["fields"] == {"date": ["On or after 2026-01-03."]}
    assert ledger() == books
    gift.refresh_from_db()
    assert (gift.state, gift.refund_entry_id) == ("posted", None)
    assert JournalEntry.objects.count() == 1


def test_a_draft_gift_is_edited(in_alpha: Tenant, fundraiser: APIClient, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, amount="50.00")

    response = fundraiser.patch(
        f"{API}/gifts/{gift.pk}/",
        {"amount": "60.00", "method": "cash", "designation": "Library"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["amount"], body["method"], body["designation"]) == ("60.00", "cash", "Library")
    assert body["allocations"] == [{"fund": "GEN", "amount": "60.00"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"method": "barter"}, "method"),
        ({"donor": 999999}, "donor"),
        ({"campaign": "NOPE"}, "campaign"),
        ({"allocations": [{"fund": "GEN", "amount": "10.00"}]}, "allocations"),
        ({"allocations": [{"fund": "ZZZ", "amount": "100.00"}]}, "allocations"),
        ({"soft_credits": [{"donor": 999999, "amount": "1.00"}]}, "soft_credits"),
        ({"received_on": "3026-01-01"}, "received_on"),
        ({"allocations": "GEN"}, "allocations"),
        ({"tribute_type": "honor", "tribute_name": "Mary", "notify_name": "Ann"}, "notify_email"),
    ],
)
def test_bad_gift_input_is_a_400_and_writes_nothing(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor, body: dict[str, Any], field: str
) -> None:
    gift = {
        "donor": ada.pk,
        "amount": "100.00",
        "received_on": today().isoformat(),
        "method": "check",
        **body,
    }
    error = api_error(fundraiser.post(f"{API}/gifts/", gift, format="json"), 400)

    assert field in error["fields"], error
    assert not Gift.objects.exists()


def test_a_person_to_tell_without_an_email_is_refused_when_a_change_names_them(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor
) -> None:
    """A gift kept with a name alone (before this was refused) still takes other changes; a
    change that leaves the person's name without an email is refused and changes nothing."""
    gift = GiftFactory.create(
        donor=ada, tribute_type="honor", tribute_name="Mary", notify_name="Ann", notify_email=""
    )
    url = f"{API}/gifts/{gift.pk}/"

    changed = fundraiser.patch(url, {"designation": "Library"}, format="json")
    refused = api_error(fundraiser.patch(url, {"notify_name": "Ann B."}, format="json"), 400)
    told = fundraiser.patch(url, {"notify_email": "ann@example.org"}, format="json")
    untold = api_error(fundraiser.patch(url, {"notify_email": ""}, format="json"), 400)

    assert changed.status_code == 200 and told.status_code == 200
    assert "notify_email" in refused["fields"] and "notify_email" in untold["fields"]
    gift.refresh_from_db()
    assert (gift.designation, gift.notify_name, gift.notify_email) == (
        "Library",
        "Ann",
        "ann@example.org",
    )


def test_gifts_are_listed_with_filters_in_a_fixed_number_of_queries(
    in_alpha: Tenant,
    fundraiser: APIClient,
    ada: Donor,
    spouse: Donor,
    spring: Campaign,
    count_queries: Callable[[], CaptureQueriesContext],
) -> None:
    check = GiftFactory.create(donor=ada, amount="10.00", campaign=spring, posted=True)
    card = GiftFactory.create(
        donor=spouse,
        amount="20.00",
        method="card",
        soft_credits=[SoftCreditSpec(ada, "20.00")],
    )
    old = GiftFactory.create(
        donor=ada, amount="30.00", received_on=today().replace(day=1), method="cash"
    )

    def ids(query: str) -> list[int]:
        response = fundraiser.get(f"{API}/gifts/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert set(ids("")) == {check.pk, card.pk, old.pk}
    assert ids(f"donor={spouse.pk}") == [card.pk]
    assert ids("campaign=SPRING") == [check.pk]
    assert set(ids("state=draft")) == {card.pk, old.pk}
    assert ids("method=card") == [card.pk]
    assert ids(f"received_from={today().isoformat()}&method=cash") == (
        [old.pk] if old.received_on == today() else []
    )
    assert ids(f"received_to={today().replace(day=1).isoformat()}&donor={ada.pk}") == (
        [check.pk, old.pk] if today().day == 1 else [old.pk]
    )
    assert fundraiser.get(f"{API}/gifts/{check.pk}/").json()["allocations"] == [
        {"fund": "GEN", "amount": "10.00"}
    ]

    with count_queries() as few:
        fundraiser.get(f"{API}/gifts/")
    for _ in range(5):
        GiftFactory.create(
            donor=spouse,
            amount="5.00",
            splits=(("GEN", "2.00"), ("PRP", "3.00")),
            soft_credits=[SoftCreditSpec(ada, "5.00")],
            posted=True,
        )
    with count_queries() as many:
        fundraiser.get(f"{API}/gifts/")
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("listing", ["campaigns", "deposits"])
def test_campaigns_and_deposits_are_listed_in_a_fixed_number_of_queries(
    in_alpha: Tenant,
    fundraiser: APIClient,
    ada: Donor,
    count_queries: Callable[[], CaptureQueriesContext],
    listing: str,
) -> None:
    made = 0

    def grow(count: int) -> None:
        nonlocal made
        for _ in range(count):
            made += 1
            campaign = campaign_create(
                code=f"C{made}", name=f"Campaign {made}", goal="100.00", acting_user=None
            )
            deposit = deposit_create(
                deposit_on=today(), expected_count=1, expected_total="5.00", acting_user=None
            )
            gift = GiftFactory.create(donor=ada, amount="5.00", campaign=campaign, posted=True)
            deposit_add_gift(deposit=deposit, gift=gift, acting_user=None)

    def listed() -> tuple[int, int]:
        fundraiser.get(f"{API}/gifts/")  # the first request of a client caches its user
        with count_queries() as queries:
            response = fundraiser.get(f"{API}/{listing}/", {"page_size": 100})
        assert response.status_code == 200, response.content
        return len(queries), len(response.json()["results"])

    grow(2)
    few_queries, few_rows = listed()
    grow(6)
    many_queries, many_rows = listed()

    assert (few_rows, many_rows) == (2, 8)
    assert many_queries == few_queries


@pytest.mark.parametrize("role", READERS)
def test_every_role_reads_gifts(in_alpha: Tenant, role: str, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada)
    client = in_alpha.api(in_alpha.user(role))
    assert client.get(f"{API}/gifts/").status_code == 200
    assert client.get(f"{API}/gifts/{gift.pk}/").status_code == 200


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_readers_cannot_write_gifts(in_alpha: Tenant, role: str, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada)
    client = in_alpha.api(in_alpha.user(role))
    body = {"donor": ada.pk, "amount": "5", "received_on": today().isoformat(), "method": "cash"}
    api_error(client.post(f"{API}/gifts/", body, format="json"), 403)
    api_error(client.patch(f"{API}/gifts/{gift.pk}/", {"designation": "x"}, format="json"), 403)
    assert Gift.objects.count() == 1


@pytest.mark.parametrize("role", NOT_POSTERS)
def test_only_bookkeepers_and_administrators_post_and_refund(
    in_alpha: Tenant, role: str, ada: Donor
) -> None:
    draft = GiftFactory.create(donor=ada)
    posted = GiftFactory.create(donor=ada, posted=True)
    client = in_alpha.api(in_alpha.user(role))
    api_error(client.post(f"{API}/gifts/{draft.pk}/post/"), 403)
    api_error(client.post(f"{API}/gifts/{posted.pk}/refund/", {}, format="json"), 403)
    assert ledger() == {"1050": ("100.00", "0.00"), "4010": ("0.00", "100.00")}


@pytest.mark.parametrize("role", POSTERS)
def test_posters_post(in_alpha: Tenant, role: str, ada: Donor) -> None:
    draft = GiftFactory.create(donor=ada, method="ach")
    response = in_alpha.api(in_alpha.user(role)).post(f"{API}/gifts/{draft.pk}/post/")
    assert response.status_code == 200, response.content
    assert ledger() == {"1010": ("100.00", "0.00"), "4010": ("0.00", "100.00")}


# --- Deposits ----------------------------------------------------------------------------------


def test_a_deposit_is_filled_and_closed_when_it_matches(
    in_alpha: Tenant, fundraiser: APIClient, bookkeeper: APIClient, ada: Donor
) -> None:
    check = GiftFactory.create(
        donor=ada, amount="600.00", splits=(("GEN", "500.00"), ("PRP", "100.00")), posted=True
    )
    cash = GiftFactory.create(donor=ada, amount="40.00", method="cash", posted=True)
    card = GiftFactory.create(donor=ada, amount="15.00", method="card", posted=True)
    response = fundraiser.post(
        f"{API}/deposits/",
        {"deposit_on": today().isoformat(), "expected_count": 2, "expected_total": "640.00"},
        format="json",
    )
    assert response.status_code == 201, response.content
    deposit_id = response.json()["id"]
    assert response.json()["bank_account"] == "1010"
    assert response.json()["state"] == "open"

    api_error(
        fundraiser.post(f"{API}/deposits/{deposit_id}/gifts/", {"gifts": [check.pk, card.pk]}), 400
    )
    assert not Gift.objects.filter(deposit_id=deposit_id).exists()  # all or none
    added = fundraiser.post(f"{API}/deposits/{deposit_id}/gifts/", {"gifts": [check.pk]})
    assert added.status_code == 200
    assert added.json()["gifts"] == [check.pk]

    refused = api_error(bookkeeper.post(f"{API}/deposits/{deposit_id}/close/"), 400)
    assert "holds 1 gifts for 600.00" in refused["message"]
    fundraiser.post(f"{API}/deposits/{deposit_id}/gifts/", {"gifts": [cash.pk]})
    api_error(fundraiser.post(f"{API}/deposits/{deposit_id}/close/"), 403)
    closed = bookkeeper.post(f"{API}/deposits/{deposit_id}/close/")

    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert (body["state"], body["gift_count"], body["gift_total"]) == ("closed", 2, "640.00")
    assert ledger() == {
        "1010": ("640.00", "0.00"),
        "1060": ("15.00", "0.00"),
        "4010": ("0.00", "655.00"),
    }
    api_error(bookkeeper.post(f"{API}/deposits/{deposit_id}/close/"), 409)
    listed = fundraiser.get(f"{API}/deposits/").json()["results"]
    assert [row["id"] for row in listed] == [deposit_id]


def test_a_gift_is_taken_out_of_an_open_deposit(
    in_alpha: Tenant, fundraiser: APIClient, bookkeeper: APIClient, ada: Donor
) -> None:
    check = GiftFactory.create(donor=ada, amount="600.00", posted=True)
    other = GiftFactory.create(donor=ada, amount="50.00", posted=True)
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="600.00", acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=check, acting_user=None)
    deposit_add_gift(deposit=deposit, gift=other, acting_user=None)
    url = f"{API}/deposits/{deposit.pk}/gifts"

    removed = fundraiser.delete(f"{url}/{other.pk}/")

    assert removed.status_code == 200, removed.content
    assert removed.json()["gifts"] == [check.pk]
    assert "gifts" in api_error(fundraiser.delete(f"{url}/{other.pk}/"), 400)["fields"]
    assert "gifts" in api_error(fundraiser.delete(f"{url}/999999/"), 400)["fields"]
    assert bookkeeper.post(f"{API}/deposits/{deposit.pk}/close/").status_code == 200
    api_error(fundraiser.delete(f"{url}/{check.pk}/"), 409)
    assert Gift.objects.get(pk=check.pk).deposit_id == deposit.pk


def test_a_draft_gift_is_deleted_and_a_posted_one_is_not(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor
) -> None:
    draft = GiftFactory.create(
        donor=ada, amount="80.00", splits=(("GEN", "30.00"), ("PRP", "50.00"))
    )
    posted = GiftFactory.create(donor=ada, posted=True)
    api_error(in_alpha.api(in_alpha.user(Role.VIEWER)).delete(f"{API}/gifts/{draft.pk}/"), 403)

    assert fundraiser.delete(f"{API}/gifts/{draft.pk}/").status_code == 204

    assert (
        "Refund it instead"
        in api_error(fundraiser.delete(f"{API}/gifts/{posted.pk}/"), 409)["message"]
    )
    api_error(fundraiser.delete(f"{API}/gifts/{draft.pk}/"), 404)
    from tenant_apps.core.models import AuditEvent

    assert list(Gift.objects.values_list("pk", flat=True)) == [posted.pk]
    assert AuditEvent.objects.filter(action="gift.delete", object_id=str(draft.pk)).exists()


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_readers_cannot_make_deposits(in_alpha: Tenant, role: str) -> None:
    client = in_alpha.api(in_alpha.user(role))
    body = {"deposit_on": today().isoformat(), "expected_count": 1, "expected_total": "1.00"}
    assert client.get(f"{API}/deposits/").status_code == 200
    api_error(client.post(f"{API}/deposits/", body, format="json"), 403)
    assert not Deposit.objects.exists()


def test_a_bad_deposit_is_a_400(in_alpha: Tenant, fundraiser: APIClient) -> None:
    body = {"deposit_on": today().isoformat(), "expected_count": 1, "expected_total": "1.00"}
    error = api_error(fundraiser.post(f"{API}/deposits/", {**body, "bank_account": "4010"}), 400)
    assert "bank_account" in error["fields"]
    error = api_error(fundraiser.post(f"{API}/deposits/", {**body, "expected_count": 0}), 400)
    assert "expected_count" in error["fields"]
    assert not Deposit.objects.exists()
    assert not JournalEntry.objects.exists()


# --- Other tenants -----------------------------------------------------------------------------


def test_people_of_another_tenant_get_nothing(
    in_alpha: Tenant, assert_other_tenant_denied: Callable[..., None], ada: Donor, spring: Campaign
) -> None:
    gift = GiftFactory.create(donor=ada, posted=True)
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="100.00", acting_user=None
    )
    assert_other_tenant_denied(f"{API}/campaigns/")
    assert_other_tenant_denied(f"{API}/campaigns/SPRING/")
    assert_other_tenant_denied(f"{API}/campaigns/", method="post", data={"code": "B", "name": "b"})
    assert_other_tenant_denied(f"{API}/campaigns/SPRING/", method="patch", data={"name": "b"})
    assert_other_tenant_denied(f"{API}/gifts/")
    assert_other_tenant_denied(f"{API}/gifts/{gift.pk}/")
    assert_other_tenant_denied(f"{API}/gifts/", method="post", data={"donor": ada.pk})
    assert_other_tenant_denied(f"{API}/gifts/{gift.pk}/", method="patch", data={"designation": "b"})
    assert_other_tenant_denied(f"{API}/gifts/{gift.pk}/post/", method="post")
    assert_other_tenant_denied(f"{API}/gifts/{gift.pk}/refund/", method="post", data={})
    assert_other_tenant_denied(f"{API}/deposits/")
    assert_other_tenant_denied(f"{API}/deposits/{deposit.pk}/")
    assert_other_tenant_denied(f"{API}/deposits/", method="post", data={})
    assert_other_tenant_denied(
        f"{API}/deposits/{deposit.pk}/gifts/", method="post", data={"gifts": [gift.pk]}
    )
    assert_other_tenant_denied(f"{API}/deposits/{deposit.pk}/close/", method="post")
    assert_other_tenant_denied(f"{API}/deposits/{deposit.pk}/gifts/{gift.pk}/", method="delete")
    assert_other_tenant_denied(f"{API}/gifts/{gift.pk}/", method="delete")
    gift.refresh_from_db()
    assert gift.state == "posted"
    assert gift.deposit_id is None
    assert Campaign.objects.get().name == "Spring appeal"


def test_beta_sees_none_of_alphas_gifts(beta: Tenant, ada: Donor) -> None:
    with schema_context("alpha"):
        gift = GiftFactory.create(donor=ada, posted=True)
    client = beta.api(beta.owner)
    assert client.get(f"{API}/gifts/").json()["results"] == []
    assert client.get(f"{API}/gifts/{gift.pk}/").status_code == 404
    assert client.get(f"{API}/campaigns/").json()["results"] == []
