"""Fixtures the personnel tests share: the volunteer coordinator of alpha, as a user and as an
API client signed in as that user."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from shared_apps.users.roles import Role

if TYPE_CHECKING:
    from rest_framework.test import APIClient

    from shared_apps.users.models import User
    from tests.plugin import Tenant


@pytest.fixture
def coordinator_user(alpha: Tenant) -> User:
    return alpha.user(Role.VOLUNTEER_COORDINATOR, email="coord@alpha.org")


@pytest.fixture
def coordinator(alpha: Tenant, coordinator_user: User) -> APIClient:
    return alpha.api(coordinator_user)
