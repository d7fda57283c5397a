"""Which PostgreSQL schemas may be a tenant's: never PostgreSQL's own, the public schema, the
template or a spare, nor one already in the catalog that the tenant does not own.

A slug becomes a schema name by turning hyphens into underscores, so `information-schema` would
name PostgreSQL's `information_schema`: its tables would land there, and deleting the tenant
would drop PostgreSQL's catalog views for the whole database. Every place that creates, takes
or drops a tenant's schema asks this module first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_tenants.utils import get_public_schema_name, schema_exists

from provisioning.spares import SPARE_PREFIX
from provisioning.template import template_schema_name

# PostgreSQL keeps `pg_*` (pg_catalog, pg_toast, pg_temp_N...) and information_schema for itself.
_POSTGRESQL_PREFIX = "pg_"
_POSTGRESQL_SCHEMAS = frozenset({"information_schema"})


def schema_name_reserved_as(schema_name: str) -> str | None:
    """What `schema_name` is when it can never be a tenant's ("PostgreSQL's own schema", ...),
    or None. No query: the names are known. Compared without case, as a schema that differs
    from one of these only by case would be mistaken for it by people and by pg_dump patterns.
    """
    name = schema_name.lower()
    if name in _POSTGRESQL_SCHEMAS or name.startswith(_POSTGRESQL_PREFIX):
        return "PostgreSQL's own schema"
    if name == get_public_schema_name().lower():
        return "the platform's public schema"
    if name == template_schema_name().lower():
        return "the template schema new tenants are cloned from"
    if name.startswith(SPARE_PREFIX):
        return "a spare schema kept ready for new tenants"
    return None


def schema_name_in_catalog(schema_name: str) -> bool:
    """Whether a schema of that name, in any case, exists in the database (one query)."""
    return schema_exists(schema_name, case_sensitive=False)


def slug_reserved_message(slug: str) -> str:
    return f"“{slug}” is reserved; please choose another."


def tenant_schema_verify(*, slug: str, schema_name: str) -> None:
    """Raise ValidationError unless `schema_name` may be created, migrated into or dropped as
    the tenant `slug`'s own: refuses the names that are never a tenant's, whatever row (one
    made before this check existed, say) records them. Runs no query."""
    reserved_as = schema_name_reserved_as(schema_name)
    if reserved_as is not None:
        raise ValidationError(
            f"The schema {schema_name} recorded for “{slug}” is {reserved_as}, not a tenant's: "
            "nothing was created or dropped.",
            code="reserved_schema",
        )
