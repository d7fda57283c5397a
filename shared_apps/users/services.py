"""Writes to an organization's staff users: create, change role, deactivate, reactivate, set a
password. Each is audited in the organization's log and checks the plan's staff-user limit.

Tenant-only: the users table of the public schema holds platform operators, who have no
organization audit log or plan; the public admin keeps Django's own forms for them.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.plan_limits import (
    PlanLimit,
    PlanLimitReached,
    plan_count,
    plan_limit_check,
    plan_maximum,
)
from shared_apps.users.models import (
    INVITATION_VALID_FOR,
    Invitation,
    InvitationStatus,
    User,
)
from shared_apps.users.roles import Role
from shared_apps.users.selectors import user_session_keys
from tenant_apps.core.services import audit_record

logger = logging.getLogger(__name__)


def _tenant_only() -> None:
    if not connection.schema_name or connection.schema_name == get_public_schema_name():
        raise ServiceError(
            "Staff users belong to an organization; platform operators are managed in the "
            "platform's own admin."
        )


def role_check(role: str) -> str:
    """`role` if it is one of the organization's roles, else a ServiceError on `role`."""
    if role not in Role.values:
        raise ServiceError(
            f"{role!r} is not a role. A role is one of: {', '.join(Role.values)}.",
            fields={"role": ["Unknown role."]},
        )
    return role


def _counted(*, role: str, is_active: bool) -> bool:
    # The plan counts active users except volunteers' own logins (users.selectors says why).
    return is_active and role != Role.VOLUNTEER


def user_change_check(
    *, user: User | None, role: str, is_active: bool, acting_user: User | None
) -> None:
    """Every rule a user's new role and active flag must keep, each with its own message;
    `user` is None for a new user. The services call it inside their transaction; the admin's
    forms call it too, to show a refusal next to the form rather than after it is saved."""
    _tenant_only()
    role_check(role)
    if user is not None and user.pk is not None:
        stored = User.objects.select_for_update().get(pk=user.pk)
        before_counted = _counted(role=stored.role, is_active=stored.is_active)
        deactivating = not is_active and stored.is_active
        if deactivating and acting_user is not None and acting_user.pk == stored.pk:
            raise StateConflict(
                "You cannot deactivate your own login; another owner or administrator can.",
                fields={"is_active": ["Not your own login."]},
            )
        losing_owner = stored.role == Role.OWNER and stored.is_active
        if losing_owner and (role != Role.OWNER or not is_active):
            _last_owner_check(stored)
    else:
        before_counted = False
    if _counted(role=role, is_active=is_active) and not before_counted:
        plan_limit_check(limit=PlanLimit.STAFF_USERS, adding=1)


def _last_owner_check(owner: User) -> None:
    # Locked so that two owners demoting each other at once cannot both pass.
    others = (
        User.objects.select_for_update()
        .filter(role=Role.OWNER, is_active=True)
        .exclude(pk=owner.pk)
    )
    if not list(others.values_list("pk", flat=True)):
        raise StateConflict(
            f"{owner.email} is the organization's last active owner; make another user an "
            "owner first.",
            fields={"role": ["The last active owner."]},
        )


def email_check(email: str) -> str:
    """The login email as stored: trimmed, lowercased, and an email address."""
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(
            f"{email!r} is not an email address.", fields={"email": ["Not an email address."]}
        ) from None
    return email


