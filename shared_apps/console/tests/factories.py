"""Operators and stand-in tenants for the console's tests (public schema)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Domain, Organization, OrganizationState
from shared_apps.users.models import User

OPERATOR_PASSWORD = "Operator-Pass-2026"


def operator_made(email: str = "ops@ifm.test", **fields: Any) -> User:
    with schema_context("public"):
        fields.setdefault("is_operator", True)
        return User.objects.create_user(email, OPERATOR_PASSWORD, **fields)


def organization_made(
    *,
    slug: str | None = None,
    name: str = "Gamma Aid",
    state: str = OrganizationState.ACTIVE,
    owner_email: str = "",
    plan_code: str = "",
    tables_like: Organization | None = None,
) -> Organization:
    """An organization row with its domain, in the test's transaction.

    With `tables_like`, its schema gets empty copies of the tables the console counts in (the
    columns of that tenant's tables), enough for the list's numbers without a full provisioning.
    """
    from shared_apps.console.selectors import TENANT_TABLES

    slug = slug or f"t{uuid.uuid4().hex[:8]}"
    organization = Organization.objects.create(
        schema_name=f"tenant_{slug}",
        slug=slug,
        name=name,
        state=state,
        owner_email=owner_email or f"owner@{slug}.org",
        plan_code=plan_code,
    )
    Domain.objects.create(domain=f"{slug}.localhost", tenant=organization, is_primary=True)
    if tables_like is not None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote(organization.schema_name)}")
            for table in TENANT_TABLES.values():
                cursor.execute(
                    f"CREATE TABLE {quote(organization.schema_name)}.{quote(table)} "
                    f"(LIKE {quote(tables_like.schema_name)}.{quote(table)})"
                )
    return organization
