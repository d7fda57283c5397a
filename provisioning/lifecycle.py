"""Lifecycle checks: every tenant has its schema and every schema its tenant."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django_tenants.utils import get_public_schema_name

from provisioning.models import SpareSchema
from provisioning.schemas import schema_name_reserved_as
from provisioning.spares import spares_usable
from provisioning.template import template_schema_name, template_state
from shared_apps.tenants.models import Organization, OrganizationState


@dataclass(frozen=True)
class TenantsReport:
    orphan_schemas: list[str]  # schemas no organization owns
    missing_schemas: list[tuple[str, str, str]]  # (slug, schema, state) of tenants without one
    spares_ready: int = 0  # spare schemas of the template's current state
    # (slug, schema, what it is) of tenants recording a schema that is never a tenant's:
    # PostgreSQL's own, the public schema, the template, a spare (rows older than that rule)
    misplaced_tenants: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.orphan_schemas and not self.missing_schemas and not self.misplaced_tenants


def tenants_check() -> TenantsReport:
    """Compare the database's schemas with the organizations. The public schema, the template,
    the spare schemas and PostgreSQL's own schemas are not tenants; closed organizations keep
    no schema."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%'"
            " AND nspname <> 'information_schema' ORDER BY nspname"
        )
        schemas = {row[0] for row in cursor.fetchall()}
    spares = set(SpareSchema.objects.values_list("schema_name", flat=True))
    not_tenants = {get_public_schema_name(), template_schema_name(), *spares}
    owned = set(Organization.objects.values_list("schema_name", flat=True))
    orphans = sorted(schemas - owned - not_tenants)
    tenants = (
        Organization.objects.exclude(schema_name=get_public_schema_name())
        .order_by("slug")
        .values_list("slug", "schema_name", "state")
    )
    misplaced: list[tuple[str, str, str]] = []
    missing: list[tuple[str, str, str]] = []
    for slug, schema_name, state in tenants:
        reserved_as = schema_name_reserved_as(schema_name)
        if reserved_as is not None:
            misplaced.append((slug, schema_name, reserved_as))
        elif state != OrganizationState.CLOSED and schema_name not in schemas:
            missing.append((slug, schema_name, state))
    state, key = template_state()
    ready = spares_usable(key).filter(schema_name__in=schemas).count()
    return TenantsReport(
        orphan_schemas=orphans,
        missing_schemas=missing,
        spares_ready=ready if state == "ready" else 0,
        misplaced_tenants=misplaced,
    )
