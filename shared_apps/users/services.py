"""Writes to an organization's staff users: create, change role, deactivate, reactivate, set a
password. Each is audited in the organization's log and checks the plan's staff-user limit.

Tenant-only: the users table of the public schema holds platform operators, who have no
organization audit log or plan; the public admin keeps Django's own forms for them.
"""

from __future__ import annotations

import logging

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django_tenants.utils import get_public_schema_name

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.plan_limits import PlanLimit, plan_limit_check
from shared_apps.users.models import User
from shared_apps.users.roles import Role
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
