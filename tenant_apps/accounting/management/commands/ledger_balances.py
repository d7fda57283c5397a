"""manage.py ledger_balances [--schema NAME] [--rebuild]: check each organization's stored
monthly balances against its posted journal lines and print every difference (exit status 1 if
there is one); with --rebuild, write them again from the lines first and check again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_tenant_model, schema_context

from tenant_apps.accounting.balances import balance_differences
from tenant_apps.accounting.services.balances import ledger_balances_rebuild


class Command(BaseCommand):
    help = (
        "Check the stored monthly balances against the posted journal lines (exit status 1 on "
        "a difference); --rebuild writes them again from the lines first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schema",
            dest="schema_name",
            default="",
            help="the organization's schema (default: every active organization)",
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="write the balances again from the lines, then check them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = get_tenant_model().objects.exclude(schema_name="public")
        if options["schema_name"]:
            organizations = organizations.filter(schema_name=options["schema_name"])
            if not organizations.exists():
                raise CommandError(
                    f"There is no organization with schema {options['schema_name']}."
                )
        else:
            organizations = organizations.filter(state="active")
        differing = []
        for organization in organizations.order_by("schema_name"):
            schema = organization.schema_name
            with schema_context(schema):
                if options["rebuild"]:
                    found = balance_differences()
                    written = ledger_balances_rebuild()
                    self.stdout.write(
                        f"{schema}: {len(found)} differences before the rebuild; "
                        f"{written} monthly balances written"
                    )
                differences = balance_differences()
            for difference in differences:
                self.stderr.write(f"{schema}: {difference}")
            if differences:
                differing.append(schema)
            else:
                self.stdout.write(f"{schema}: the monthly balances agree with the lines")
        if differing:
            raise CommandError(
                f"The monthly balances differ from the lines in {', '.join(differing)}; "
                "run manage.py ledger_balances --rebuild.",
                returncode=1,
            )
