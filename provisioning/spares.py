"""Spare schemas: clones of the template made ahead of time and renamed into new tenants.

Cloning the template (provisioning.template) replays a few hundred DDL statements; renaming a
schema is one catalog update. So a few clones are kept ready (`spares_wanted()`,
named `_spare_<hex>`, never routable). The schema step of provisioning claims one, renames it to the
tenant's schema in the step's own transaction, and queues a refill for after the commit. When
none is ready (a burst of signups, a fresh deploy), the step clones the template as before.

- Seeded: a spare is made with the chart of accounts, funds and programs loaded
  (`seed_key()` names the chart files' contents), so the signup's seed step only opens the
  fiscal year; spares of another chart are dropped by the next refill, like stale ones.
- Pool size: `spares_wanted()` follows the last hour's signups between a minimum and a maximum.
- Staleness: a spare records the template state it was cloned from (`template_state()`'s key).
  It is handed out only while that is the template's current state and its own
  django_migrations equal the code's migration graph, checked on every claim. Spares of an older
  state are dropped by the next refill (`migrate_schemas` refreshes the template, then refills).
- Concurrency: a claim locks the spare's row (SKIP LOCKED), so two provisionings never get the
  same one; one refill runs at a time (an advisory lock), others return at once.
- Functions created with `SET search_path FROM CURRENT` are pinned to the schema they were made
  in: the rename rewrites those pinned paths in the same transaction.
"""

from __future__ import annotations

import logging
import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from provisioning.models import SpareSchema
from provisioning.seed import chart_seed, seed_key
from provisioning.template import migration_nodes, quote_name, template_state, tenant_schema_clone
from saas_platform.lib.connection import connection
from saas_platform.lib.database import session_database_alias
from shared_apps.tenants.models import Organization

logger = logging.getLogger(__name__)

SPARE_PREFIX = "_spare_"
# pg_advisory_lock key of the refill (any fixed number; "spares" in ASCII).
_REFILL_LOCK = 0x737061726573


def spares_wanted() -> int:
    """How many spares to keep: the last hour's signups times PROVISIONING_SPARE_SIGNUP_PERCENT
    / 100, rounded up, at least PROVISIONING_SPARE_SCHEMAS, at most
    PROVISIONING_SPARE_SCHEMAS_MAX. A burst of signups grows the pool at the refill each
    signup queues; a quiet hour brings it back to the minimum. One query, none without a
    range to choose from."""
    minimum = spares_minimum()
    maximum = int(getattr(settings, "PROVISIONING_SPARE_SCHEMAS_MAX", 0))
    if maximum <= minimum:
        return minimum
    percent = max(0, int(getattr(settings, "PROVISIONING_SPARE_SIGNUP_PERCENT", 25)))
    signups = Organization.objects.filter(
        created_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    return max(minimum, min(maximum, math.ceil(signups * percent / 100)))


def spares_minimum() -> int:
    return max(0, int(getattr(settings, "PROVISIONING_SPARE_SCHEMAS", 0)))


def spares_kept() -> bool:
    """Whether spares are kept at all (settings only, no query): the signup path asks it."""
    return max(spares_minimum(), int(getattr(settings, "PROVISIONING_SPARE_SCHEMAS_MAX", 0))) > 0


def spares_usable(template_key: str | None) -> QuerySet[SpareSchema]:
    """The spares a signup may be given: made from the template of `template_key`, seeded with
    the chart of today's `seed_key` or not seeded at all. What readiness and metrics count."""
    if template_key is None:
        return SpareSchema.objects.none()
    return SpareSchema.objects.filter(template_key=template_key, seed_key__in=[seed_key(), ""])


def spare_claim(schema_name: str) -> bool:
    """Rename a ready spare to `schema_name`, in the caller's transaction. False when there is
    none of the template's current state (the caller clones the template instead)."""
    state, key = template_state()
    if state != "ready":
        return False
    while True:
        spare = (
            spares_usable(key)
            .select_for_update(skip_locked=True)
            .order_by("-seed_key", "id")  # seeded ones first
            .first()
        )
        if spare is None:
            return False
        if _migrations_current(spare.schema_name):
            break
        logger.warning("spare schema %s is not at the code's migrations: dropped", spare)
        _spare_drop(spare)
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER SCHEMA {quote_name(spare.schema_name)} RENAME TO {quote_name(schema_name)}"
        )
    pinned_paths_rename(schema_name, old=spare.schema_name)
    spare.delete()
    return True


