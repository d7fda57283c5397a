"""The audit log moved from accounting to core without touching its table: rows written before
the move are read by the core model after it, from the same table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from saas_platform.lib.connection import connection
from tenant_apps.core.models import AuditEvent
from tenant_apps.core.services import audit_record
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

SCRATCH = "scratch_audit"


def _migrate(*target: str) -> None:
    call_command("migrate_schemas", *target, schema_name=SCRATCH, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _applied(app: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT name FROM "{SCRATCH}".django_migrations WHERE app = %s ORDER BY name',  # noqa: S608
            [app],
        )
        return [name for (name,) in cursor.fetchall()]


@pytest.fixture
def scratch() -> Iterator[str]:
    """A schema that is no tenant (dropped with the test's rollback)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {SCRATCH}")
    yield SCRATCH
    connection.set_schema_to_public()


def test_rows_written_before_the_move_are_read_after_it(scratch: str) -> None:
    # Given a schema as it was before the move: accounting owns the log, core does not exist.
    _migrate()
    _migrate("core", "zero")
    assert _applied("core") == []
    assert "0005_auditevent_to_core" not in _applied("accounting")
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{SCRATCH}".accounting_auditevent'  # noqa: S608
            " (action, at, object_type, object_id, detail)"
            " VALUES ('fund.create', now(), 'fund', '7', '{\"code\": \"GEN\"}')"
        )
    # When the move is applied.
    _migrate()
    assert _applied("core") == ["0001_initial"]
    # Then the core model reads the row from the table it always was in.
    with schema_context(SCRATCH):
        (event,) = AuditEvent.objects.all()
        assert (event.action, event.object_type, event.object_id) == ("fund.create", "fund", "7")
        assert event.detail == {"code": "GEN"}
        assert event.actor is None


def test_an_existing_tenant_writes_and_reads_the_same_table(alpha: Tenant) -> None:
    assert AuditEvent._meta.db_table == "accounting_auditevent"
    with schema_context(alpha.organization.schema_name):
        event = audit_record("test.event", acting_user=alpha.owner, obj=alpha.owner, note="x")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT action, actor_id, object_type, object_id FROM accounting_auditevent"
                " WHERE id = %s",
                [event.pk],
            )
            row = cursor.fetchone()
    assert row == ("test.event", alpha.owner.pk, "user", str(alpha.owner.pk))
