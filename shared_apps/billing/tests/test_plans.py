"""The plans offered at signup are there after migrating, in the public schema only."""

from __future__ import annotations

import pytest
from django.db import connection

from shared_apps.billing import selectors
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_the_seeded_plans_are_offered_cheapest_first() -> None:
    plans = list(selectors.plans_offered())

    assert [plan.code for plan in plans] == ["starter", "standard", "plus"]
    assert plans[-1].max_donors is None
    assert plans[0].max_donors == 500
    standard = selectors.plan_by_code("standard")
    assert standard is not None
    assert standard.monthly_price == 49


def test_no_tenant_schema_holds_billing_tables(alpha: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'billing_plan'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["public"]
