"""manage.py provision_tenant --slug acme --name "Acme Relief" --owner-email owner@acme.org"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisioning.services import ProvisioningFailed, tenant_provision
from shared_apps.tenants.selectors import organization_url


class Command(BaseCommand):
    help = "Create a tenant: its subdomain, schema, chart of accounts and owner account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help="Subdomain, e.g. acme")
        parser.add_argument("--name", required=True, help="The organization's name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-name", default="")
        parser.add_argument(
            "--owner-password", help="Without it a password is generated and printed."
        )
        parser.add_argument("--plan", default=None, help="Plan code")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["owner_password"] or secrets.token_urlsafe(12)
        try:
            organization = tenant_provision(
                slug=options["slug"],
                name=options["name"],
                owner_email=options["owner_email"],
                owner_password=password,
                owner_name=options["owner_name"],
                plan=options["plan"],
            )
        except ValidationError as error:
            lines = (
                [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
                if hasattr(error, "error_dict")
                else error.messages
            )
            raise CommandError("\n".join(lines)) from None
        except ProvisioningFailed as error:
            raise CommandError(f"{error}\nRun the same command again to resume.") from None
        self.stdout.write(self.style.SUCCESS(f"{organization.name} is ready."))
        self.stdout.write(f"  URL:      {organization_url(organization=organization)}")
        self.stdout.write(f"  Owner:    {options['owner_email']}")
        if not options["owner_password"]:
            self.stdout.write(f"  Password: {password}")