def _password_check(password: str, *, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ServiceError(
            " ".join(error.messages), fields={"password": list(error.messages)}
        ) from None


def user_create(
    *,
    email: str,
    role: str,
    acting_user: User | None,
    full_name: str = "",
    password: str | None = None,
) -> User:
    """A new staff user. Without a password they cannot log in until one is set (or reset)."""
    email = email_check(email)
    full_name = (full_name or "").strip()
    if len(full_name) > 150:
        raise ServiceError(
            "A name has at most 150 characters.", fields={"full_name": ["Too long."]}
        )
    with transaction.atomic():
        user_change_check(user=None, role=role, is_active=True, acting_user=acting_user)
        if User.objects.filter(email__iexact=email).exists():
            raise ServiceError(
                f"There is already a user {email}.", fields={"email": ["Already used."]}
            )
        user = User(email=email, full_name=full_name, role=role)
        if password:
            _password_check(password, user=user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit_record("user.create", acting_user=acting_user, obj=user, email=email, role=role)
    logger.info("user %s created with role %s", user.pk, role)
    return user


def user_role_change(*, user: User, role: str, acting_user: User | None) -> User:
    """Give a user another role (what they may do, posting rights included)."""
    with transaction.atomic():
        stored = User.objects.select_for_update().get(pk=user.pk)
        user_change_check(
            user=stored, role=role, is_active=stored.is_active, acting_user=acting_user
        )
        if stored.role == role:
            return stored
        previous = stored.role
        stored.role = role
        stored.save(update_fields=["role"])
        audit_record("user.role_change", acting_user=acting_user, obj=stored, role=[previous, role])
    return stored


def _active_set(*, user: User, active: bool, acting_user: User | None, action: str) -> User:
    """Turn a user's access on or off, checked by user_change_check and audited as `action`."""
    with transaction.atomic():
        stored = User.objects.select_for_update().get(pk=user.pk)
        if stored.is_active == active:
            state = "active" if active else "inactive"
            raise StateConflict(f"{stored.email} is already {state}.")
        user_change_check(user=stored, role=stored.role, is_active=active, acting_user=acting_user)
        stored.is_active = active
        stored.save(update_fields=["is_active"])
        audit_record(action, acting_user=acting_user, obj=stored, role=stored.role)
    return stored


def user_deactivate(*, user: User, acting_user: User | None) -> User:
    """Take a user's access away; their history (and the audit rows naming them) stays."""
    return _active_set(user=user, active=False, acting_user=acting_user, action="user.deactivate")


def user_reactivate(*, user: User, acting_user: User | None) -> User:
    """Give a deactivated user their access back, within the plan's staff limit."""
    return _active_set(user=user, active=True, acting_user=acting_user, action="user.reactivate")


def user_password_set(*, user: User, password: str | None, acting_user: User | None) -> User:
    """Set a user's password, checked by the password validators; None disables password
    login (the user can still reset it by email). The audit row never holds the password."""
    _tenant_only()
    with transaction.atomic():
        stored = User.objects.select_for_update().get(pk=user.pk)
        if password:
            _password_check(password, user=stored)
            stored.set_password(password)
        else:
            stored.set_unusable_password()
        stored.save(update_fields=["password"])
        audit_record(
            "user.password_set",
            acting_user=acting_user,
            obj=stored,
            usable=stored.has_usable_password(),
        )
    return stored


def user_profile_update(
    *, user: User, acting_user: User | None, email: str, full_name: str
) -> User:
    """Change a user's email (their login) or name."""
    _tenant_only()
    email = email_check(email)
    full_name = (full_name or "").strip()[:150]
    with transaction.atomic():
        stored = User.objects.select_for_update().get(pk=user.pk)
        changes = {
            field: [getattr(stored, field), value]
            for field, value in (("email", email), ("full_name", full_name))
            if getattr(stored, field) != value
        }
        if not changes:
            return stored
        if (
            "email" in changes
            and User.objects.filter(email__iexact=email).exclude(pk=stored.pk).exists()
        ):
            raise ServiceError(
                f"There is already a user {email}.", fields={"email": ["Already used."]}
            )
        stored.email, stored.full_name = email, full_name
        stored.save(update_fields=list(changes))
        audit_record("user.update", acting_user=acting_user, obj=stored, **changes)
    return stored


# --- Invitations ---------------------------------------------------------------------------------


def invitation_token_hash(token: str) -> str:
    """What is stored of an invitation's token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(*, site_url: str, token: str) -> str:
    return f"{site_url.rstrip('/')}/invitations/{token}/"


@dataclass(frozen=True)
class InvitationSent:
    """An invitation as created or resent, with the token of the link (never stored)."""

    invitation: Invitation
    token: str
    link: str


def _invitation_mail(
    *, invitation: Invitation, link: str, organization_name: str, acting_user: User | None
) -> None:
    inviter = acting_user.get_full_name() if acting_user is not None else "An administrator"
    role = Role(invitation.role).label
    days = INVITATION_VALID_FOR.days
    subject = f"{inviter} invited you to {organization_name} on IFM"
    body = (
        f"{inviter} invited you to join {organization_name} on IFM as {role}.\n\n"
        f"Follow this link to choose your name and password and sign in:\n{link}\n\n"
        f"The link works once and for {days} days. If you did not expect this email, "
        "you can ignore it."
    )
    email = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))


def _pending_invitations() -> int:
    """Invitations still waiting for an answer to roles the plan counts."""
    return (
        Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .exclude(role=Role.VOLUNTEER)
        .count()
    )


def _room_for_invitation_check(*, role: str) -> None:
    """Invitations waiting for an answer hold a place of the plan's staff limit, so that the
    people invited can all join."""
    if not _counted(role=role, is_active=True):
        return
    pending = _pending_invitations()
    try:
        plan_limit_check(limit=PlanLimit.STAFF_USERS, adding=1 + pending)
    except PlanLimitReached as error:
        if not pending:
            raise
        maximum = plan_maximum(limit=PlanLimit.STAFF_USERS)
        users = plan_count(limit=PlanLimit.STAFF_USERS)
        waiting = (
            "1 invitation is still waiting for an answer and holds a place"
            if pending == 1
            else f"{pending} invitations are still waiting for an answer and hold places"
        )
        raise PlanLimitReached(
            f"The plan allows {maximum} staff users: this organization has {users}, and "
            f"{waiting}. Revoke an invitation, "
            "or an owner can change the plan on the billing page.",
            fields=error.fields,
        ) from None


def _new_token(invitation: Invitation, *, site_url: str) -> InvitationSent:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = invitation_token_hash(token)
    return InvitationSent(
        invitation=invitation, token=token, link=invitation_link(site_url=site_url, token=token)
    )


def invitation_create(
    *, email: str, role: str, acting_user: User, site_url: str, organization_name: str
) -> InvitationSent:
    """Invite a person by email with a role: a link valid for 7 days, used once, where they
    choose their name and password. Refused for an existing user, a person already invited
    (resend that invitation instead) and past the plan's staff limit."""
    _tenant_only()
    email = email_check(email)
    role_check(role)
    now = timezone.now()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise ServiceError(
                f"{email} already has a login here; change their role on the staff page.",
                fields={"email": ["Already a user."]},
            )
        open_invitation = (
            Invitation.objects.select_for_update()
            .filter(email=email, accepted_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
        if open_invitation is not None and open_invitation.expires_at > now:
            raise ServiceError(
                f"{email} is already invited; resend that invitation if the email went astray.",
                fields={"email": ["Already invited."]},
            )
        if open_invitation is not None:  # expired: this one replaces it
            open_invitation.revoked_at = now
            open_invitation.save(update_fields=["revoked_at"])
        _room_for_invitation_check(role=role)
        invitation = Invitation(
            email=email,
            role=role,
            invited_by=acting_user,
            created_at=now,
            sent_at=now,
            expires_at=now + INVITATION_VALID_FOR,
        )
        sent = _new_token(invitation, site_url=site_url)
        invitation.save()
        audit_record("user.invite", acting_user=acting_user, obj=invitation, email=email, role=role)
        _invitation_mail(
            invitation=invitation,
            link=sent.link,
            organization_name=organization_name,
            acting_user=acting_user,
        )
    logger.info("invitation %s sent with role %s", invitation.pk, role)
    return sent


def _open_invitation(pk: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(pk=pk).first()
    if invitation is None:
        raise ServiceError("There is no such invitation.")
    if invitation.accepted_at is not None:
        raise StateConflict(f"{invitation.email} has already accepted this invitation.")
    if invitation.revoked_at is not None:
        raise StateConflict(f"The invitation of {invitation.email} was revoked.")
    return invitation


def invitation_resend(
    *, invitation: Invitation, acting_user: User, site_url: str, organization_name: str
) -> InvitationSent:
    """Send the invitation again with a new link valid for 7 more days; the old link stops
    working."""
    _tenant_only()
    now = timezone.now()
    with transaction.atomic():
        stored = _open_invitation(invitation.pk)
        if stored.expires_at <= now:
            _room_for_invitation_check(role=stored.role)  # an expired one held no place
        sent = _new_token(stored, site_url=site_url)
        stored.sent_at = now
        stored.expires_at = now + INVITATION_VALID_FOR
        stored.save(update_fields=["token_hash", "sent_at", "expires_at"])
        audit_record("user.invite_resend", acting_user=acting_user, obj=stored, email=stored.email)
        _invitation_mail(
            invitation=stored,
            link=sent.link,
            organization_name=organization_name,
            acting_user=acting_user,
        )
    return sent


def invitation_revoke(*, invitation: Invitation, acting_user: User) -> Invitation:
    """Withdraw an invitation: its link stops working."""
    _tenant_only()
    with transaction.atomic():
        stored = _open_invitation(invitation.pk)
        stored.revoked_at = timezone.now()
        stored.save(update_fields=["revoked_at"])
        audit_record("user.invite_revoke", acting_user=acting_user, obj=stored, email=stored.email)
    return stored


class InvitationUnusable(StateConflict):
    """The link is unknown, used, revoked or expired; `invitation_status` says which (None:
    unknown)."""

    def __init__(self, message: str, *, invitation_status: InvitationStatus | None) -> None:
        super().__init__(message)
        self.invitation_status = invitation_status


INVITATION_REFUSALS = {
    None: "This invitation link is not valid. Check that the whole link from the email was "
    "opened, or ask whoever invited you to send it again.",
    InvitationStatus.ACCEPTED: "This invitation has already been used. If it was you, log in "
    "with your email and password; if you forgot it, reset it from the login page.",
    InvitationStatus.REVOKED: "This invitation was withdrawn. Ask whoever invited you if you "
    "should still join.",
    InvitationStatus.EXPIRED: "This invitation has expired: links work for 7 days. Ask whoever "
    "invited you to send it again.",
}


def invitation_usable(*, token: str, lock: bool = False) -> Invitation:
    """The invitation a link's token opens, if it can still be accepted; else
    InvitationUnusable saying why."""
    invitations = Invitation.objects.all()
    if lock:
        invitations = invitations.select_for_update()
    invitation = invitations.filter(token_hash=invitation_token_hash(token)).first()
    status = invitation.status if invitation is not None else None
    if invitation is None or status != InvitationStatus.PENDING:
        raise InvitationUnusable(INVITATION_REFUSALS[status], invitation_status=status)
    return invitation


def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    """The invited person joins: a user with the invitation's role, their name and password
    (checked by the password validators). The invitation is used up in the same transaction,
    so a link opens one account only."""
    _tenant_only()
    full_name = (full_name or "").strip()
    if not full_name:
        raise ServiceError("Your name is needed.", fields={"full_name": ["Required."]})
    with transaction.atomic():
        invitation = invitation_usable(token=token, lock=True)
        user = user_create(
            email=invitation.email,
            role=invitation.role,
            acting_user=None,
            full_name=full_name,
            password=password,
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        audit_record("user.invite_accept", acting_user=user, obj=invitation, email=invitation.email)
    return user


# --- Sessions ------------------------------------------------------------------------------------


def user_sign_out_everywhere(*, user: User, acting_user: User, keep_session_key: str = "") -> int:
    """End every page session of `user` (but `keep_session_key`, the one asking) and blacklist
    their API refresh tokens. Returns the number of page sessions ended."""
    _tenant_only()
    with transaction.atomic():
        ended = [key for key in user_session_keys(user=user) if key != keep_session_key]
        Session.objects.filter(session_key__in=ended).delete()
        outstanding = OutstandingToken.objects.filter(
            user_id=user.pk, expires_at__gt=timezone.now()
        ).exclude(blacklistedtoken__isnull=False)
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
        audit_record(
            "user.sign_out_everywhere", acting_user=acting_user, obj=user, sessions=len(ended)
        )
    return len(ended)
