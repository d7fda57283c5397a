"""Staff users' services: each change audited in the organization's log, the plan's staff-user
limit, the last-owner and own-login rules, and the admin going through them."""

from __future__ import annotations

from typing import Any

import pytest

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.plan_limits import PlanLimitReached
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Organization
from shared_apps.users import services
from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PASSWORD = "Very-Long-Pass-2026"


@pytest.fixture
def two_staff_plan(alpha: Tenant) -> Plan:
    """Alpha on a Starter plan cut to 2 staff users."""
    Plan.objects.filter(code="starter").update(max_staff_users=2)
    Organization.objects.filter(pk=alpha.organization.pk).update(plan_code="starter")
    return Plan.objects.get(code="starter")


def _audit(action: str) -> list[tuple[Any, str, dict[str, Any]]]:
    return [
        (event.actor_id, event.object_id, event.detail)
        for event in AuditEvent.objects.filter(action=action).order_by("id")
    ]


def test_a_user_is_created_with_a_usable_password_and_audited(in_alpha: Tenant) -> None:
    user = services.user_create(
        email=" Grace@Alpha.org ",
        full_name="Grace Hopper",
        role=Role.BOOKKEEPER,
        password=PASSWORD,
        acting_user=in_alpha.owner,
    )

    stored = User.objects.get(pk=user.pk)
    assert (stored.email, stored.role, stored.is_active) == (
        "grace@alpha.org",
        Role.BOOKKEEPER,
        True,
    )
    assert stored.check_password(PASSWORD)
    assert _audit("user.create") == [
        (in_alpha.owner.pk, str(user.pk), {"email": "grace@alpha.org", "role": "bookkeeper"})
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "grace@alpha.org", "role": "superuser"}, "role"),
        ({"email": "not an address", "role": Role.VIEWER}, "email"),
        ({"email": "owner@alpha.org", "role": Role.VIEWER}, "email"),
        ({"email": "grace@alpha.org", "role": Role.VIEWER, "password": "123"}, "password"),
    ],
)
def test_a_bad_user_is_refused_and_nothing_is_written(
    in_alpha: Tenant, fields: dict[str, str], field: str
) -> None:
    users = User.objects.count()

    with pytest.raises(ServiceError) as refusal:
        services.user_create(acting_user=in_alpha.owner, **fields)

    assert list(refusal.value.fields) == [field]
    assert User.objects.count() == users
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_a_user_past_the_plan_is_refused_with_the_plan_named_and_nothing_written(
    in_alpha: Tenant, two_staff_plan: Plan
) -> None:
    services.user_create(email="second@alpha.org", role=Role.VIEWER, acting_user=in_alpha.owner)

    with pytest.raises(PlanLimitReached) as refusal:
        services.user_create(email="third@alpha.org", role=Role.VIEWER, acting_user=in_alpha.owner)

    assert refusal.value.message == (
        "The Starter plan allows 2 staff users; this organization has 2, so another cannot "
        "be added. An owner or administrator can change the plan on the billing page."
    )
    assert not User.objects.filter(email="third@alpha.org").exists()
    assert len(_audit("user.create")) == 1
    # A volunteer's own login does not count against the plan.
    services.user_create(email="helper@alpha.org", role=Role.VOLUNTEER, acting_user=None)


def test_reactivating_or_promoting_past_the_plan_is_refused(
    in_alpha: Tenant, two_staff_plan: Plan
) -> None:
    in_alpha.user(Role.FUNDRAISER, email="active@alpha.org")
    former = in_alpha.user(Role.FUNDRAISER, email="former@alpha.org", is_active=False)
    helper = in_alpha.user(Role.VOLUNTEER, email="helper@alpha.org")
    with pytest.raises(PlanLimitReached):
        services.user_reactivate(user=former, acting_user=in_alpha.owner)
    with pytest.raises(PlanLimitReached):
        services.user_role_change(user=helper, role=Role.VIEWER, acting_user=in_alpha.owner)

    assert User.objects.get(pk=former.pk).is_active is False
    assert User.objects.get(pk=helper.pk).role == Role.VOLUNTEER
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()


def test_a_role_change_a_deactivation_and_a_reactivation_are_audited(in_alpha: Tenant) -> None:
    fundraiser = in_alpha.user(Role.FUNDRAISER, email="fund@alpha.org")
    services.user_role_change(user=fundraiser, role=Role.BOOKKEEPER, acting_user=in_alpha.owner)
    services.user_deactivate(user=fundraiser, acting_user=in_alpha.owner)
    services.user_reactivate(user=fundraiser, acting_user=in_alpha.owner)

    assert User.objects.get(pk=fundraiser.pk).role == Role.BOOKKEEPER
    assert User.objects.get(pk=fundraiser.pk).is_active is True
    subject = str(fundraiser.pk)
    assert _audit("user.role_change") == [
        (in_alpha.owner.pk, subject, {"role": ["fundraiser", "bookkeeper"]})
    ]
    assert _audit("user.deactivate") == [(in_alpha.owner.pk, subject, {"role": "bookkeeper"})]
    assert _audit("user.reactivate") == [(in_alpha.owner.pk, subject, {"role": "bookkeeper"})]
    with pytest.raises(StateConflict, match="already active"):
        services.user_reactivate(user=fundraiser, acting_user=in_alpha.owner)
    with pytest.raises(ServiceError, match="is not a role"):
        services.user_role_change(user=fundraiser, role="root", acting_user=in_alpha.owner)
    assert User.objects.get(pk=fundraiser.pk).role == Role.BOOKKEEPER


