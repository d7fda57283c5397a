"""Cache invalidation for tenant routing: any saved or deleted Organization or Domain."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shared_apps.tenants.models import Domain, Organization
from shared_apps.tenants.selectors import tenant_routing_invalidate


@receiver([post_save, post_delete], sender=Organization)
@receiver([post_save, post_delete], sender=Domain)
def _routing_changed(**kwargs: Any) -> None:
    # Now, so this process sees the change at once, and again after commit, so that a request
    # that cached the old row between the two cannot keep it.
    tenant_routing_invalidate()
    transaction.on_commit(tenant_routing_invalidate)
