"""Reads of the organization's audit log."""

from __future__ import annotations

from tenant_apps.core.models import AuditEvent


def audit_events_recent(*, limit: int) -> list[AuditEvent]:
    """The latest `limit` events of the current schema's log, newest first, with their actors."""
    return list(AuditEvent.objects.select_related("actor").order_by("-at", "-id")[:limit])
