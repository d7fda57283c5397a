"""Reads for the console: the tenant list with per-schema numbers, a tenant's page (and the
actions it offers), the audit.

Per-tenant numbers (donors, gifts, last activity, schema size) live in each tenant's schema.
They are read live for the page being shown, in a fixed number of statements whatever the page
size or the number of tenants:

1. one catalog query over the page's schemas: which of the tables we count exist in each (a
   failed provisioning may have stopped before creating them) and the schema's size, the sum of
   pg_total_relation_size (table, its indexes and TOAST) over its tables;
2. one UNION ALL statement with a row per schema of the page that has tables, counting in each.

Why live rather than a stats table refreshed by Celery beat: the page shows at most PAGE_SIZE
tenants, counting is cheap next to the page's other work, the numbers are exact at the moment an
operator looks (just after suspending or deleting, say), and there is no second copy to keep in
step with tenants created, renamed or dropped. The price: the list sorts only on the public
columns (name, slug, state, plan, created), not on the counts.

Schema names are quoted identifiers taken from Organization.schema_name, which provisioning
builds from a validated slug; they are quoted again here, never interpolated raw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from shared_apps.console.models import (
    DELETION_PENDING_STATES,
    OperatorAuditEvent,
    TenantDeletion,
    TenantExport,
)
from shared_apps.tenants.models import Organization, OrganizationState
from tenant_apps.core.selectors import audit_events_recent

PAGE_SIZE = 25
# A `provisioning` tenant that has not moved for this long was interrupted (a worker died); it
# may be resumed like a failed one. A younger one may still be running: retrying would race it.
STALLED_PROVISIONING = timedelta(minutes=15)

# Sort keys offered on the list: public columns only (see the module docstring).
SORTS = {
    "name": ("name", "slug"),
    "slug": ("slug",),
    "state": ("state", "name"),
    "plan": ("plan_code", "name"),
    "created": ("created_at", "slug"),
}
DEFAULT_SORT = "name"


def _quoted(identifier: str) -> str:
    return connection.ops.quote_name(identifier)


# The tenant tables the list reads, by what they are for. Named, not taken from the models: the
# console lives in the public schema and reads every tenant's schema by name, so it does not import
# the tenant apps (console/tests/test_selectors.py checks these against the models' db_table).
TENANT_TABLES = {
    "donors": "donors_donor",
    "gifts": "donations_gift",
    "audit": "accounting_auditevent",
    "users": "users",
}


@dataclass(frozen=True)
class TenantStats:
    donors: int | None = None
    gifts: int | None = None
    last_activity: datetime | None = None
    size_bytes: int | None = None


def _scalar(schema: str, table: str, present: set[str], expression: str) -> str | None:
    """`(SELECT expression FROM "schema"."table")`, or None when the table is missing.

    Only identifiers go into the text, quoted; the schema is one our catalog query returned.
    """
    if table not in present:
        return None
    qualified = f"{_quoted(schema)}.{_quoted(table)}"
    return f"(SELECT {expression} FROM {qualified})"  # noqa: S608 - quoted identifiers only


def tenant_stats(schema_names: list[str]) -> dict[str, TenantStats]:
    """Numbers for each schema in `schema_names`: two queries, whatever their count."""
    schema_names = [name for name in schema_names if name != get_public_schema_name()]
    if not schema_names:
        return {}
    tables = TENANT_TABLES
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname,
                   COALESCE(SUM(pg_total_relation_size(c.oid))
                            FILTER (WHERE c.relkind IN ('r', 'p', 'm')), 0),
                   ARRAY_REMOVE(ARRAY_AGG(c.relname::text)
                                FILTER (WHERE c.relkind IN ('r', 'p')
                                        AND c.relname = ANY(%s)), NULL)
            FROM pg_namespace n
            LEFT JOIN pg_class c ON c.relnamespace = n.oid
            WHERE n.nspname = ANY(%s)
            GROUP BY n.nspname
            """,
            [list(tables.values()), schema_names],
        )
        catalog = {name: (int(size), set(present or ())) for name, size, present in cursor}

        selects: list[str] = []
        params: list[Any] = []
        for schema in schema_names:
            if schema not in catalog:
                continue
            present = catalog[schema][1]

            donors = _scalar(schema, tables["donors"], present, "COUNT(*)") or "NULL::bigint"
            gifts = _scalar(schema, tables["gifts"], present, "COUNT(*)") or "NULL::bigint"
            activity = [
                part
                for part in (
                    _scalar(schema, tables["audit"], present, 'MAX("at")'),
                    _scalar(schema, tables["users"], present, "MAX(last_login)"),
                )
                if part
            ]
            last_activity = f"GREATEST({', '.join(activity)})" if activity else "NULL::timestamptz"
            selects.append(f"SELECT %s::text, {donors}, {gifts}, {last_activity}")
            params.append(schema)
        counted: dict[str, tuple[Any, Any, Any]] = {}
        if selects:
            cursor.execute(" UNION ALL ".join(selects), params)
            counted = {row[0]: row[1:] for row in cursor}

    stats = {}
    for schema, (size, _present) in catalog.items():
        donors, gifts, last_activity = counted.get(schema, (None, None, None))
        stats[schema] = TenantStats(
            donors=donors, gifts=gifts, last_activity=last_activity, size_bytes=size
        )
    return stats


