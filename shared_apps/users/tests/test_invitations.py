"""Invitations: a single-use link valid for 7 days, sent by email to the organization's host;
resending replaces the link, revoking ends it; the plan's staff limit counts the invitations
still waiting; every step audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.plan_limits import PlanLimitReached
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Organization
from shared_apps.users import services
from shared_apps.users.models import Invitation, InvitationStatus, User
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PASSWORD = "Very-Long-Pass-2026"
SITE = {"site_url": "http://alpha.localhost:8000/", "organization_name": "Alpha Relief Fund"}


def _invite(tenant: Tenant, email: str = "new@alpha.org", role: str = Role.BOOKKEEPER) -> Any:
    return services.invitation_create(email=email, role=role, acting_user=tenant.owner, **SITE)


def _seven_days_pass() -> None:
    """The invitations' links were sent seven days and a second ago."""
    ago = timezone.now() - timedelta(days=7, seconds=1)
    Invitation.objects.update(created_at=ago, sent_at=ago, expires_at=ago + timedelta(days=7))


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_an_invitation_is_emailed_with_a_link_to_the_organizations_host(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sent = _invite(in_alpha, email=" New@Alpha.org ")

    invitation = Invitation.objects.get()
    assert invitation.email == "new@alpha.org"
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    # Only the token's hash is stored.
    assert sent.token not in invitation.token_hash
    assert invitation.token_hash == services.invitation_token_hash(sent.token)
    (message,) = mail.outbox
    assert message.to == ["new@alpha.org"]
    assert "Alpha Relief Fund" in message.subject
    assert f"http://alpha.localhost:8000/invitations/{sent.token}/" in message.body
    assert "as Bookkeeper" in message.body
    assert _actions() == ["user.invite"]


def test_the_link_opens_one_account_once(in_alpha: Tenant) -> None:
    sent = _invite(in_alpha)

    user = services.invitation_accept(token=sent.token, full_name="Nia Books", password=PASSWORD)

    assert user.role == Role.BOOKKEEPER
    assert user.email == "new@alpha.org"
    assert user.check_password(PASSWORD)
    assert Invitation.objects.get().status == InvitationStatus.ACCEPTED
    with pytest.raises(services.InvitationUnusable) as refused:
        services.invitation_accept(token=sent.token, full_name="Again", password=PASSWORD)
    assert refused.value.invitation_status == InvitationStatus.ACCEPTED
    assert User.objects.filter(email="new@alpha.org").count() == 1
    assert _actions() == ["user.invite", "user.create", "user.invite_accept"]


def test_a_link_expires_after_seven_days(in_alpha: Tenant) -> None:
    sent = _invite(in_alpha)
    _seven_days_pass()

    with pytest.raises(services.InvitationUnusable) as refused:
        services.invitation_accept(token=sent.token, full_name="Late", password=PASSWORD)

    assert refused.value.invitation_status == InvitationStatus.EXPIRED
    assert "expired" in refused.value.message
    assert not User.objects.filter(email="new@alpha.org").exists()


def test_an_unknown_token_is_refused(in_alpha: Tenant) -> None:
    with pytest.raises(services.InvitationUnusable) as refused:
        services.invitation_usable(token="not-a-token")

    assert refused.value.invitation_status is None


def test_a_weak_password_is_refused_and_the_link_still_works(in_alpha: Tenant) -> None:
    sent = _invite(in_alpha)

    with pytest.raises(ServiceError) as refused:
        services.invitation_accept(token=sent.token, full_name="Nia", password="12345678")

    assert "password" in refused.value.fields
    assert Invitation.objects.get().status == InvitationStatus.PENDING
    assert not User.objects.filter(email="new@alpha.org").exists()


def test_resending_replaces_the_link_and_revoking_ends_it(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first = _invite(in_alpha)
    invitation = Invitation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        second = services.invitation_resend(
            invitation=invitation, acting_user=in_alpha.owner, **SITE
        )

    assert second.token != first.token
    assert second.token in mail.outbox[-1].body
    with pytest.raises(services.InvitationUnusable):
        services.invitation_usable(token=first.token)
    services.invitation_revoke(invitation=invitation, acting_user=in_alpha.owner)
    with pytest.raises(services.InvitationUnusable) as refused:
        services.invitation_usable(token=second.token)
    assert refused.value.invitation_status == InvitationStatus.REVOKED
    with pytest.raises(ServiceError):
        services.invitation_resend(invitation=invitation, acting_user=in_alpha.owner, **SITE)
    assert _actions() == ["user.invite", "user.invite_resend", "user.invite_revoke"]


def test_existing_users_and_people_already_invited_are_refused(in_alpha: Tenant) -> None:
    _invite(in_alpha)

    with pytest.raises(ServiceError, match="already invited"):
        _invite(in_alpha)
    with pytest.raises(ServiceError, match="already has a login"):
        _invite(in_alpha, email="owner@alpha.org")
    with pytest.raises(ServiceError, match="not a role"):
        _invite(in_alpha, email="other@alpha.org", role="superuser")
    with pytest.raises(ServiceError, match="not an email"):
        _invite(in_alpha, email="nobody")
    assert Invitation.objects.count() == 1


def test_an_expired_invitation_is_replaced_by_a_new_one(in_alpha: Tenant) -> None:
    _invite(in_alpha)
    _seven_days_pass()
    _invite(in_alpha)

    statuses = sorted(str(invitation.status) for invitation in Invitation.objects.all())
    assert statuses == ["pending", "revoked"]


def test_waiting_invitations_hold_a_place_of_the_plans_staff_limit(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    Plan.objects.filter(code="starter").update(max_staff_users=2)
    Organization.objects.filter(pk=in_alpha.organization.pk).update(plan_code="starter")
    _invite(in_alpha, email="one@alpha.org")
    _invite(in_alpha, email="volunteer@alpha.org", role=Role.VOLUNTEER)  # volunteers are free

    with pytest.raises(PlanLimitReached) as refused:
        _invite(in_alpha, email="three@alpha.org")

    assert refused.value.message == (
        "The plan allows 2 staff users: this organization has 1, and 1 invitation is still "
        "waiting for an answer and holds a place. Revoke an invitation, or an owner can change "
        "the plan on the billing page."
    )
    assert not Invitation.objects.filter(email="three@alpha.org").exists()
    services.invitation_revoke(
        invitation=Invitation.objects.get(email="one@alpha.org"), acting_user=in_alpha.owner
    )
    _invite(in_alpha, email="three@alpha.org")


def test_an_invitation_accepted_past_the_limit_is_refused(in_alpha: Tenant) -> None:
    sent = _invite(in_alpha)
    Plan.objects.filter(code="starter").update(max_staff_users=1)
    Organization.objects.filter(pk=in_alpha.organization.pk).update(plan_code="starter")

    with pytest.raises(PlanLimitReached):
        services.invitation_accept(token=sent.token, full_name="Nia", password=PASSWORD)

    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_signing_out_everywhere_ends_other_sessions_and_blacklists_tokens(
    in_alpha: Tenant,
) -> None:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    from shared_apps.users.selectors import user_session_keys
    from shared_apps.users.tokens import TenantRefreshToken

    user = in_alpha.user(Role.FUNDRAISER)
    clients = [in_alpha.client(user) for _ in range(3)]
    other = in_alpha.client(in_alpha.owner)
    TenantRefreshToken.for_user(user)
    keys = user_session_keys(user=user)
    assert len(keys) == 3

    ended = services.user_sign_out_everywhere(user=user, acting_user=user, keep_session_key=keys[0])

    assert ended == 2
    assert user_session_keys(user=user) == [keys[0]]
    assert len(user_session_keys(user=in_alpha.owner)) == 1  # others' sessions are untouched
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    assert _actions() == ["user.sign_out_everywhere"]
    del clients, other
