"""manage.py donor_giving_rebuild [--schema NAME]: recompute every donor's giving columns (posted
total, last gift) and giving by fiscal year from its gifts, in one organization or in every
active one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import get_tenant_model, schema_context

from tenant_apps.donations.services.giving_totals import donor_giving_rebuild


class Command(BaseCommand):
    help = "Recompute each donor's posted giving total, last gift and giving by fiscal year."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schema",
            dest="schema_name",
            default="",
            help="the organization's schema (default: every active organization)",
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
        for organization in organizations.order_by("schema_name"):
            with schema_context(organization.schema_name):
                recomputed = donor_giving_rebuild()
            self.stdout.write(
                f"{organization.schema_name}: giving recomputed for {recomputed} donors"
            )
