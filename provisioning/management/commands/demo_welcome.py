"""manage.py demo_welcome: what `make run` prints once the server answers: README's pages, at
this machine's addresses, and the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from provisioning.demo.pages import PAGES
from provisioning.management.commands.demo_setup import DEMO_PASSWORD, DEMO_SLUG, STAFF
from shared_apps.tenants.models import Organization
from shared_apps.tenants.selectors import organization_url, platform_url


class Command(BaseCommand):
    help = "Print the demo's pages and logins (after `demo_setup`, once the server answers)."

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=DEMO_SLUG).first()
        if organization is None:
            raise CommandError("There is no demo organization: run `manage.py demo_setup` first.")
        urls = [
            platform_url(path=page.path)
            if page.site == "platform"
            else organization_url(organization=organization, path=page.path)
            for page in PAGES
        ]
        width = max(len(url) for url in urls)
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS("IFM is ready:"))
        for url, page in zip(urls, PAGES, strict=True):
            write(f"  {url:<{width}}  {page.what.replace('`', '')}")
        write("")
        write(f"Demo logins, one per role (password {DEMO_PASSWORD}):")
        for email, _name, role in STAFF:
            write(f"  {role.label:<22} {email}")
        write("")
