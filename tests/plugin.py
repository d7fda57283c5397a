"""Fixtures for every test: the tenants `alpha` and `beta`, built once per run, their users,
clients bound to their hosts, and the cross-tenant check every endpoint uses.

Tests run inside a transaction that is rolled back (pytest-django's `db`), so what a test
writes in alpha or beta is gone for the next one; the schemas themselves are never re-created.
Redis (a database of its own, see settings/test.py) is flushed before each test.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import factory.random
import pytest
from pytest_django import DjangoDbBlocker

# Loaded with `-p tests.plugin`, before Django is set up: Django imports wait inside functions.
if TYPE_CHECKING:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from shared_apps.tenants.models import Organization
    from shared_apps.users.models import User

TENANTS = {"alpha": "Alpha Relief Fund", "beta": "Beta Community Trust"}
OWNER_PASSWORD = "Owner-Pass-2026"


def host_of(slug: str) -> str:
    return f"{slug}.localhost"


def pytest_configure(config: pytest.Config) -> None:
    _committed_tests_need_the_database()


def _committed_tests_need_the_database() -> None:
    """pytest-django creates the test database only for the databases that the collected tests
    declare, through the `django_db` mark or the `db` fixtures, and both wrap the test in a
    transaction that other connections could not see through. A test on `committed_tenant`
    declares the default database here instead, so that it runs in the test database even
    when it runs alone."""
    from pytest_django import fixtures

    declared = fixtures._get_databases_for_test

    def databases_for_test(test: pytest.Item) -> tuple[Any, bool]:
        if "committed_tenant" in getattr(test, "fixturenames", ()):
            return ("default",), False
        return declared(test)

    fixtures._get_databases_for_test = databases_for_test


@pytest.fixture(scope="session", autouse=True)
def _tenants_built(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> None:
    """Create the public tenant and provision alpha and beta once (kept with --reuse-db). When
    no collected test uses the database, pytest-django creates none, and there is nothing to
    build in."""
    from pytest_django import fixtures

    # pytest-django's own reckoning (tests/browser/conftest.py adds the browser tests to it).
    if "default" not in fixtures._get_databases_for_setup(request.session.items)[0]:
        return
    from provisioning.platform import public_tenant_ensure
    from provisioning.services import tenant_provision
    from shared_apps.tenants.models import Organization, OrganizationState

    with django_db_blocker.unblock():
        public_tenant_ensure()
        for slug, name in TENANTS.items():
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None or organization.state != OrganizationState.ACTIVE:
                tenant_provision(
                    slug=slug,
                    name=name,
                    owner_email=f"owner@{slug}.org",
                    owner_password=OWNER_PASSWORD,
                )


@pytest.fixture(scope="session", autouse=True)
def _test_database_released(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[None]:
    """At the end of the run, end every other session on the test database before it is
    dropped: a browser test's server thread can still hold one when its client hung up late,
    and the drop would then fail (leaving the database for the next run to recreate)."""
    yield
    from django.db import connection

    if not connection.settings_dict["NAME"].startswith("test_"):
        return  # no test database was created: the connection is the real one's
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


@pytest.fixture(autouse=True)
def _isolated_state() -> Iterator[None]:
    """Each test starts in the public schema with empty Redis, no routes remembered by this
    process (a test's changes to organizations are rolled back, and with them their signals'
    after-commit invalidation) and a seeded random source."""
    from django.core.cache import caches

    from saas_platform.lib.connection import connection
    from shared_apps.tenants.selectors import tenant_routing_invalidate

    random.seed(1234)
    factory.random.reseed_random(1234)
    caches["default"].clear()
    tenant_routing_invalidate()
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@dataclass
class Tenant:
    organization: Organization
    owner: User

    @property
    def slug(self) -> str:
        return self.organization.slug

    @property
    def host(self) -> str:
        return host_of(self.slug)

    def user(self, role: str = "viewer", **fields: Any) -> User:
        from django_tenants.utils import schema_context

        from shared_apps.users.tests.factories import UserFactory

        with schema_context(self.organization.schema_name):
            return UserFactory.create(role=role, **fields)

    def client(self, user: User | None = None) -> Client:
        from django.test import Client
        from django_tenants.utils import schema_context

        client = Client(HTTP_HOST=self.host)
        if user is not None:
            with schema_context(self.organization.schema_name):
                client.force_login(user)
        return client

    def api(self, user: User | None = None) -> APIClient:
        """An API client on this tenant's host, with a bearer token of `user` if given."""
        from rest_framework.test import APIClient

        client = APIClient(HTTP_HOST=self.host)
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.access_token(user)}")
        return client

    def access_token(self, user: User) -> str:
        from django_tenants.utils import schema_context

        from shared_apps.users.tokens import TenantRefreshToken

        with schema_context(self.organization.schema_name):
            return str(TenantRefreshToken.for_user(user).access_token)

    def refresh_token(self, user: User) -> str:
        from django_tenants.utils import schema_context

        from shared_apps.users.tokens import TenantRefreshToken

        with schema_context(self.organization.schema_name):
            return str(TenantRefreshToken.for_user(user))


