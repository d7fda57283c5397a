"""migrate_schemas that migrates only the schemas behind the code, then refreshes the template.

Replaces django-tenants' command (provisioning comes first in INSTALLED_APPS, so this one wins).
A full run (no --schema, --shared, app label or --plan/--check/--fake...):

1. migrates the public schema when it lacks one of the code's migrations (one query to know);
2. finds the tenant schemas, spare schemas and the template that lack one, in one query
   (provisioning.schema_migrations), and runs Django's migrate in those alone, `--parallel`
   at a time (MIGRATION_PARALLEL); a schema that fails is recorded and named at the end, the
   others are migrated all the same, and the command then exits non-zero;
3. refreshes the template when it was behind, hands the migrated spares the template's new
   state, and refills the spares.

With nothing to apply it runs a handful of queries and touches no tenant schema. Every other
form (one schema, provisioning's own fallback, the template's refresh, --every-schema) is
django-tenants' command as it is.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from provisioning.schema_migrations import (
    public_missing,
    schemas_behind,
    schemas_migrate,
)
from provisioning.spares import spares_refill, spares_rekey
from provisioning.template import template_refresh, template_schema_name

# Options that ask for something else than bringing every schema up to the code.
_STOCK_OPTIONS = (
    "schema_name",
    "shared",
    "app_label",
    "migration_name",
    "plan",
    "check_unapplied",
    "fake",
    "fake_initial",
    "prune",
    "executor",
    "every_schema",
)


class Command(MigrateSchemasCommand):
    help = (
        "Migrate the public schema, then only the tenant schemas, spares and template that "
        "lack one of the code's migrations, in parallel; name the ones that failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--every-schema",
            action="store_true",
            help="Run migrate in every schema, one after the other, as django-tenants does.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if any(options.get(name) for name in _STOCK_OPTIONS):
            super().handle(*args, **options)
            return
        started = time.perf_counter()
        verbosity = int(options.get("verbosity", 1))
        if not options.get("tenant") and public_missing() != 0:
            super().handle(*args, **{**options, "shared": True})
        behind = schemas_behind()
        template = template_schema_name()
        schemas = [item.schema_name for item in behind if item.kind != "template"]
        if verbosity >= 1:
            listed = ", ".join(
                f"{item.schema_name} ({'all' if item.missing < 0 else item.missing})"
                for item in behind[:20]
            )
            more = f" and {len(behind) - 20} more" if len(behind) > 20 else ""
            self.stdout.write(
                f"{len(behind)} schema(s) behind the code's migrations"
                + (f": {listed}{more}" if behind else "")
            )
        results = schemas_migrate(
            schemas, parallel=options.get("parallel"), verbosity=max(0, verbosity - 1)
        )
        failed = [result for result in results if result.error]
        for result in results:
            if result.error:
                self.stderr.write(f"{result.schema_name}: FAILED: {result.error}")
                if verbosity >= 2:
                    self.stderr.write(result.output)
            elif verbosity >= 1:
                self.stdout.write(f"{result.schema_name}: migrated in {result.seconds:.2f} s")
        # the template is in `behind` when it lacks a migration or has no schema yet
        if any(item.kind == "template" for item in behind):
            if verbosity >= 1:
                self.stdout.write(f"refreshing the template schema {template}")
            template_refresh()
        if any(item.kind == "spare" for item in behind):
            spares_rekey()
        spares_refill()  # drops the spares of an old template state, clones what is missing
        if verbosity >= 1:
            self.stdout.write(
                f"migrated {len(results) - len(failed)} schema(s), {len(failed)} failed, "
                f"in {time.perf_counter() - started:.1f} s"
            )
        if failed:
            names = ", ".join(result.schema_name for result in failed)
            raise CommandError(
                f"{len(failed)} schema(s) failed to migrate and are still behind: {names}. "
                "Their errors are above and kept (SchemaMigrationFailure) until a run migrates "
                "them; the other schemas were migrated."
            )
