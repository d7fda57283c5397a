"""Role capabilities and the DRF permission built on them."""

from __future__ import annotations

import pytest

from shared_apps.users.roles import ROLE_CAPABILITIES, Capability, Role, role_has_capability
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_every_role_has_a_capability_set() -> None:
    assert set(ROLE_CAPABILITIES) == set(Role.values)


def test_owner_can_do_everything_and_admin_all_but_connect_the_stripe_account() -> None:
    assert all(role_has_capability(Role.OWNER, capability) for capability in Capability)
    assert all(
        role_has_capability(Role.ADMIN, capability)
        for capability in Capability
        if capability != Capability.GIVING_CONNECT
    )
    connectors = {
        role for role in Role.values if role_has_capability(role, Capability.GIVING_CONNECT)
    }
    assert connectors == {Role.OWNER}


def test_viewer_reads_but_never_writes() -> None:
    assert role_has_capability(Role.VIEWER, Capability.REPORTS_READ)
    writes = [c for c in Capability if c.value.endswith((".write", ".manage", ".post"))]
    assert writes
    assert not any(role_has_capability(Role.VIEWER, capability) for capability in writes)


def test_bookkeeper_writes_the_books_fundraiser_does_not() -> None:
    assert role_has_capability(Role.BOOKKEEPER, Capability.ACCOUNTING_WRITE)
    assert not role_has_capability(Role.FUNDRAISER, Capability.ACCOUNTING_WRITE)
    assert role_has_capability(Role.FUNDRAISER, Capability.DONORS_WRITE)


def test_only_coordinators_and_administrators_approve_hours() -> None:
    approvers = {
        role for role in Role.values if role_has_capability(role, Capability.HOURS_APPROVE)
    }
    assert approvers == {Role.OWNER, Role.ADMIN, Role.VOLUNTEER_COORDINATOR}


def test_unknown_role_has_no_capability() -> None:
    assert not role_has_capability("janitor", Capability.REPORTS_READ)


def test_inactive_user_has_no_capability(alpha: Tenant) -> None:
    user = alpha.user(Role.ADMIN, is_active=False)
    assert not user.has_capability(Capability.REPORTS_READ)


def test_api_permission_follows_the_role(alpha: Tenant) -> None:
    viewer = alpha.user(Role.VIEWER)
    coordinator = alpha.user(Role.VOLUNTEER_COORDINATOR)

    assert alpha.api(viewer).get("/api/v1/accounting/accounts/").status_code == 200
    denied = alpha.api(coordinator).get("/api/v1/accounting/accounts/")
    assert denied.status_code == 403
    assert denied.json()["error"] == {
        "status": 403,
        "code": "permission_denied",
        "message": "Your role does not allow this.",
    }


def test_writes_need_the_write_capability_before_input_is_read(alpha: Tenant) -> None:
    viewer = alpha.api(alpha.user("viewer")).post(
        "/api/v1/accounting/funds/", {"code": "X"}, format="json"
    )
    owner = alpha.api(alpha.owner).post("/api/v1/accounting/funds/", {"code": "X"}, format="json")

    assert viewer.status_code == 403
    assert owner.status_code == 400  # allowed, and told what is missing
    assert set(owner.json()["error"]["fields"]) >= {"name", "restriction"}


def test_a_volunteer_only_submits_hours() -> None:
    assert ROLE_CAPABILITIES[Role.VOLUNTEER] == {Capability.HOURS_SUBMIT}


def test_bookkeepers_and_administrators_post_the_payroll_allocation() -> None:
    posters = {role for role in Role.values if role_has_capability(role, Capability.PAYROLL_POST)}
    assert posters == {Role.OWNER, Role.ADMIN, Role.BOOKKEEPER}
