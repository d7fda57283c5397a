"""Operators and stand-in tenants for the console's tests (public schema)."""

from __future__ import annotations

from typing import Any

import factory
from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Domain, Organization, OrganizationState
from shared_apps.users.tests.factories import UserFactory

OPERATOR_PASSWORD = "Operator-Pass-2026"


class OperatorFactory(UserFactory):
    """A platform operator, made in the public schema whatever schema is current (pass
    `is_superuser=True` for one that `createsuperuser` would make)."""

    email = "ops@ifm.test"
    is_operator = True

    @classmethod
    def _generate(cls, strategy: str, params: dict[str, Any]) -> Any:
        params.setdefault("password", OPERATOR_PASSWORD)
        # The whole of it, its post-generation save included, in the public schema.
        with schema_context("public"):
            return super()._generate(strategy, params)


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    """An organization row with its domain, in the test's transaction.

    With `tables_like=<organization>`, its schema gets empty copies of the tables the console
    counts in (the columns of that tenant's tables), enough for the list's numbers without a
    full provisioning.
    """

    class Meta:
        model = Organization
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda number: f"t{number:08d}")
    schema_name = factory.LazyAttribute(lambda organization: f"tenant_{organization.slug}")
    name = "Gamma Aid"
    state = OrganizationState.ACTIVE
    owner_email = factory.LazyAttribute(lambda organization: f"owner@{organization.slug}.org")
    plan_code = ""

    @factory.post_generation
    def domain(  # noqa: N805 - factory-boy's signature
        obj: Organization, create: bool, extracted: object, **kwargs: object
    ) -> None:
        Domain.objects.create(domain=f"{obj.slug}.localhost", tenant=obj, is_primary=True)

    @factory.post_generation
    def tables_like(  # noqa: N805 - factory-boy's signature
        obj: Organization, create: bool, extracted: Organization | None, **kwargs: object
    ) -> None:
        from shared_apps.console.selectors import TENANT_TABLES

        if extracted is None:
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote(obj.schema_name)}")
            for table in TENANT_TABLES.values():
                cursor.execute(
                    f"CREATE TABLE {quote(obj.schema_name)}.{quote(table)} "
                    f"(LIKE {quote(extracted.schema_name)}.{quote(table)})"
                )
