"""Fixtures most of the donations tests use: API clients of the roles that record and post
gifts, and a donor to give. A test module that needs them otherwise defines its own."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made


@pytest.fixture
def fundraiser(alpha: Any) -> Any:
    return alpha.api(alpha.user(Role.FUNDRAISER, email="funds@alpha.org"))


@pytest.fixture
def bookkeeper(alpha: Any) -> Any:
    return alpha.api(alpha.user(Role.BOOKKEEPER, email="books@alpha.org"))


@pytest.fixture
def ada(alpha: Any) -> Donor:
    with schema_context("alpha"):
        return donor_made("Ada", "Lovelace", emails=("ada@example.org",))
