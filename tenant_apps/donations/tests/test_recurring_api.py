"""The recurring-gifts API: create, change, pause, resume, cancel and delete; roles, bad
input, other tenants and the list's query count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.donations.models import RecurringGift
from tenant_apps.donations.services.recurring import recurring_gift_pause, recurring_gifts_run
from tenant_apps.donations.tests.factories import RecurringGiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.helpers import api_error, list_queries_fixed
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donations/recurring-gifts"
NOT_WRITERS = [Role.VIEWER]  # the volunteer coordinator reads no giving at all


def test_a_recurring_gift_is_created_changed_paused_resumed_and_cancelled(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor
) -> None:
    first, end, resume = (today() + timedelta(days=days) for days in (10, 400, 45))
    response = fundraiser.post(
        f"{API}/",
        {
            "donor": ada.pk,
            "amount": "25.00",
            "frequency": "monthly",
            "next_on": first.isoformat(),
            "method": "ach",
            "fund": "PRP",
            "payment_reference": "mandate-77",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    recurring_id = body["id"]
    assert {key: body[key] for key in ("amount", "frequency", "next_on", "fund", "state")} == {
        "amount": "25.00",
        "frequency": "monthly",
        "next_on": first.isoformat(),
        "fund": "PRP",
        "state": "active",
    }
    assert (body["donor_name"], body["end_on"], body["campaign"]) == ("Ada Lovelace", None, None)

    changed = fundraiser.patch(
        f"{API}/{recurring_id}/", {"amount": "30.00", "end_on": end.isoformat()}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["amount"], changed.json()["end_on"]) == ("30.00", end.isoformat())

    paused = fundraiser.post(f"{API}/{recurring_id}/pause/")
    assert paused.status_code == 200
    assert paused.json()["state"] == "paused"
    api_error(fundraiser.post(f"{API}/{recurring_id}/pause/"), 409)
    resumed = fundraiser.post(
        f"{API}/{recurring_id}/resume/", {"next_on": resume.isoformat()}, format="json"
    )
    assert resumed.status_code == 200, resumed.content
    assert (resumed.json()["state"], resumed.json()["next_on"]) == ("active", resume.isoformat())
    cancelled = fundraiser.post(f"{API}/{recurring_id}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    api_error(fundraiser.post(f"{API}/{recurring_id}/resume/", {}, format="json"), 409)

    assert fundraiser.get(f"{API}/{recurring_id}/").json()["state"] == "cancelled"
    assert fundraiser.delete(f"{API}/{recurring_id}/").status_code == 204  # made no gift
    assert not RecurringGift.objects.exists()


def test_one_that_made_gifts_is_cancelled_not_deleted(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor
) -> None:
    recurring = RecurringGiftFactory.create(donor=ada, next_on=today())
    recurring_gifts_run(today=today())

    error = api_error(fundraiser.delete(f"{API}/{recurring.pk}/"), 409)

    assert "cancel it instead" in error["message"]
    assert RecurringGift.objects.filter(pk=recurring.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "card"}, "method"),
        ({"method": "barter"}, "method"),
        ({"frequency": "weekly"}, "frequency"),
        ({"amount": "0"}, "amount"),
        ({"donor": 999999}, "donor"),
        ({"fund": "NOPE"}, "fund"),
        ({"campaign": "NOPE"}, "campaign"),
        ({"end_on": "2026-01-01"}, "end_on"),
        ({"next_on": "not a date"}, "next_on"),
    ],
)
def test_bad_recurring_gift_input_is_a_400_and_writes_nothing(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor, body: dict[str, Any], field: str
) -> None:
    recurring = {
        "donor": ada.pk,
        "amount": "10.00",
        "frequency": "monthly",
        "next_on": "2027-01-01",
        "method": "check",
        **body,
    }

    error = api_error(fundraiser.post(f"{API}/", recurring, format="json"), 400)

    assert field in error["fields"], error
    assert not RecurringGift.objects.exists()


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_readers_read_recurring_gifts_but_cannot_change_them(
    in_alpha: Tenant, role: str, ada: Donor
) -> None:
    recurring = RecurringGiftFactory.create(donor=ada, next_on=date(2027, 1, 1))
    client = in_alpha.api(in_alpha.user(role))
    assert client.get(f"{API}/").status_code == 200
    assert client.get(f"{API}/{recurring.pk}/").status_code == 200
    body = {"donor": ada.pk, "amount": "5", "frequency": "monthly", "next_on": "2027-01-01"}
    api_error(client.post(f"{API}/", body | {"method": "cash"}, format="json"), 403)
    api_error(client.patch(f"{API}/{recurring.pk}/", {"amount": "1"}, format="json"), 403)
    api_error(client.delete(f"{API}/{recurring.pk}/"), 403)
    for verb in ("pause", "resume", "cancel"):
        api_error(client.post(f"{API}/{recurring.pk}/{verb}/", {}, format="json"), 403)
    recurring.refresh_from_db()
    assert (recurring.state, str(recurring.amount)) == ("active", "25.00")


def test_recurring_gifts_are_listed_in_a_fixed_number_of_queries(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor
) -> None:
    def grow(count: int) -> None:
        for index in range(count):
            RecurringGiftFactory.create(
                donor=ada, next_on=date(2027, 1, 1 + index % 28), fund="PRP"
            )

    list_queries_fixed(fundraiser, f"{API}/", grow)

    other = RecurringGiftFactory.create(
        donor=donor_made("Grace", "Hopper"),
        next_on=date(2027, 1, 1),
        frequency="annually",
    )
    recurring_gift_pause(recurring_gift=other, acting_user=None)
    for query in ("state=paused", "frequency=annually", f"donor={other.donor_id}"):
        rows = fundraiser.get(f"{API}/?{query}").json()["results"]
        assert [row["id"] for row in rows] == [other.pk], query


def test_people_of_another_tenant_get_nothing(
    assert_other_tenant_denied: Callable[..., None], beta: Tenant, ada: Donor
) -> None:
    with schema_context("alpha"):
        recurring = RecurringGiftFactory.create(donor=ada, next_on=date(2027, 1, 1))
    path = f"{API}/{recurring.pk}/"
    assert_other_tenant_denied(f"{API}/")
    assert_other_tenant_denied(path)
    assert_other_tenant_denied(f"{API}/", method="post", data={"donor": ada.pk})
    assert_other_tenant_denied(path, method="patch", data={"amount": "1.00"})
    assert_other_tenant_denied(path, method="delete")
    assert_other_tenant_denied(f"{path}pause/", method="post")
    assert_other_tenant_denied(f"{path}resume/", method="post", data={})
    assert_other_tenant_denied(f"{path}cancel/", method="post")
    client = beta.api(beta.owner)
    assert client.get(f"{API}/").json()["results"] == []
    assert client.get(path).status_code == 404
    with schema_context("alpha"):
        recurring.refresh_from_db()
        assert (recurring.state, str(recurring.amount)) == ("active", "25.00")
