from __future__ import annotations

import pytest
from django.test import Client

from shared_apps.console.tests.factories import operator_made
from shared_apps.users.models import User


@pytest.fixture
def operator(db: None) -> User:
    return operator_made()


@pytest.fixture
def console(operator: User) -> Client:
    """A client on the public host, logged in as an operator."""
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    return client
