"""Writes to the organization's audit log; each caller writes in its own transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from saas_platform.lib.bulk import rows_insert
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


def audit_event(
    action: str,
    *,
    acting_user: User | AnonymousUser | None,
    obj: models.Model | None = None,
    **detail: Any,
) -> AuditEvent:
    """The audit row of a change, not yet saved: audit_record saves one, audit_events_record
    many at once."""
    return AuditEvent(
        action=action,
        actor=actor_of(acting_user),
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
    )


def audit_record(
    action: str,
    *,
    acting_user: User | AnonymousUser | None,
    obj: models.Model | None = None,
    **detail: Any,
) -> AuditEvent:
    """The audit row of a change (one log per organization, in its schema); `obj` is what
    changed, if the change has one object."""
    event = audit_event(action, acting_user=acting_user, obj=obj, **detail)
    event.save(force_insert=True)
    return event


def audit_events_record(events: list[AuditEvent]) -> list[AuditEvent]:
    """The audit rows of a batch of changes (see audit_event), written in one statement in the
    caller's transaction; inside audit_events_together(), kept for its one statement."""
    together = _together.get()
    if together is not None:
        together.extend(events)
        return events
    return rows_insert(events)


_together: ContextVar[list[AuditEvent] | None] = ContextVar("audit_together", default=None)


@contextmanager
def audit_events_together() -> Iterator[None]:
    """The audit rows the services record in batches (audit_events_record) inside the block,
    written in one statement when it ends without an error, in the caller's transaction: a
    batch of online gifts writes its gifts', entries' and postings' rows at once. Rows keep the
    order they were recorded in. Nested blocks write with the outermost."""
    if _together.get() is not None:
        yield
        return
    token = _together.set([])
    try:
        yield
        events = _together.get() or []
    finally:
        _together.reset(token)
    rows_insert(events)


def audit_value(value: Any) -> Any:
    """A changed value as the audit log's JSON holds it: a related row by its key, text and
    numbers as they are, anything else (a date, an amount) as its text."""
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def changes_save[Row: models.Model](
    obj: Row,
    changes: dict[str, Any],
    *,
    action: str,
    acting_user: User | AnonymousUser | None,
    **detail: Any,
) -> Row:
    """Set `changes` on `obj`, save those fields, and write the audit row, in one transaction;
    nothing happens when there are no changes. The audit row holds `detail` if given, else the
    changes themselves (see audit_value)."""
    if not changes:
        return obj
    fields = [*changes]
    if any(field.name == "updated_at" for field in obj._meta.concrete_fields):
        fields.append("updated_at")
    with transaction.atomic():
        for name, value in changes.items():
            setattr(obj, name, value)
        obj.save(update_fields=fields)
        audit_record(
            action,
            acting_user=acting_user,
            obj=obj,
            **(detail or {name: audit_value(value) for name, value in changes.items()}),
        )
    return obj
