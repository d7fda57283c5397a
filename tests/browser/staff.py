"""A committed organization of its own for a browser test of the staff pages, with a user of
each role, dropped after the test (its books can be posted to: nothing needs undoing).

Use it in a browser test module with `from tests.browser.staff import staff_site  # noqa: F401`
and then:

    def test_...(staff_site: StaffSite, page: Page) -> None:
        with staff_site.schema():            # set up data through the services, committed
            donor = DonorFactory.create(...)
        staff_site.log_in(page, Role.FUNDRAISER)
        page.goto(staff_site.url("/donors/"))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from pytest_django import DjangoDbBlocker

from tests.browser.conftest import Platform

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from shared_apps.tenants.models import Organization
    from shared_apps.users.models import User

PASSWORD = "Staff-Pass-2026"


@dataclass
class StaffSite:
    organization: Organization
    platform: Platform
    blocker: DjangoDbBlocker
    users: dict[str, User] = field(default_factory=dict)

    def url(self, path: str = "/") -> str:
        return self.platform.url(path, slug=self.organization.slug)

    @contextmanager
    def schema(self) -> Iterator[None]:
        """The organization's schema, with the database open to the test (writes commit)."""
        from django_tenants.utils import schema_context

        with self.blocker.unblock(), schema_context(self.organization.schema_name):
            yield

    def user(self, role: str) -> User:
        """The organization's user of `role` (email `<role>@<slug>.org`), made on first use."""
        if role not in self.users:
            from shared_apps.users.tests.factories import UserFactory

            with self.schema():
                self.users[role] = UserFactory.create(
                    email=f"{role}@{self.organization.slug}.org", role=role, password=PASSWORD
                )
        return self.users[role]

    def log_in(self, page: Page, role: str) -> None:
        user = self.user(role)
        page.goto(self.url("/accounts/login/"))
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(self.url("/"))


@pytest.fixture
def staff_site(
    committed_tenant: Organization, platform: Platform, django_db_blocker: DjangoDbBlocker
) -> StaffSite:
    return StaffSite(organization=committed_tenant, platform=platform, blocker=django_db_blocker)


__all__ = ["PASSWORD", "StaffSite", "staff_site"]
