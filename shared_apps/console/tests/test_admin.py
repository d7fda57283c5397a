"""The console's records in the public admin: listed for operators, never editable there."""

from __future__ import annotations

import pytest
from django.test import Client

from shared_apps.console.models import OperatorAuditEvent, TenantExport
from shared_apps.console.tests.factories import OperatorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_admin_lists_operator_events_and_exports_read_only(alpha: Tenant) -> None:
    superuser = OperatorFactory.create(email="root@ifm.test", is_superuser=True)
    OperatorAuditEvent.objects.create(
        actor_email="root@ifm.test",
        action="suspend",
        organization_id=alpha.organization.pk,
        organization_slug="alpha",
        reason="test",
        outcome="succeeded",
    )
    TenantExport.objects.create(
        organization_id=alpha.organization.pk, organization_slug="alpha", state="queued"
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(superuser)

    events = client.get("/admin/console/operatorauditevent/")
    exports = client.get("/admin/console/tenantexport/")

    assert events.status_code == 200
    assert b"root@ifm.test" in events.content
    assert exports.status_code == 200
    assert b"alpha" in exports.content
    assert client.get("/admin/console/operatorauditevent/add/").status_code == 403
