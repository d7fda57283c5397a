"""ADMIN_URL_PATH: where both hosts serve the Django admin, validated when settings load."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import clear_url_caches
from pytest_django import Settings

from saas_platform import urls_public, urls_tenant
from saas_platform.settings.environment import env_url_path
from tests.plugin import Tenant

RESERVED = frozenset({"api", "accounts"})


def _reload_urlconfs() -> None:
    # The admin's path is read when the URL modules are imported; django-tenants resolves
    # PUBLIC_SCHEMA_URLCONF and ROOT_URLCONF by module name, so reloading them is enough.
    importlib.reload(urls_public)
    importlib.reload(urls_tenant)
    clear_url_caches()


@pytest.fixture
def admin_at_ops_desk(settings: Settings) -> Iterator[None]:
    settings.ADMIN_URL_PATH = "ops-desk/"
    _reload_urlconfs()
    try:
        yield
    finally:
        settings.ADMIN_URL_PATH = "admin/"
        _reload_urlconfs()


@pytest.mark.django_db
def test_the_admin_is_served_at_its_configured_path_only(
    admin_at_ops_desk: None, alpha: Tenant
) -> None:
    public = Client(HTTP_HOST="localhost")
    owner = alpha.client(alpha.owner)

    assert public.get("/ops-desk/login/").status_code == 200
    assert public.get("/admin/login/").status_code == 404
    assert owner.get("/ops-desk/").status_code == 200
    assert owner.get("/admin/").status_code == 404
    # the staff home links to where the admin is
    assert b'href="/ops-desk/"' in owner.get("/").content


@pytest.mark.django_db
def test_the_default_path_is_admin(alpha: Tenant) -> None:
    assert settings.ADMIN_URL_PATH == "admin/"
    assert alpha.client(alpha.owner).get("/admin/").status_code == 200


@pytest.mark.parametrize("value", ["ops/", "ops-desk/", "ops/admin/", "a_b.c~d/"])
def test_relative_paths_ending_in_a_slash_are_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ADMIN_URL_PATH", value)
    assert env_url_path("ADMIN_URL_PATH", default="admin/", reserved=RESERVED) == value


@pytest.mark.parametrize(
    "value", ["/admin/", "admin", "ops//", "../ops/", "ops/../x/", "ops desk/", "ops?x=1/"]
)
def test_paths_that_are_not_relative_or_do_not_end_in_a_slash_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ADMIN_URL_PATH", value)
    with pytest.raises(ImproperlyConfigured, match="ADMIN_URL_PATH="):
        env_url_path("ADMIN_URL_PATH", default="admin/", reserved=RESERVED)


@pytest.mark.parametrize("value", ["api/", "accounts/admin/"])
def test_paths_under_the_sites_own_routes_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ADMIN_URL_PATH", value)
    with pytest.raises(ImproperlyConfigured, match="collides"):
        env_url_path("ADMIN_URL_PATH", default="admin/", reserved=RESERVED)


def test_every_top_level_route_of_both_hosts_is_reserved() -> None:
    admin_segment = settings.ADMIN_URL_PATH.split("/", 1)[0]
    for urlconf in (urls_public, urls_tenant):
        for pattern in urlconf.urlpatterns:
            segment = str(pattern.pattern).split("/", 1)[0]
            if segment and segment != admin_segment:
                assert segment in settings.TOP_LEVEL_ROUTES, (urlconf.__name__, segment)
