"""Writes of organizations that more than one part of the platform makes."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from shared_apps.tenants.models import Organization


def organization_state_set(
    *, organization: Organization, state: str, reason: str, changed_at: datetime | None = None
) -> datetime:
    """Put an organization in `state`, saying why, and return when it changed. A save, not a
    queryset update: the post_save signal retires the routing cache, so the tenant's hosts
    refuse (or serve) it from the next request on. The caller owns the transaction.

    `changed_at` is now unless given: putting back a state that was interrupted (a deletion that
    failed) gives its original moment, which billing compares with when it suspended."""
    organization.state = state
    organization.state_reason = reason
    organization.state_changed_at = changed_at or timezone.now()
    organization.save(update_fields=["state", "state_reason", "state_changed_at", "updated_at"])
    return organization.state_changed_at
