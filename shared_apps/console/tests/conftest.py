from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django_tenants.utils import schema_context

# Stripe against its local stand-in, for deletions of subscribed tenants.
from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.console.models import TenantExport
from shared_apps.console.tests.factories import OperatorFactory
from shared_apps.users.models import User


@pytest.fixture
def operator_user(db: None) -> User:
    return OperatorFactory.create()


@pytest.fixture
def console(operator_user: User) -> Client:
    """A client on the public host, logged in as an operator."""
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator_user)
    return client


@pytest.fixture
def stored_exports() -> Iterator[None]:
    """Removes the dump files a test made."""
    yield
    with schema_context("public"):
        for export in TenantExport.objects.exclude(file_name=""):
            if default_storage.exists(export.file_name):
                default_storage.delete(export.file_name)
