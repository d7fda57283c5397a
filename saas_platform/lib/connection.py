"""The default database connection as django-tenants' backend extends it, typed for the checker.

django-tenants' PostgreSQL backend adds the current schema and tenant to the connection, but
Django's stubs type `django.db.connection` as a plain `BaseDatabaseWrapper`. Modules that read or
switch the schema import `connection` from here: it is the same per-thread proxy.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper


class TenantDatabaseWrapper(BaseDatabaseWrapper):
    """What `django_tenants.postgresql_backend.base.DatabaseWrapper` adds; never instantiated."""

    schema_name: str
    # An Organization, or django-tenants' FakeTenant when a schema was set by name.
    tenant: Any

    def set_schema_to_public(self) -> None: ...

    def set_schema(self, schema_name: str, include_public: bool = True) -> None: ...

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...


connection = cast(TenantDatabaseWrapper, default_connection)
