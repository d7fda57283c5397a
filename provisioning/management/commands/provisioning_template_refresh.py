"""manage.py provisioning_template_refresh [--rebuild]: migrate the template schema new tenants
are cloned from, capture its DDL for the clone, and remake the spare schemas."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from provisioning.spares import spares_refill
from provisioning.template import template_refresh, template_schema_name


class Command(BaseCommand):
    help = "Bring the template schema up to the code's migrations and capture its DDL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Drop the template and build it from nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        state = template_refresh(rebuild=options["rebuild"])
        self.stdout.write(f"Template schema {template_schema_name()}: {state}")
        made = spares_refill()
        self.stdout.write(f"Spare schemas made: {made}")
