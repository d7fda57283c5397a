"""Tests of the tenant apps run in a transaction that is rolled back, so the deferred checks (an
entry that balances, a gift whose allocations add up to its amount) would never fire. Firing
every deferred constraint at the end of each test makes a write that breaks one a test failure,
as it would be at a real commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _deferred_constraints_checked(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "db" not in request.fixturenames:
        return
    from django.db import connection

    if connection.in_atomic_block and not connection.needs_rollback:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
