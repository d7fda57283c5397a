"""Fixtures most of the donations tests use: a donor to give, and the end-of-test check of
deferred constraints that pledge tests take (the API clients of the roles that record and post
gifts, `fundraiser` and `bookkeeper`, are every app's, in tests.plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant


@pytest.fixture
def ada(alpha: Tenant) -> Donor:
    with schema_context(alpha.organization.schema_name):
        return donor_made("Ada", "Lovelace", emails=("ada@example.org",))


@pytest.fixture
def deferred_constraints_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests roll back, so the deferred schedule check would never fire: fire every deferred
    constraint at the end of each test, as a real commit would."""
    yield
    if (
        "db" in request.fixturenames
        and connection.in_atomic_block
        and not connection.needs_rollback
    ):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
