"""Plan limits where they bite: donors created through the API or an import, and staff users
added in the organization's admin. The tenant reads its plan by value (its plan code)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django import DjangoCaptureOnCommitCallbacks

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.plan_limits import PlanLimit
from shared_apps.billing.limits import plan_limit_check, plan_of_current_tenant
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Organization
from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.donations.models import ImportJob, ImportState
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

if TYPE_CHECKING:
    from tests.helpers import TestResponse


pytestmark = pytest.mark.django_db

DONOR = {"kind": "individual", "first_name": "Ada", "last_name": "Lovelace"}


@pytest.fixture
def small_plan(alpha: Tenant) -> Plan:
    """Alpha on a Starter plan cut to 2 donors and 2 staff users."""
    Plan.objects.filter(code="starter").update(max_donors=2, max_staff_users=2)
    Organization.objects.filter(pk=alpha.organization.pk).update(plan_code="starter")
    return Plan.objects.get(code="starter")


def _donors(count: int) -> None:
    with schema_context("alpha"):
        for number in range(count):
            donor_made("Donor", f"Number{number}")


def test_the_tenant_reads_its_plan_by_code_from_the_public_schema(
    alpha: Tenant, beta: Tenant, small_plan: Plan
) -> None:
    with schema_context("alpha"):
        assert plan_of_current_tenant() == small_plan
    with schema_context("beta"):
        assert plan_of_current_tenant() is None  # no plan: no limits
    assert plan_of_current_tenant() is None  # the public schema


def test_a_donor_past_the_limit_is_refused_through_the_api_naming_plan_and_limit(
    in_alpha: Tenant, small_plan: Plan
) -> None:
    client = in_alpha.api(in_alpha.user(Role.FUNDRAISER, email="funds@alpha.org"))
    assert client.post("/api/v1/donors/donors/", DONOR).status_code == 201
    assert client.post("/api/v1/donors/donors/", DONOR).status_code == 201

    response = client.post("/api/v1/donors/donors/", DONOR)

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "plan_limit"
    assert "The Starter plan allows 2 donors; this organization has 2" in error["message"]
    assert "billing page" in error["message"]
    assert Donor.objects.count() == 2


def test_merged_donors_do_not_count(in_alpha: Tenant, small_plan: Plan) -> None:
    from tenant_apps.donors import services

    kept, merged = donor_made("Ada", "Lovelace"), donor_made("Ada", "Lovelace")
    services.donor_merge(survivor=kept, merged=merged, acting_user=in_alpha.owner)
    donor_made("Grace", "Hopper")
    with pytest.raises(ServiceError, match="allows 2 donors"):
        donor_made("Alan", "Turing")


def test_a_plan_without_a_limit_takes_any_number(in_alpha: Tenant) -> None:
    Organization.objects.filter(pk=in_alpha.organization.pk).update(plan_code="plus")
    _donors(3)
    assert Donor.objects.count() == 3


@pytest.fixture
def upload(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Callable[[Client, str], TestResponse]:
    def send(client: Client, content: str) -> TestResponse:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/api/v1/donations/imports/",
                {
                    "kind": "donors",
                    "file": SimpleUploadedFile("donors.csv", content.encode(), "text/csv"),
                },
                format="multipart",
            )

    return send


def test_an_import_past_the_limit_imports_nothing_and_says_why(
    in_alpha: Tenant, small_plan: Plan, upload: Callable[..., Any]
) -> None:
    _donors(1)
    client = in_alpha.api(in_alpha.user(Role.FUNDRAISER, email="funds@alpha.org"))
    content = "type,first_name,last_name\nindividual,Grace,Hopper\nindividual,Alan,Turing\n"

    response = upload(client, content)

    assert response.status_code in (201, 202), response.content
    job = ImportJob.objects.get()
    assert job.state == ImportState.FAILED
    assert "The Starter plan allows 2 donors; this organization has 1" in job.message
    assert "2 more cannot be added (there is room for 1)" in job.message
    assert Donor.objects.count() == 1
    # Within the limit, the same kind of file goes in.
    response = upload(client, "type,first_name,last_name\nindividual,Grace,Hopper\n")
    assert ImportJob.objects.latest("pk").state == ImportState.SUCCEEDED
    assert Donor.objects.count() == 2


# --- Staff users ------------------------------------------------------------------------------


def _add_user(client: Client, email: str, role: str = Role.FUNDRAISER) -> TestResponse:
    return client.post(
        "/admin/users/user/add/",
        {
            "email": email,
            "full_name": "New Person",
            "role": role,
            "password1": "Very-Long-Pass-2026",
            "password2": "Very-Long-Pass-2026",
            "usable_password": "true",
        },
    )


def test_a_staff_user_past_the_limit_is_refused_in_the_admin(
    in_alpha: Tenant, small_plan: Plan
) -> None:
    client = in_alpha.client(in_alpha.owner)
    assert _add_user(client, "second@alpha.org").status_code == 302  # the owner and this one

    response = _add_user(client, "third@alpha.org")

    assert response.status_code == 200
    assert "The Starter plan allows 2 staff users; this organization has 2" in (
        response.content.decode()
    )
    assert not User.objects.filter(email="third@alpha.org").exists()
    # A volunteer's own login does not count.
    assert _add_user(client, "helper@alpha.org", role=Role.VOLUNTEER).status_code == 302


def test_reactivating_or_promoting_past_the_limit_is_refused(
    in_alpha: Tenant, small_plan: Plan
) -> None:
    in_alpha.user(Role.FUNDRAISER, email="active@alpha.org")
    former = in_alpha.user(Role.FUNDRAISER, email="former@alpha.org", is_active=False)
    helper = in_alpha.user(Role.VOLUNTEER, email="helper@alpha.org")
    client = in_alpha.client(in_alpha.owner)

    for user, changes in ((former, {"is_active": "on"}), (helper, {"role": Role.VIEWER})):
        data = {
            "email": user.email,
            "full_name": "",
            "role": changes.get("role", user.role),
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            **({"is_active": "on"} if user.is_active or "is_active" in changes else {}),
        }
        response = client.post(f"/admin/users/user/{user.pk}/change/", data)
        assert response.status_code == 200, (user.email, response.status_code)
        assert "allows 2 staff users" in response.content.decode()
        stored = User.objects.get(pk=user.pk)
        assert (stored.is_active, stored.role) == (user.is_active, user.role)


def test_the_check_counts_only_when_the_plan_has_a_limit(
    in_alpha: Tenant, small_plan: Plan
) -> None:
    counted: list[int] = []

    def count() -> int:
        counted.append(1)
        return 0

    plan_limit_check(limit=PlanLimit.DONORS, adding=1, count=count)
    Plan.objects.filter(code="starter").update(max_donors=None)
    plan_limit_check(limit=PlanLimit.DONORS, adding=10**6, count=count)
    assert counted == [1]
