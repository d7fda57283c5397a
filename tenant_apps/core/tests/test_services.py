"""The audit service records who acted: a signed-in user, or the system for anyone else."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DataError
from django_tenants.utils import schema_context

from tenant_apps.accounting.models import Fund
from tenant_apps.core.models import AuditEvent
from tenant_apps.core.services import (
    audit_event,
    audit_events_record,
    audit_events_together,
    audit_record,
    audit_value,
    changes_save,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

FUND = "GEN"


def test_a_signed_in_user_is_recorded_as_the_actor(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        audit_record("thing.change", acting_user=alpha.owner, obj=alpha.owner, field="name")
        event = AuditEvent.objects.get(action="thing.change")
    assert event.actor_id == alpha.owner.pk
    assert (event.object_type, event.object_id) == ("user", str(alpha.owner.pk))
    assert event.detail == {"field": "name"}


@pytest.mark.parametrize("acting_user", [None, AnonymousUser()])
def test_anyone_else_acts_as_the_system(alpha: Tenant, acting_user: AnonymousUser | None) -> None:
    with schema_context(alpha.organization.schema_name):
        audit_record("thing.run", acting_user=acting_user)
        event = AuditEvent.objects.get(action="thing.run")
    assert event.actor is None
    assert (event.object_type, event.object_id) == ("", "")


def test_changes_save_sets_saves_and_audits_the_changes_together(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        fund = Fund.objects.get(code=FUND)
        changes_save(
            fund,
            {"name": "Roof appeal", "is_active": False},
            action="fund.update",
            acting_user=None,
        )
        fund.refresh_from_db()
        event = AuditEvent.objects.get(action="fund.update")
    assert (fund.name, fund.is_active) == ("Roof appeal", False)
    assert event.detail == {"name": "Roof appeal", "is_active": False}


def test_changes_save_records_the_detail_it_is_given_instead(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        fund = Fund.objects.get(code=FUND)
        changes_save(
            fund, {"name": "Roof"}, action="fund.update", acting_user=None, changed=["name"]
        )
        event = AuditEvent.objects.get(action="fund.update")
    assert event.detail == {"changed": ["name"]}


def test_changes_save_with_nothing_to_change_writes_nothing(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        fund = Fund.objects.get(code=FUND)
        changes_save(fund, {}, action="fund.update", acting_user=None)
        assert not AuditEvent.objects.filter(action="fund.update").exists()


def test_a_failed_save_leaves_no_audit_row(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        fund = Fund.objects.get(code=FUND)
        with pytest.raises(DataError):
            changes_save(fund, {"name": "x" * 201}, action="fund.update", acting_user=None)
        assert not AuditEvent.objects.filter(action="fund.update").exists()


@pytest.mark.parametrize(
    ("value", "held"),
    [(Decimal("12.50"), "12.50"), (date(2026, 1, 3), "2026-01-03"), (True, True), (None, None)],
)
def test_audit_value_keeps_what_json_holds_and_writes_the_rest_as_text(
    value: object, held: object
) -> None:
    assert audit_value(value) == held


def test_rows_recorded_together_are_written_in_order_at_the_end_and_not_at_all_on_an_error(
    alpha: Tenant,
) -> None:
    with schema_context(alpha.organization.schema_name):
        with audit_events_together():
            audit_events_record([audit_event("first.one", acting_user=None)])
            with audit_events_together():
                audit_events_record([audit_event("second.one", acting_user=None)])
            assert not AuditEvent.objects.filter(action__endswith=".one").exists()
        assert list(
            AuditEvent.objects.filter(action__endswith=".one")
            .order_by("pk")
            .values_list("action", flat=True)
        ) == ["first.one", "second.one"]

        with pytest.raises(ZeroDivisionError), audit_events_together():
            audit_events_record([audit_event("never.one", acting_user=None)])
            _ = 1 / 0
        assert not AuditEvent.objects.filter(action="never.one").exists()
