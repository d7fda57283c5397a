"""A service's writes all or none (all_or_none): a savepoint of their own inside a caller's
transaction, so that the caller can go on after a refusal, and none inside an undone_whole()
block, which any failure undoes whole."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.transactions import all_or_none, undone_whole
from tenant_apps.accounting.models import Fund
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _fund_made_then_refused(code: str) -> None:
    """A service that writes a row, then refuses."""
    with all_or_none():
        Fund.objects.create(code=code, name=f"Fund {code}", restriction="without")
        raise ServiceError("Refused after writing.")


def test_a_caller_that_catches_a_refusal_goes_on_with_what_it_wrote_before(
    alpha: Tenant,
) -> None:
    with schema_context("alpha"), transaction.atomic():
        Fund.objects.create(code="KEPT", name="Kept", restriction="without")
        with CaptureQueriesContext(connection) as queries, pytest.raises(ServiceError):
            _fund_made_then_refused("GONE")
        assert any(q["sql"].startswith("SAVEPOINT") for q in queries)
        # The refused write is undone, the caller's kept, and the transaction goes on.
        assert set(
            Fund.objects.filter(code__in=["KEPT", "GONE"]).values_list("code", flat=True)
        ) == {"KEPT"}


def test_inside_undone_whole_a_service_makes_no_savepoint_and_a_refusal_undoes_the_block(
    alpha: Tenant,
) -> None:
    with schema_context("alpha"), transaction.atomic():
        Fund.objects.create(code="BEFORE", name="Before", restriction="without")
        with (
            CaptureQueriesContext(connection) as queries,
            pytest.raises(ServiceError),
            undone_whole(),
        ):
            Fund.objects.create(code="INBLOCK", name="In block", restriction="without")
            with all_or_none():
                Fund.objects.create(code="NESTED", name="Nested", restriction="without")
            _fund_made_then_refused("GONE")
        # The block's own savepoint only.
        assert sum(q["sql"].startswith("SAVEPOINT") for q in queries) == 1
        codes = ["BEFORE", "INBLOCK", "NESTED", "GONE"]
        assert set(Fund.objects.filter(code__in=codes).values_list("code", flat=True)) == {"BEFORE"}
        # After the block, services make their savepoints again.
        with CaptureQueriesContext(connection) as queries, pytest.raises(ServiceError):
            _fund_made_then_refused("AFTER")
        assert any(q["sql"].startswith("SAVEPOINT") for q in queries)


def test_inside_undone_whole_going_on_after_a_caught_refusal_is_refused_and_undoes_the_block(
    alpha: Tenant,
) -> None:
    """What undone_whole() asks of its block, enforced: a refusal caught inside it leaves the
    block unable to go on, so the block fails and is undone rather than half written."""
    with schema_context("alpha"), transaction.atomic():
        with pytest.raises(TransactionManagementError), undone_whole():
            Fund.objects.create(code="INBLOCK", name="In block", restriction="without")
            with contextlib.suppress(ServiceError):
                _fund_made_then_refused("GONE")
            Fund.objects.create(code="LATER", name="Later", restriction="without")
        codes = ["INBLOCK", "GONE", "LATER"]
        assert not Fund.objects.filter(code__in=codes).exists()
