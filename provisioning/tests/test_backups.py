"""Logical backups: a tenant exported, its data deleted, then restored from the dump, into a
new schema and over its own, with every table's row count and the trial balance as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django import DjangoDbBlocker, Settings

from provisioning.backups import (
    backup_folder,
    restored_schema_name,
    tenant_backup_export,
    tenant_backups,
    tenant_backups_prune,
)
from provisioning.tasks import backups_nightly
from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Organization, OrganizationState
from tests.plugin import Tenant


def _row_counts(schema_name: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = %s ORDER BY 1",
            [schema_name],
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = " UNION ALL ".join(
            f"SELECT '{table}', count(*) FROM \"{schema_name}\".{table}"  # noqa: S608 - catalog names
            for table in tables
        )
        cursor.execute(counts)
        return dict(cursor.fetchall())


def _trial_balance(schema_name: str) -> Any:
    from tenant_apps.accounting.reports import trial_balance

    with schema_context(schema_name):
        report = trial_balance(as_of=timezone.localdate())
        return [dict(row) if isinstance(row, dict) else row for row in report.rows]


def _books_filled(organization: Organization) -> None:
    from tenant_apps.accounting.services import post_contribution
    from tenant_apps.donors.tests.factories import DonorFactory

    with schema_context(organization.schema_name):
        for amount in ("125.00", "80.50", "1000.00"):
            post_contribution(
                date=timezone.localdate(), amount=Decimal(amount), fund="GEN", acting_user=None
            )
        DonorFactory.create(
            first_name="Grace", last_name="Hopper", emails=("grace@example.org",), tags=("Board",)
        )
        DonorFactory.create(first_name="Alan", last_name="Turing", phones=("555 010 2030",))


def _data_deleted(schema_name: str) -> None:
    with connection.cursor() as cursor:
        # TRUNCATE, as a mistaken script would: the ledger's row triggers do not stop it.
        cursor.execute(
            f'TRUNCATE "{schema_name}".accounting_journalline, '
            f'"{schema_name}".accounting_journalentry, "{schema_name}".donors_donor CASCADE'
        )


def _pinned_paths(schema_name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT setting FROM pg_proc p, unnest(p.proconfig) AS setting "
            "WHERE p.pronamespace = to_regnamespace(%s) AND setting LIKE 'search_path=%%'",
            [schema_name],
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def stored_backups() -> Iterator[list[str]]:
    """Names of dumps a test made; removed afterwards."""
    names: list[str] = []
    yield names
    with schema_context("public"):
        for name in names:
            default_storage.delete(name)


def test_a_tenant_is_restored_from_its_backup_into_a_new_schema_and_over_its_own(
    committed_tenant: Organization,
    django_db_blocker: DjangoDbBlocker,
    stored_backups: list[str],
) -> None:
    schema = committed_tenant.schema_name
    copy = f"{schema}_copy"
    with django_db_blocker.unblock():
        # Given a tenant with books and donors, and its backup
        _books_filled(committed_tenant)
        counts = _row_counts(schema)
        balance = _trial_balance(schema)
        assert counts["accounting_journalline"] == 6 and counts["donors_donor"] == 2
        backup = tenant_backup_export(organization=committed_tenant)
        stored_backups.append(backup)
        assert tenant_backups(committed_tenant.slug)[0][1] == backup

        # When its data is deleted
        _data_deleted(schema)
        assert _row_counts(schema)["accounting_journalline"] == 0
        try:
            # Then a restore into a new schema brings every row back there, and leaves the
            # tenant as it is
            output = StringIO()
            call_command("tenant_restore", committed_tenant.slug, "--schema", copy, stdout=output)
            assert (
                output.getvalue()
                == f"Restored {committed_tenant.slug} from {backup} into {copy}.\n"
            )
            assert _row_counts(copy) == counts
            assert _row_counts(schema)["accounting_journalline"] == 0
            assert _pinned_paths(copy) and all(copy in path for path in _pinned_paths(copy))
            assert all(copy not in path for path in _pinned_paths(schema))

            # And a restore over its own schema brings the tenant back
            call_command("tenant_restore", committed_tenant.slug, "--replace")
            assert _row_counts(schema) == counts
            assert _trial_balance(schema) == balance
            replaced = [name for _, name in tenant_backups(committed_tenant.slug)]
            with schema_context("public"):
                _, exports = default_storage.listdir("exports")
            undo = [f"exports/{name}" for name in exports if committed_tenant.slug in name]
            stored_backups.extend(undo)
            assert len(undo) == 1  # the schema it replaced, exported first
            assert replaced == [backup]

            # And the restored books take postings again, with the ledger's rules in force
            from tenant_apps.accounting.services import post_contribution

            with schema_context(schema):
                entry = post_contribution(
                    date=timezone.localdate(), amount=Decimal("5.00"), fund="GEN", acting_user=None
                )
            assert entry.number == counts["accounting_journalentry"] + 1
        finally:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{copy}" CASCADE')


@pytest.mark.django_db
def test_a_restore_refuses_what_it_may_not_use(alpha: Tenant, stored_backups: list[str]) -> None:
    with pytest.raises(CommandError, match="No backup of alpha"):
        call_command("tenant_restore", "alpha")
    with schema_context("public"):
        stored_backups.append(
            default_storage.save(f"{backup_folder('alpha')}/alpha-20260101T000000Z.dump",
                                 ContentFile(b"not a dump"))
        )  # fmt: skip

    for schema, message in [
        ("alpha", "The schema alpha exists"),
        ("_template", "the template schema"),
        ("Bad-Name", "is not a schema name"),
        ("beta_copy", "not a dump made by pg_dump"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("tenant_restore", "beta", "--file", stored_backups[0], "--schema", schema)


def test_replace_refuses_a_dump_of_another_tenant(
    committed_tenant: Organization, django_db_blocker: DjangoDbBlocker, stored_backups: list[str]
) -> None:
    with django_db_blocker.unblock():
        backup = tenant_backup_export(organization=committed_tenant)
        stored_backups.append(backup)
        counts = _row_counts(committed_tenant.schema_name)

        with pytest.raises(CommandError, match="which is not alpha's"):
            call_command("tenant_restore", "alpha", "--file", backup, "--replace")

        assert _row_counts(committed_tenant.schema_name) == counts


@pytest.mark.django_db
def test_old_backups_are_pruned_but_the_newest_is_kept(
    settings: Settings, stored_backups: list[str]
) -> None:
    settings.BACKUP_RETENTION_DAYS = 7
    now = datetime(2026, 3, 20, 2, 15, tzinfo=UTC)
    with schema_context("public"):
        for days_ago in (1, 6, 8, 30):
            stamp = (now - timedelta(days=days_ago)).strftime("%Y%m%dT%H%M%SZ")
            stored_backups.append(
                default_storage.save(f"backups/pruned/pruned-{stamp}.dump", ContentFile(b"x"))
            )
        # a lone old backup (a tenant suspended for months) is its newest: kept
        stored_backups.append(
            default_storage.save("backups/lone/lone-20250101T021500Z.dump", ContentFile(b"x"))
        )

    deleted = tenant_backups_prune(slug="pruned", now=now)

    assert deleted == [stored_backups[2], stored_backups[3]]
    assert [name for _, name in tenant_backups("pruned")] == stored_backups[:2]
    assert tenant_backups_prune(slug="lone", now=now) == []


@pytest.mark.django_db
def test_the_nightly_task_backs_up_each_active_tenant(
    alpha: Tenant, beta: Tenant, stored_backups: list[str]
) -> None:
    Organization.objects.filter(pk=beta.organization.pk).update(state=OrganizationState.SUSPENDED)

    queued = backups_nightly.delay().get()

    alpha_backups = tenant_backups("alpha")
    stored_backups.extend(name for _, name in alpha_backups)
    assert (
        queued
        == Organization.objects.filter(state=OrganizationState.ACTIVE)
        .exclude(schema_name="public")
        .count()
    )
    assert len(alpha_backups) == 1
    assert tenant_backups("beta") == []


def test_restored_schema_names_fit_postgresql() -> None:
    now = datetime(2026, 3, 20, 2, 15, tzinfo=UTC)

    assert restored_schema_name("alpha", now=now) == "alpha_restored_202603200215"
    assert len(restored_schema_name("a" * 63, now=now)) == 63
