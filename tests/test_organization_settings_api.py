"""The organization settings over the API, /api/v1/organization/settings/: read and changed by
owners and administrators only, checked as the settings page checks them, all or none, audited,
nothing of another organization."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Organization
from shared_apps.users.roles import Role
from tenant_apps.accounting.selectors import accounting_settings
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.services import receipt_settings_current
from tenant_apps.personnel.selectors import personnel_settings
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/organization/settings/"


@pytest.fixture(autouse=True)
def _time_zone_reset() -> Iterator[None]:
    """A request activates its organization's time zone in this thread: undo it after."""
    yield
    timezone.deactivate()


def _saved() -> dict[str, Any]:
    organization = Organization.objects.get(slug="alpha")
    with schema_context("alpha"):
        return {
            "name": organization.name,
            "time_zone": organization.time_zone,
            "ein": receipt_settings_current().ein,
            "month": accounting_settings().fiscal_year_start_month,
            "rate": personnel_settings().volunteer_hourly_rate,
        }


def test_an_owner_reads_and_changes_every_part(alpha: Tenant) -> None:
    client = alpha.api(alpha.owner)

    read = client.get(API)
    changed = client.patch(
        API,
        {"name": "Alpha Relief", "legal_name": "Alpha Relief Fund Inc.", "ein": "12-3456789",
         "fiscal_year_start_month": 7, "volunteer_hourly_rate": "33.49"},
        format="json",
    )  # fmt: skip

    assert read.status_code == 200
    assert read.json()["name"] == "Alpha Relief Fund"
    assert "ein" in read.json()["receipts_missing"]
    assert read.json()["fiscal_year_start_changeable"] is True
    assert changed.status_code == 200, changed.content
    assert changed.json()["receipts_missing"] == []
    assert _saved() == {
        "name": "Alpha Relief",
        "time_zone": "UTC",  # not given: kept
        "ein": "12-3456789",
        "month": 7,
        "rate": Decimal("33.49"),
    }
    with schema_context("alpha"):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"organization.update", "personnel_settings.update"} <= actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"name": "   "}, "name"),
        ({"ein": "123456789"}, "ein"),
        ({"fiscal_year_start_month": 13}, "fiscal_year_start_month"),
        ({"volunteer_hourly_rate": "0"}, "volunteer_hourly_rate"),
        ({"volunteer_hourly_rate": "1e400"}, "volunteer_hourly_rate"),
        ({"logo": "x.png"}, "logo"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_saved(
    alpha: Tenant, body: dict[str, Any], field: str
) -> None:
    before = _saved()

    # A good change alongside the bad one is not saved either: all or none.
    response = alpha.api(alpha.owner).patch(API, {"name": "Renamed", **body}, format="json")

    assert field in api_error(response, 400)["fields"]
    assert _saved() == before


def test_the_fiscal_year_is_kept_once_entries_are_posted(alpha: Tenant) -> None:
    from tenant_apps.donations.tests.factories import GiftFactory

    with schema_context("alpha"):
        GiftFactory.create(posted=True)
    client = alpha.api(alpha.owner)

    same = client.patch(API, {"fiscal_year_start_month": 1, "name": "Alpha"}, format="json")
    moved = client.patch(API, {"fiscal_year_start_month": 7}, format="json")

    assert same.status_code == 200 and same.json()["fiscal_year_start_changeable"] is False
    assert "only before the first posting" in api_error(moved, 409)["message"]
    assert _saved()["month"] == 1


@pytest.mark.parametrize("role", [r for r in Role.values if r not in (Role.OWNER, Role.ADMIN)])
def test_other_roles_get_403(alpha: Tenant, role: str) -> None:
    client = alpha.api(alpha.user(role))
    before = _saved()

    api_error(client.get(API), 403)
    api_error(client.patch(API, {"name": "Taken over"}, format="json"), 403)
    assert _saved() == before


def test_an_administrator_may(alpha: Tenant) -> None:
    client = alpha.api(alpha.user(Role.ADMIN))

    assert client.patch(API, {"time_zone": "America/Chicago"}, format="json").status_code == 200
    assert _saved()["time_zone"] == "America/Chicago"


def test_another_organization_gets_nothing(
    alpha: Tenant, beta: Tenant, assert_other_tenant_denied: Callable[..., None]
) -> None:
    assert_other_tenant_denied(API)
    assert_other_tenant_denied(API, method="patch", data={"name": "Beta took it"})
    assert beta.api(beta.owner).get(API).json()["name"] != "Alpha Relief Fund"
    assert _saved()["name"] == "Alpha Relief Fund"
