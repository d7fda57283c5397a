"""Fixtures most of the donations tests use: a donor to give (the API clients of the roles that
record and post gifts, `fundraiser` and `bookkeeper`, are every app's, in tests.plugin)."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made


@pytest.fixture
def ada(alpha: Any) -> Donor:
    with schema_context("alpha"):
        return donor_made("Ada", "Lovelace", emails=("ada@example.org",))
