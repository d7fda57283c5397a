"""The public tenant and platform operators."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from shared_apps.tenants.models import Domain, Organization, OrganizationState
from shared_apps.users.models import User


def public_tenant_ensure() -> Organization:
    """The public schema's Organization row and its domain, PLATFORM_DOMAIN (idempotent)."""
    with transaction.atomic():
        public, _ = Organization.objects.get_or_create(
            schema_name=get_public_schema_name(),
            defaults={"name": "IFM platform", "slug": "public", "state": OrganizationState.ACTIVE},
        )
        domain = Domain.objects.filter(tenant=public, is_primary=True).first()
        if domain is None:
            Domain.objects.create(domain=settings.PLATFORM_DOMAIN, tenant=public, is_primary=True)
        elif domain.domain != settings.PLATFORM_DOMAIN:
            domain.domain = settings.PLATFORM_DOMAIN
            domain.save(update_fields=["domain"])
    return public


def operator_ensure(*, email: str, password: str | None) -> bool:
    """Create an operator in the public schema unless one has that email. True if created."""
    with schema_context(get_public_schema_name()):
        if User.objects.filter(email__iexact=email).exists():
            return False
        User.objects.create_superuser(email, password)
        return True
