"""manage.py delete_tenant acme --yes: cancel the tenant's Stripe subscription, export its
schema, then drop it (a tenant that never had a schema has nothing to export: its domains and
row are removed). Stripe refusing the cancellation deletes nothing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from provisioning.schemas import tenant_schema_verify
from provisioning.services import tenant_delete
from saas_platform.lib.errors import ServiceError
from shared_apps.billing.services import subscription_stripe_cancel
from shared_apps.tenants.models import Organization


class Command(BaseCommand):
    help = "Delete a tenant: export its schema with pg_dump into storage, then drop it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["slug"]).first()
        if organization is None or organization.is_public:
            raise CommandError(f"No tenant {options['slug']!r}.")
        try:
            # Before the Stripe cancellation: a tenant whose schema cannot be dropped keeps paying
            # for what it still has.
            tenant_schema_verify(slug=organization.slug, schema_name=organization.schema_name)
        except ValidationError as error:
            raise CommandError(f"Not deleted: {' '.join(error.messages)}") from None
        if not options["yes"]:
            answer = input(f"Type {organization.slug} to delete {organization.name}: ")
            if answer.strip() != organization.slug:
                raise CommandError("Not deleted.")
        try:
            cancellation = subscription_stripe_cancel(organization=organization)
        except ServiceError as error:
            raise CommandError(f"Not deleted: {error}") from error
        self.stdout.write(cancellation.note)
        export_name = tenant_delete(organization=organization)
        export = export_name or "none, it had no schema"
        self.stdout.write(self.style.SUCCESS(f"Deleted {organization.slug}; export: {export}"))
