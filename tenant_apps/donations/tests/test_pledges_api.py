"""The pledges API: a pledge's life through the API with the ledger after each step, roles,
bad input, other tenants and the list's query count."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import JournalEntry
from tenant_apps.donations.models import Gift, Pledge
from tenant_apps.donations.services.pledges import pledge_create
from tenant_apps.donations.tests.factories import GiftFactory, PledgeFactory, later, today
from tenant_apps.donations.tests.readers import ledger
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.helpers import api_error, list_queries_fixed
from tests.plugin import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deferred_constraints_checked")]

API = "/api/v1/donations"
NOT_WRITERS = [Role.VIEWER]  # the volunteer coordinator reads no giving at all
NOT_POSTERS = [Role.FUNDRAISER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR]


def test_a_pledge_is_recorded_posted_paid_and_written_off_and_the_ledger_follows(
    fundraiser: APIClient, bookkeeper: APIClient, ada: Donor
) -> None:
    day = today().isoformat()
    response = fundraiser.post(
        f"{API}/pledges/",
        {
            "donor": ada.pk,
            "amount": "1000.00",
            "pledged_on": day,
            "fund": "PRP",
            "memo": "New roof",
            "schedule": {"count": 3, "frequency": "monthly", "first_due_on": day},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    pledge_id = body["id"]
    assert (body["state"], body["fund"], body["paid_total"], body["balance"]) == (
        "draft",
        "PRP",
        "0.00",
        "1000.00",
    )
    assert [(row["amount"], row["status"]) for row in body["installments"]] == [
        ("333.34", "unpaid"),
        ("333.33", "unpaid"),
        ("333.33", "unpaid"),
    ]
    assert body["journal_entry"] is None
    assert ledger("PRP") == {}

    api_error(fundraiser.post(f"{API}/pledges/{pledge_id}/post/"), 403)
    posted = bookkeeper.post(f"{API}/pledges/{pledge_id}/post/")

    assert posted.status_code == 200, posted.content
    assert posted.json()["state"] == "open"
    assert posted.json()["journal_entry"]
    assert ledger("PRP") == {"1210": ("1000.00", "0.00"), "4010": ("0.00", "1000.00")}

    too_much = api_error(
        fundraiser.post(
            f"{API}/gifts/",
            {"donor": ada.pk, "amount": "1000.01", "received_on": day, "method": "check"}
            | {"pledge": pledge_id},
            format="json",
        ),
        400,
    )
    assert "remaining balance of 1000.00" in too_much["message"]
    gift = fundraiser.post(
        f"{API}/gifts/",
        {"donor": ada.pk, "amount": "400.00", "received_on": day, "method": "check"}
        | {"pledge": pledge_id},
        format="json",
    )
    assert gift.status_code == 201, gift.content
    assert gift.json()["pledge"] == pledge_id
    assert gift.json()["allocations"] == [{"fund": "PRP", "amount": "400.00"}]
    gift_id = gift.json()["id"]
    assert bookkeeper.post(f"{API}/gifts/{gift_id}/post/").status_code == 200

    assert ledger("PRP") == {
        "1050": ("400.00", "0.00"),
        "1210": ("600.00", "0.00"),
        "4010": ("0.00", "1000.00"),
    }
    body = fundraiser.get(f"{API}/pledges/{pledge_id}/").json()
    assert (body["paid_total"], body["balance"]) == ("400.00", "600.00")
    assert [(row["paid"], row["status"]) for row in body["installments"]] == [
        ("333.34", "paid"),
        ("66.66", "partly_paid"),
        ("0.00", "unpaid"),
    ]
    assert body["payments"] == [
        {"id": gift_id, "received_on": day, "amount": "400.00", "state": "posted"}
    ]

    api_error(fundraiser.post(f"{API}/pledges/{pledge_id}/write-off/", {}, format="json"), 403)
    written_off = bookkeeper.post(
        f"{API}/pledges/{pledge_id}/write-off/", {"date": day, "memo": "Donor moved"}, format="json"
    )

    assert written_off.status_code == 200, written_off.content
    body = written_off.json()
    assert (body["state"], body["written_off_amount"], body["balance"]) == (
        "written_off",
        "600.00",
        "0.00",
    )
    assert body["write_off_entry"] is not None
    assert ledger("PRP") == {"1050": ("400.00", "0.00"), "4010": ("0.00", "400.00")}
    api_error(bookkeeper.post(f"{API}/pledges/{pledge_id}/write-off/", {}, format="json"), 409)


def test_a_refunded_payment_reopens_a_fulfilled_pledge(
    in_alpha: Tenant, fundraiser: APIClient, bookkeeper: APIClient, ada: Donor
) -> None:
    pledge = PledgeFactory.create(donor=ada, amount="300.00", posted=True)
    payment = GiftFactory.create(
        donor=ada, amount="300.00", method="ach", pledge=pledge, posted=True
    )
    assert fundraiser.get(f"{API}/pledges/{pledge.pk}/").json()["state"] == "fulfilled"
    assert ledger("GEN") == {"1010": ("300.00", "0.00"), "4010": ("0.00", "300.00")}

    refunded = bookkeeper.post(
        f"{API}/gifts/{payment.pk}/refund/", {"date": today().isoformat()}, format="json"
    )

    assert refunded.status_code == 200, refunded.content
    body = fundraiser.get(f"{API}/pledges/{pledge.pk}/").json()
    assert (body["state"], body["paid_total"], body["balance"]) == ("open", "0.00", "300.00")
    assert ledger("GEN") == {"1210": ("300.00", "0.00"), "4010": ("0.00", "300.00")}


def test_a_draft_is_edited_and_deleted_and_an_open_pledge_keeps_its_amount(
    in_alpha: Tenant, fundraiser: APIClient, bookkeeper: APIClient, ada: Donor
) -> None:
    draft = pledge_create(donor=ada, amount="100.00", pledged_on=today(), acting_user=None)
    posted = PledgeFactory.create(donor=ada, amount="500.00", posted=True)

    due_on = later(90).isoformat()
    changed = fundraiser.patch(
        f"{API}/pledges/{draft.pk}/",
        {"amount": "120.00", "installments": [{"due_on": due_on, "amount": "120.00"}]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["installments"] == [
        {
            "due_on": due_on,
            "amount": "120.00",
            "paid": "0.00",
            "written_off": "0.00",
            "status": "unpaid",
        }
    ]
    refused = api_error(
        fundraiser.patch(f"{API}/pledges/{posted.pk}/", {"amount": "400.00"}, format="json"), 409
    )
    assert "in the books" in refused["message"]
    api_error(fundraiser.delete(f"{API}/pledges/{posted.pk}/"), 409)
    assert fundraiser.delete(f"{API}/pledges/{draft.pk}/").status_code == 204
    assert list(Pledge.objects.values_list("pk", flat=True)) == [posted.pk]


def test_cancelling_a_posted_pledge_is_for_bookkeepers(
    in_alpha: Tenant, fundraiser: APIClient, bookkeeper: APIClient, ada: Donor
) -> None:
    draft = PledgeFactory.create(donor=ada, amount="100.00")
    posted = PledgeFactory.create(donor=ada, amount="200.00", posted=True)

    cancelled = fundraiser.post(f"{API}/pledges/{draft.pk}/cancel/", {}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    api_error(fundraiser.post(f"{API}/pledges/{posted.pk}/cancel/", {}, format="json"), 403)
    assert ledger("GEN") == {"1210": ("200.00", "0.00"), "4010": ("0.00", "200.00")}

    reversed_ = bookkeeper.post(f"{API}/pledges/{posted.pk}/cancel/", {}, format="json")

    assert reversed_.status_code == 200, reversed_.content
    body = reversed_.json()
    assert (body["state"], body["balance"]) == ("cancelled", "0.00")
    assert body["reversal_entry"] is not None
    assert ledger("GEN") == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"donor": 999999}, "donor"),
        ({"fund": "NOPE"}, "fund"),
        ({"campaign": "NOPE"}, "campaign"),
        ({"pledged_on": "3026-01-01"}, "pledged_on"),
        ({"installments": [{"due_on": later(30).isoformat(), "amount": "10.00"}]}, "installments"),
        ({"installments": "monthly"}, "installments"),
        (
            {"schedule": {"count": 0, "frequency": "monthly", "first_due_on": "2027-01-01"}},
            "schedule",
        ),
        (
            {"schedule": {"count": 2, "frequency": "weekly", "first_due_on": "2027-01-01"}},
            "schedule",
        ),
        (
            {
                "schedule": {"count": 2, "frequency": "monthly", "first_due_on": "2027-01-01"},
                "installments": [{"due_on": "2027-01-01", "amount": "100.00"}],
            },
            "schedule",
        ),
    ],
)
def test_bad_pledge_input_is_a_400_and_writes_nothing(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor, body: dict[str, Any], field: str
) -> None:
    pledge = {"donor": ada.pk, "amount": "100.00", "pledged_on": today().isoformat(), **body}

    error = api_error(fundraiser.post(f"{API}/pledges/", pledge, format="json"), 400)

    assert field in error["fields"], error
    assert not Pledge.objects.exists()


def test_a_gift_naming_an_unknown_pledge_is_a_400(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor
) -> None:
    body = {"donor": ada.pk, "amount": "5.00", "received_on": today().isoformat()}
    error = api_error(
        fundraiser.post(
            f"{API}/gifts/", body | {"method": "cash", "pledge": 999999}, format="json"
        ),
        400,
    )
    assert error["fields"]["pledge"] == ["There is no pledge 999999."]
    assert not Gift.objects.exists()


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_readers_read_pledges_but_cannot_write_them(
    in_alpha: Tenant, role: str, ada: Donor
) -> None:
    draft = PledgeFactory.create(donor=ada, amount="100.00")
    client = in_alpha.api(in_alpha.user(role))
    assert client.get(f"{API}/pledges/").status_code == 200
    assert client.get(f"{API}/pledges/{draft.pk}/").status_code == 200
    body = {"donor": ada.pk, "amount": "5", "pledged_on": today().isoformat()}
    api_error(client.post(f"{API}/pledges/", body, format="json"), 403)
    api_error(client.patch(f"{API}/pledges/{draft.pk}/", {"memo": "x"}, format="json"), 403)
    api_error(client.delete(f"{API}/pledges/{draft.pk}/"), 403)
    api_error(client.post(f"{API}/pledges/{draft.pk}/cancel/", {}, format="json"), 403)
    assert Pledge.objects.get().state == "draft"


@pytest.mark.parametrize("role", NOT_POSTERS)
def test_only_bookkeepers_and_administrators_post_and_write_off(
    in_alpha: Tenant, role: str, ada: Donor
) -> None:
    draft = PledgeFactory.create(donor=ada, amount="100.00")
    posted = PledgeFactory.create(donor=ada, amount="200.00", posted=True)
    client = in_alpha.api(in_alpha.user(role))
    api_error(client.post(f"{API}/pledges/{draft.pk}/post/"), 403)
    api_error(client.post(f"{API}/pledges/{posted.pk}/write-off/", {}, format="json"), 403)
    assert ledger("GEN") == {"1210": ("200.00", "0.00"), "4010": ("0.00", "200.00")}


def test_pledges_are_listed_with_filters_in_a_fixed_number_of_queries(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor
) -> None:
    def grow(count: int) -> None:
        for _ in range(count):
            pledge = PledgeFactory.create(
                donor=ada, amount="90.00", fund="PRP", posted=True, count=3
            )
            GiftFactory.create(donor=ada, amount="40.00", pledge=pledge, posted=True)

    rows = list_queries_fixed(fundraiser, f"{API}/pledges/", grow)
    assert {row["balance"] for row in rows} == {"50.00"}

    other = donor_made("Charles", "Babbage")
    draft = PledgeFactory.create(donor=other, amount="10.00")
    rows = fundraiser.get(f"{API}/pledges/?state=draft").json()["results"]
    assert [row["id"] for row in rows] == [draft.pk]
    assert len(fundraiser.get(f"{API}/pledges/?donor={ada.pk}&fund=PRP").json()["results"]) == 30
    assert fundraiser.get(f"{API}/pledges/?fund=GEN").json()["results"][0]["id"] == draft.pk


def test_people_of_another_tenant_get_nothing(
    assert_other_tenant_denied: Callable[..., None], beta: Tenant, ada: Donor
) -> None:
    with schema_context("alpha"):
        draft = PledgeFactory.create(donor=ada, amount="100.00")
        posted = PledgeFactory.create(donor=ada, amount="200.00", posted=True)
    assert_other_tenant_denied(f"{API}/pledges/")
    assert_other_tenant_denied(f"{API}/pledges/{posted.pk}/")
    assert_other_tenant_denied(f"{API}/pledges/", method="post", data={"donor": ada.pk})
    assert_other_tenant_denied(f"{API}/pledges/{draft.pk}/", method="patch", data={"memo": "b"})
    assert_other_tenant_denied(f"{API}/pledges/{draft.pk}/", method="delete")
    assert_other_tenant_denied(f"{API}/pledges/{draft.pk}/post/", method="post")
    assert_other_tenant_denied(f"{API}/pledges/{posted.pk}/write-off/", method="post", data={})
    assert_other_tenant_denied(f"{API}/pledges/{draft.pk}/cancel/", method="post", data={})
    client = beta.api(beta.owner)
    assert client.get(f"{API}/pledges/").json()["results"] == []
    assert client.get(f"{API}/pledges/{posted.pk}/").status_code == 404
    with schema_context("alpha"):
        assert sorted(Pledge.objects.values_list("state", flat=True)) == ["draft", "open"]
        assert Pledge.objects.get(pk=draft.pk).memo == ""
        assert JournalEntry.objects.count() == 1