def test_the_last_active_owner_is_not_demoted_or_deactivated(in_alpha: Tenant) -> None:
    administrator = in_alpha.user(Role.ADMIN, email="admin@alpha.org")
    message = (
        "owner@alpha.org is the organization's last active owner; make another user an owner first."
    )
    with pytest.raises(StateConflict) as demoted:
        services.user_role_change(user=in_alpha.owner, role=Role.ADMIN, acting_user=administrator)
    with pytest.raises(StateConflict) as deactivated:
        services.user_deactivate(user=in_alpha.owner, acting_user=administrator)

    assert demoted.value.message == deactivated.value.message == message
    stored = User.objects.get(pk=in_alpha.owner.pk)
    assert (stored.role, stored.is_active) == (Role.OWNER, True)
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()

    # With a second owner, the first may step down.
    services.user_role_change(user=administrator, role=Role.OWNER, acting_user=in_alpha.owner)
    services.user_role_change(user=in_alpha.owner, role=Role.ADMIN, acting_user=administrator)
    assert User.objects.get(pk=in_alpha.owner.pk).role == Role.ADMIN


def test_no_one_deactivates_their_own_login(in_alpha: Tenant) -> None:
    administrator = in_alpha.user(Role.ADMIN, email="admin@alpha.org")
    with pytest.raises(StateConflict, match="cannot deactivate your own login"):
        services.user_deactivate(user=administrator, acting_user=administrator)

    assert User.objects.get(pk=administrator.pk).is_active is True


def test_a_password_is_set_checked_and_audited_without_the_password(in_alpha: Tenant) -> None:
    viewer = in_alpha.user(Role.VIEWER, email="viewer@alpha.org")
    with pytest.raises(ServiceError) as weak:
        services.user_password_set(user=viewer, password="password", acting_user=in_alpha.owner)
    assert list(weak.value.fields) == ["password"]

    services.user_password_set(user=viewer, password=PASSWORD, acting_user=in_alpha.owner)
    services.user_password_set(user=viewer, password=None, acting_user=in_alpha.owner)

    assert User.objects.get(pk=viewer.pk).has_usable_password() is False
    assert _audit("user.password_set") == [
        (in_alpha.owner.pk, str(viewer.pk), {"usable": True}),
        (in_alpha.owner.pk, str(viewer.pk), {"usable": False}),
    ]


def test_the_services_refuse_the_public_schema(alpha: Tenant) -> None:
    # Operators have no organization log or plan: the public admin keeps Django's forms.
    connection.set_schema_to_public()
    with pytest.raises(ServiceError, match="platform operators are managed"):
        services.user_create(email="ops2@ifm.test", role=Role.VIEWER, acting_user=None)
    assert not User.objects.filter(email="ops2@ifm.test").exists()


# --- The organization's admin goes through the services ------------------------------------


def _change_data(user: User, **changes: Any) -> dict[str, Any]:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **({"is_active": "on"} if user.is_active else {}),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_role_change_in_the_admin_is_audited_naming_who_made_it(in_alpha: Tenant) -> None:
    fundraiser = in_alpha.user(Role.FUNDRAISER, email="fund@alpha.org")
    client = in_alpha.client(in_alpha.owner)

    response = client.post(
        f"/admin/users/user/{fundraiser.pk}/change/", _change_data(fundraiser, role="bookkeeper")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=fundraiser.pk).role == Role.BOOKKEEPER
    assert _audit("user.role_change") == [
        (in_alpha.owner.pk, str(fundraiser.pk), {"role": ["fundraiser", "bookkeeper"]})
    ]


def test_a_user_added_in_the_admin_is_audited(in_alpha: Tenant) -> None:
    response = in_alpha.client(in_alpha.owner).post(
        "/admin/users/user/add/",
        {
            "email": "new@alpha.org",
            "full_name": "New Person",
            "role": Role.FUNDRAISER,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new@alpha.org")
    assert user.check_password(PASSWORD)
    assert _audit("user.create") == [
        (in_alpha.owner.pk, str(user.pk), {"email": "new@alpha.org", "role": "fundraiser"})
    ]


def test_the_admin_shows_a_refusal_on_the_form_and_changes_nothing(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.owner)

    response = client.post(
        f"/admin/users/user/{in_alpha.owner.pk}/change/",
        _change_data(in_alpha.owner, is_active=None),
    )
    demoted = client.post(
        f"/admin/users/user/{in_alpha.owner.pk}/change/",
        _change_data(in_alpha.owner, role="viewer"),
    )

    assert response.status_code == 200
    assert "You cannot deactivate your own login" in response.content.decode()
    assert demoted.status_code == 200
    assert "last active owner" in demoted.content.decode()
    stored = User.objects.get(pk=in_alpha.owner.pk)
    assert (stored.role, stored.is_active) == (Role.OWNER, True)
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()


def test_a_password_set_in_the_admin_is_audited(in_alpha: Tenant) -> None:
    viewer = in_alpha.user(Role.VIEWER, email="viewer@alpha.org")

    response = in_alpha.client(in_alpha.owner).post(
        f"/admin/users/user/{viewer.pk}/password/",
        {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=viewer.pk).check_password(PASSWORD)
    assert _audit("user.password_set") == [(in_alpha.owner.pk, str(viewer.pk), {"usable": True})]
