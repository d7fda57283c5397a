"""Writes to the organization's audit log; each caller writes in its own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from tenant_apps.core.models import AuditEvent

if TYPE_CHECKING:
    # Types only (import-linter leaves type-checking imports out): the audit log sits below
    # every app that acts, the users app included.
    from django.contrib.auth.models import AnonymousUser

    from shared_apps.users.models import User


def actor_of(user: User | AnonymousUser | None) -> User | None:
    """The user to record as having acted: anonymous callers (a webhook, a task, the giving page)
    act as the system, recorded as no user."""
    if user is None or not user.is_authenticated:
        return None
    return user


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
