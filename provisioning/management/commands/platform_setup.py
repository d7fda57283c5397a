"""manage.py platform_setup [--operator-email ... --operator-password ...]

Creates the public tenant (PLATFORM_DOMAIN) and, when asked, an operator account. Idempotent.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from provisioning.platform import operator_ensure, public_tenant_ensure


class Command(BaseCommand):
    help = "Create the public tenant for PLATFORM_DOMAIN and, optionally, an operator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator-email")
        parser.add_argument("--operator-password")

    def handle(self, *args: Any, **options: Any) -> None:
        public = public_tenant_ensure()
        self.stdout.write(f"Public site: {public.domains.get(is_primary=True).domain}")
        if options["operator_email"]:
            created = operator_ensure(
                email=options["operator_email"], password=options["operator_password"]
            )
            state = "created" if created else "exists"
            self.stdout.write(f"Operator {options['operator_email']}: {state}")
