"""The console reads tenant tables by name; the names must be the models' own tables."""

from django.contrib.auth import get_user_model

from shared_apps.console.selectors import TENANT_TABLES
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift
from tenant_apps.donors.models import Donor


def test_the_named_tenant_tables_are_the_models_tables() -> None:
    assert {
        "donors": Donor._meta.db_table,
        "gifts": Gift._meta.db_table,
        "audit": AuditEvent._meta.db_table,
        "users": get_user_model()._meta.db_table,
    } == TENANT_TABLES
