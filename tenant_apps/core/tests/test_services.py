"""The audit service records who acted: a signed-in user, or the system for anyone else."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django_tenants.utils import schema_context

from tenant_apps.core.models import AuditEvent
from tenant_apps.core.services import audit_record
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_is_recorded_as_the_actor(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        audit_record("thing.change", acting_user=alpha.owner, obj=alpha.owner, field="name")
        event = AuditEvent.objects.get(action="thing.change")
    assert event.actor_id == alpha.owner.pk
    assert (event.object_type, event.object_id) == ("user", str(alpha.owner.pk))
    assert event.detail == {"field": "name"}


@pytest.mark.parametrize("acting_user", [None, AnonymousUser()])
def test_anyone_else_acts_as_the_system(alpha: Tenant, acting_user: object) -> None:
    with schema_context(alpha.organization.schema_name):
        audit_record("thing.run", acting_user=acting_user)  # type: ignore[arg-type]
        event = AuditEvent.objects.get(action="thing.run")
    assert event.actor is None
    assert (event.object_type, event.object_id) == ("", "")
