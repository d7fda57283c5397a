"""manage.py demo_setup: the `demo` tenant with one login per role, for trying IFM locally."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from provisioning.services import tenant_provision, tenant_provision_resume
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import organization_url, platform_url
from shared_apps.users.models import User
from shared_apps.users.roles import Role

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - a published development login
STAFF = [
    ("owner@demo.localhost", "Olivia Owner", Role.OWNER),
    ("bookkeeper@demo.localhost", "Ben Bookkeeper", Role.BOOKKEEPER),
    ("fundraiser@demo.localhost", "Fatima Fundraiser", Role.FUNDRAISER),
    ("volunteers@demo.localhost", "Victor Coordinator", Role.VOLUNTEER_COORDINATOR),
    ("viewer@demo.localhost", "Vera Viewer", Role.VIEWER),
]


class Command(BaseCommand):
    help = "Create the demo tenant with one login per role (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=DEMO_SLUG).first()
        if organization is None:
            organization = tenant_provision(
                slug=DEMO_SLUG,
                name="Demo Community Fund",
                owner_email=STAFF[0][0],
                owner_password=DEMO_PASSWORD,
                owner_name=STAFF[0][1],
            )
        elif organization.state != OrganizationState.ACTIVE:
            organization = tenant_provision_resume(
                organization=organization, owner_password=DEMO_PASSWORD
            )
        with schema_context(organization.schema_name):
            for email, name, role in STAFF:
                if not User.objects.filter(email=email).exists():
                    User.objects.create_user(email, DEMO_PASSWORD, full_name=name, role=role)

        write = self.stdout.write
        write("")
        write(self.style.SUCCESS("IFM is ready."))
        write(f"  Public site:    {platform_url()}")
        write(f"  Operator admin: {platform_url(path='/admin/')}")
        write("                  operator@ifm.localhost / operator-demo-2026")
        write(f"  Demo tenant:    {organization_url(organization=organization)}")
        write(f"  API docs:       {organization_url(organization=organization, path='/api/docs/')}")
        write(f"  Health:         {organization_url(organization=organization, path='/healthz')}")
        write(f"  Demo logins (password {DEMO_PASSWORD}):")
        for email, _name, role in STAFF:
            write(f"    {role:<22} {email}")
        write("")
