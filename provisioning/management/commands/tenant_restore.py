"""manage.py tenant_restore acme [--file NAME] [--schema NAME | --replace]: bring one tenant
back from a dump in storage (its newest nightly backup unless --file names one), into a new
schema, or over its own with --replace (which exports the current schema first)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisioning.backups import tenant_backups, tenant_restore


class Command(BaseCommand):
    help = (
        "Restore one tenant from its backup into a new schema (the default), or over its own "
        "schema with --replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--file",
            help="The dump's name in storage (backups/<slug>/..., exports/...); "
            "default: the newest backup.",
        )
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--schema", help="The new schema to restore into; default <schema>_restored_<stamp>."
        )
        target.add_argument(
            "--replace",
            action="store_true",
            help="Replace the tenant's own schema (exported first, so it can be undone).",
        )
        parser.add_argument("--list", action="store_true", help="List the backups and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"]
        if options["list"]:
            for taken, name in tenant_backups(slug):
                self.stdout.write(f"{taken:%Y-%m-%d %H:%M:%S} UTC  {name}")
            return
        try:
            restored = tenant_restore(
                slug=slug,
                source_file=options["file"],
                schema_name=options["schema"],
                replace=options["replace"],
            )
        except ValidationError as error:
            raise CommandError(f"Not restored: {' '.join(error.messages)}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {slug} from {restored.source_file} into {restored.schema_name}."
            )
        )
        if restored.migrations_missing:
            self.stdout.write(
                self.style.WARNING(
                    f"The dump predates {restored.migrations_missing} migration(s) of this "
                    "release: run manage.py migrate_schemas "
                    f"--schema {restored.schema_name} before it is served."
                )
            )
        if restored.replaced_export:
            self.stdout.write(f"The schema it replaced is exported at {restored.replaced_export}.")