def spares_refill() -> int:
    """Drop spares of another template state (and any beyond the number wanted), then clone
    new seeded ones until `spares_wanted()` are ready. Returns how many were made.

    Each spare is made in its own transaction. Runs in the public schema; when another refill
    holds the lock this one returns 0 at once.
    """
    connection.set_schema_to_public()
    # A session lock, so on a connection to PostgreSQL itself: through a pooler in transaction
    # mode the unlock could reach another server session than the lock.
    lock_connection = connections[session_database_alias()]
    with lock_connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFILL_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    try:
        return _refill()
    finally:
        connection.set_schema_to_public()
        with lock_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK])


def _refill() -> int:
    state, key = template_state()
    wanted = spares_wanted() if state == "ready" else 0
    current = list(
        SpareSchema.objects.filter(template_key=key or "", seed_key=seed_key()).values_list(
            "pk", flat=True
        )
    )
    keep = set(current[:wanted])
    for spare_id in SpareSchema.objects.exclude(pk__in=keep).values_list("pk", flat=True):
        with transaction.atomic():
            spare = (
                SpareSchema.objects.select_for_update(skip_locked=True).filter(pk=spare_id).first()
            )
            if spare is not None:  # else a provisioning is claiming it
                _spare_drop(spare)
    made = 0
    while key is not None and SpareSchema.objects.filter(template_key=key).count() < wanted:
        schema_name = f"{SPARE_PREFIX}{secrets.token_hex(6)}"
        with transaction.atomic():
            if not tenant_schema_clone(schema_name):
                break  # the template went stale meanwhile: the next refill starts over
            # The chart is loaded here, off the signup path: the seed step then only opens
            # the fiscal year of the day the spare is claimed (provisioning.seed).
            with schema_context(schema_name):
                chart_seed()
            connection.set_schema_to_public()
            SpareSchema.objects.create(
                schema_name=schema_name, template_key=key, seed_key=seed_key()
            )
        connection.set_schema_to_public()
        made += 1
    if made:
        logger.info("made %d spare schema(s)", made)
    return made


def spares_rekey() -> int:
    """Hand the template's current state to the spares that `migrate_schemas` migrated along
    with the tenants: a spare at the code's migrations is what a clone of the migrated
    template would be, so it need not be dropped and cloned again. Returns how many."""
    state, key = template_state()
    if state != "ready" or key is None:
        return 0
    rekeyed = 0
    for spare in SpareSchema.objects.exclude(template_key=key):
        if _migrations_current(spare.schema_name):
            rekeyed += (
                SpareSchema.objects.filter(pk=spare.pk)
                .exclude(template_key=key)
                .update(template_key=key)
            )
    return rekeyed


def _spare_drop(spare: SpareSchema) -> None:
    with connection.cursor() as cursor:
        # A spare seeded in this same transaction (a test's) still has its foreign keys'
        # deferred checks pending, and PostgreSQL refuses to drop a table with pending trigger
        # events: run the checks of this schema's constraints now (only this schema's).
        cursor.execute(
            "SELECT string_agg(DISTINCT quote_ident(%s) || '.' || quote_ident(conname), ', ')"
            " FROM pg_constraint WHERE connamespace = to_regnamespace(%s) AND condeferrable",
            [spare.schema_name, spare.schema_name],
        )
        deferrable = cursor.fetchone()[0]
        if deferrable:
            cursor.execute(f"SET CONSTRAINTS {deferrable} IMMEDIATE")
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote_name(spare.schema_name)} CASCADE")
    spare.delete()


def _migrations_current(schema_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [f"{quote_name(schema_name)}.django_migrations"]
        )
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            f"SELECT app, name FROM {quote_name(schema_name)}.django_migrations"  # noqa: S608
        )
        return set(cursor.fetchall()) == migration_nodes()


def pinned_paths_rename(schema_name: str, *, old: str) -> None:
    """Point the search paths pinned on the schema's functions at its new name."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.oid::regprocedure::text, substr(setting, length('search_path=') + 1)
            FROM pg_proc p, unnest(p.proconfig) AS setting
            WHERE p.pronamespace = to_regnamespace(%s) AND setting LIKE 'search_path=%%'
            """,
            [schema_name],
        )
        pinned = cursor.fetchall()
        statements = []
        for signature, path in pinned:
            elements = [element.strip() for element in path.split(",")]
            renamed = [
                quote_name(schema_name) if element.strip('"') == old else element
                for element in elements
            ]
            # the signature comes from regprocedure, already quoted as needed
            new_path = ", ".join(renamed)
            statements.append(f"ALTER FUNCTION {signature} SET search_path TO {new_path};")
        if statements:
            cursor.execute("\n".join(statements))
