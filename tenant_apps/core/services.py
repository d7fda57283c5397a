"""Writes to the organization's audit log; each caller writes in its own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from tenant_apps.core.models import AuditEvent

if TYPE_CHECKING:
    # Django's base classes, not the users app: the audit log sits below every app that acts.
    from django.contrib.auth.base_user import AbstractBaseUser as User
    from django.contrib.auth.models import AnonymousUser


def actor_of(user: User | AnonymousUser | None) -> User | None:
    """The user to record as having acted: anonymous callers (a webhook, a task, the giving page)
    act as the system, recorded as no user."""
    return user if user is not None and user.is_authenticated else None  # type: ignore[return-value]


def audit_record(
    action: str,
    *,
    acting_user: User | AnonymousUser | None,
    obj: models.Model | None = None,
    **detail: Any,
) -> AuditEvent:
    """The audit row of a change (one log per organization, in its schema); `obj` is what
    changed, if the change has one object."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor_of(acting_user),
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
    )