def _tenant(slug: str) -> Tenant:
    from django_tenants.utils import schema_context

    from shared_apps.tenants.models import Organization
    from shared_apps.users.models import User

    organization = Organization.objects.get(slug=slug)
    with schema_context(organization.schema_name):
        owner = User.objects.get(email=f"owner@{slug}.org")
    return Tenant(organization=organization, owner=owner)


@pytest.fixture
def alpha(db: None) -> Tenant:
    return _tenant("alpha")


@pytest.fixture
def beta(db: None) -> Tenant:
    return _tenant("beta")


@pytest.fixture
def in_alpha(alpha: Tenant) -> Iterator[Tenant]:
    """alpha, with its schema current for the whole test: for tests that work in its books
    directly (services, selectors, models) rather than through its host."""
    from django_tenants.utils import schema_context

    with schema_context(alpha.organization.schema_name):
        yield alpha


# A fixture named after a role is an API client of alpha signed in as a user of that role; the
# user is `alpha.user(role)` (or a `<role>_user` fixture where a test needs both).


@pytest.fixture
def fundraiser(alpha: Tenant) -> APIClient:
    from shared_apps.users.roles import Role

    return alpha.api(alpha.user(Role.FUNDRAISER, email="funds@alpha.org"))


@pytest.fixture
def bookkeeper(alpha: Tenant) -> APIClient:
    from shared_apps.users.roles import Role

    return alpha.api(alpha.user(Role.BOOKKEEPER, email="books@alpha.org"))


@pytest.fixture
def public_client(db: None) -> Client:
    from django.test import Client

    return Client(HTTP_HOST="localhost")


@pytest.fixture
def assert_other_tenant_denied(alpha: Tenant, beta: Tenant) -> Callable[..., None]:
    """Check that people of `beta` get nothing from an endpoint of `alpha`.

    Beta's owner has the same user id as alpha's owner (both are the first user of their schema),
    so this also proves ids are not enough: beta's bearer token is refused on alpha's host with
    401, and beta's session, replayed on alpha's host, is not a login there.
    """

    def check(path: str, *, method: str = "get", data: dict[str, Any] | None = None) -> None:
        from rest_framework.test import APIClient

        assert alpha.owner.pk == beta.owner.pk, "the owners should share an id for this check"
        token_client = APIClient(HTTP_HOST=alpha.host)
        token_client.credentials(HTTP_AUTHORIZATION=f"Bearer {beta.access_token(beta.owner)}")
        response = getattr(token_client, method)(path, data=data, format="json")
        assert response.status_code == 401, (path, response.status_code, response.content[:300])
        assert "error" in response.json()

        beta_session = beta.client(beta.owner)
        session_id = beta_session.cookies["sessionid"].value
        replay = APIClient(HTTP_HOST=alpha.host)
        replay.cookies["sessionid"] = session_id
        response = getattr(replay, method)(path, data=data, format="json")
        assert response.status_code in (401, 403), (path, response.status_code)

    return check


__all__ = ["OWNER_PASSWORD", "Tenant", "host_of"]


@pytest.fixture
def count_queries() -> Callable[[], CaptureQueriesContext]:
    """`with count_queries() as queries:` records the SQL run inside, without asserting, for
    tests that compare counts (a list must run as many queries for 40 rows as for 4)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def recorder() -> CaptureQueriesContext:
        return CaptureQueriesContext(connection)

    return recorder


@pytest.fixture
def committed_tenant(django_db_blocker: DjangoDbBlocker) -> Iterator[Organization]:
    """A tenant provisioned outside any test transaction, for what must see committed rows:
    pg_dump, a real Celery worker. Dropped afterwards, whatever the test did to it. A test
    that uses it needs the test database though it has no `django_db` mark (see
    pytest_configure)."""
    import uuid

    from provisioning.services import tenant_provision
    from saas_platform.lib.connection import connection
    from shared_apps.tenants.models import Organization

    slug = f"c{uuid.uuid4().hex[:10]}"
    with django_db_blocker.unblock():
        organization = tenant_provision(
            slug=slug,
            name="Committed Trust",
            owner_email=f"owner@{slug}.org",
            owner_password=OWNER_PASSWORD,
        )
        try:
            yield organization
        finally:
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
            Organization.objects.filter(slug=slug).delete()


def python_printed(script: str, **environment: str) -> list[str]:
    """What `script` prints, run by this Python in a process of its own from the project's root
    (as gunicorn or a worker starts), split into words; `environment` added to this one's. It
    reaches the PostgreSQL server through the maintenance database: such a process needs a
    server, not the tables. A failure is the test's, with the process's error output."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    database = settings.DATABASES["default"]
    ran = subprocess.run(  # noqa: S603 - this Python with the test's own script
        [sys.executable, "-c", script],
        env={
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/postgres"
            ),
            **environment,
        },
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.split()