@dataclass(frozen=True)
class TenantRow:
    organization: Organization
    stats: TenantStats


def tenant_search(*, query: str = "", sort: str = DEFAULT_SORT) -> QuerySet[Organization]:
    """Tenants (never the public schema) matching `query` in name, slug or owner email, each
    with `deletion_pending` (a deletion is queued or running) computed in the same query."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    fields = SORTS.get(key, SORTS[DEFAULT_SORT])
    ordering = [f"-{field}" if descending else field for field in fields]
    organizations = (
        Organization.objects.exclude(schema_name=get_public_schema_name())
        .select_related("subscription__plan")
        .annotate(
            deletion_pending=Exists(
                TenantDeletion.objects.filter(
                    organization_id=OuterRef("pk"), state__in=DELETION_PENDING_STATES
                )
            )
        )
        .order_by(*ordering, "pk")
    )
    query = query.strip()
    if query:
        organizations = organizations.filter(
            Q(name__icontains=query) | Q(slug__icontains=query) | Q(owner_email__icontains=query)
        )
    return organizations


def tenant_list_page(
    *, query: str = "", sort: str = DEFAULT_SORT, page: Any = 1
) -> tuple[Page, list[TenantRow]]:
    """One page of tenants with their numbers: the count, the page, and two stats queries."""
    paginator = Paginator(tenant_search(query=query, sort=sort), PAGE_SIZE)
    current = paginator.get_page(page)
    organizations = list(current.object_list)
    stats = tenant_stats([organization.schema_name for organization in organizations])
    rows = [
        TenantRow(
            organization=organization, stats=stats.get(organization.schema_name, TenantStats())
        )
        for organization in organizations
    ]
    return current, rows


def tenant_recent_events(*, organization: Organization, limit: int = 15) -> list[Any]:
    """The tenant's own latest audit events, if its schema has its audit log yet."""
    table = f"{_quoted(organization.schema_name)}.{_quoted(TENANT_TABLES['audit'])}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [table])
        if cursor.fetchone()[0] is None:
            return []
    with schema_context(organization.schema_name):
        return audit_events_recent(limit=limit)


def operator_events(*, organization_id: int | None = None, slug: str = "") -> QuerySet:
    events = OperatorAuditEvent.objects.select_related("actor")
    if organization_id is not None:
        events = events.filter(organization_id=organization_id)
    elif slug:
        events = events.filter(organization_slug=slug)
    return events


def tenant_exports(*, organization_id: int) -> QuerySet[TenantExport]:
    return TenantExport.objects.filter(organization_id=organization_id).select_related(
        "requested_by"
    )


def tenant_deletion_pending(*, organization_id: int) -> TenantDeletion | None:
    """The deletion of this tenant that is queued or running, if any."""
    return (
        TenantDeletion.objects.filter(
            organization_id=organization_id, state__in=DELETION_PENDING_STATES
        )
        .select_related("requested_by")
        .first()
    )


def tenant_deletion_latest(*, slug: str) -> TenantDeletion | None:
    """The latest deletion requested for the tenant with this slug (which may be gone)."""
    return (
        TenantDeletion.objects.filter(organization_slug=slug)
        .select_related("requested_by", "export")
        .first()
    )


# --- Actions offered ---------------------------------------------------------------------


def organization_retry_allowed(organization: Organization) -> bool:
    """Whether the tenant's provisioning may be retried: it failed, or it has not moved for
    STALLED_PROVISIONING."""
    if organization.state == OrganizationState.FAILED:
        return True
    return (
        organization.state == OrganizationState.PROVISIONING
        and timezone.now() - organization.state_changed_at >= STALLED_PROVISIONING
    )
