"""manage.py tenants_check: schemas without a tenant and tenants without a schema, and the
schemas whose last migration failed (migrate_schemas records them).

Exits with status 1 when it finds either, so monitoring and deploy scripts can act on it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from provisioning.lifecycle import tenants_check
from provisioning.models import SchemaMigrationFailure
from provisioning.spares import spares_wanted


class Command(BaseCommand):
    help = "List schemas without an organization and organizations without a schema."

    def handle(self, *args: Any, **options: Any) -> None:
        report = tenants_check()
        self.stdout.write(
            f"spare schemas ready: {report.spares_ready} of {spares_wanted()} wanted "
            "(the worker refills them after each signup and every 15 minutes)"
        )
        for failure in SchemaMigrationFailure.objects.all():
            self.stdout.write(
                f"schema behind the code's migrations since its migration failed at "
                f"{failure.failed_at:%Y-%m-%d %H:%M} UTC: {failure.schema_name}: {failure.error}"
            )
        for schema_name in report.orphan_schemas:
            self.stdout.write(f"schema without a tenant: {schema_name}")
        for slug, schema_name, state in report.missing_schemas:
            self.stdout.write(
                f"tenant without a schema: {slug} (schema {schema_name}, {state}); retry its "
                "provisioning or delete it from the console"
            )
        for slug, schema_name, reserved_as in report.misplaced_tenants:
            self.stdout.write(
                f"tenant recording a schema that is not its own: {slug} (schema {schema_name} "
                f"is {reserved_as}); it is neither provisioned nor deleted, remove its row by hand"
            )
        if not report.ok:
            raise CommandError(
                f"{len(report.orphan_schemas)} schema(s) without a tenant, "
                f"{len(report.missing_schemas)} tenant(s) without a schema, "
                f"{len(report.misplaced_tenants)} tenant(s) recording a schema not their own."
            )
        self.stdout.write(
            self.style.SUCCESS("Every tenant has its schema and every schema a tenant.")
        )
