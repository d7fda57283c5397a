"""Operators see signups in the public admin, without their hashes."""

from __future__ import annotations

import pytest
from django.test import Client

from shared_apps.console.tests.factories import OperatorFactory
from shared_apps.onboarding.tests.factories import SignupFactory

pytestmark = pytest.mark.django_db


def test_operators_list_and_open_signups_without_secrets() -> None:
    operator = OperatorFactory.create(is_superuser=True)
    signup = SignupFactory.create(slug="harbor")
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)

    listing = client.get("/admin/onboarding/signup/")
    detail = client.get(f"/admin/onboarding/signup/{signup.pk}/change/")

    assert listing.status_code == 200
    assert b"harbor" in listing.content
    assert detail.status_code == 200
    assert signup.password_hash.encode() not in detail.content
    assert b"password_hash" not in detail.content
    assert client.get("/admin/onboarding/signup/add/").status_code == 403
