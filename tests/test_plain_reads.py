"""Reads in plain SQL (saas_platform/lib/plain_reads.py) give the objects the ORM gives: every
field converted as the ORM converts it, JSON included, in the tenant's schema; keys taken
ahead (keys_taken) are written by rows_insert with the rows that carry them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count, Model
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context

from saas_platform.lib.bulk import keys_taken, rows_insert
from saas_platform.lib.plain_reads import (
    plain_objects,
    plain_objects_by_key,
    plain_objects_with,
    plain_values,
)
from saas_platform.lib.singletons import singleton_get
from shared_apps.billing.models import ConnectEvent
from tenant_apps.accounting.models import Account, AccountingSettings, Fund
from tenant_apps.core.models import AuditEvent
from tenant_apps.donors.models import Donor, DonorEmail
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _fields(obj: Model) -> dict[str, object]:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_objects_read_plainly_are_the_objects_the_orm_reads(alpha: Tenant) -> None:
    with schema_context("alpha"):
        donor = donor_made("Ada", "Lovelace")
        AuditEvent.objects.create(
            action="gift.create",
            object_type="gift",
            object_id="7",
            detail={"said": 'a "b"', "n": [1, None]},
        )

        events = plain_objects(AuditEvent, "SELECT {columns} FROM {table} ORDER BY id", [])
        assert [_fields(event) for event in events] == [
            _fields(event) for event in AuditEvent.objects.order_by("id")
        ]
        assert events[-1].detail == {"said": 'a "b"', "n": [1, None]}  # JSON, not its text
        assert not events[-1]._state.adding  # saved rows, as the ORM's are
        (read,) = plain_objects(Donor, "SELECT {columns} FROM {table} WHERE id = %s", [donor.pk])
        assert _fields(read) == _fields(Donor.objects.get(pk=donor.pk))
        assert isinstance(read.giving_total, Decimal)


def test_values_after_the_columns_come_with_each_object(alpha: Tenant) -> None:
    with schema_context("alpha"):
        donor = donor_made("Grace", "Hopper")
        DonorEmail.objects.create(donor=donor, email="grace@example.org", is_primary=True)

        found = plain_objects_with(
            Donor,
            "SELECT {columns_of_d}, e.email FROM {email} e JOIN {table} d ON d.id = e.donor_id "
            "WHERE e.email = ANY(%s)",
            [["grace@example.org", "nobody@example.org"]],
            email=DonorEmail,
        )

        assert [(found_donor.pk, extra) for found_donor, extra in found] == [
            (donor.pk, ("grace@example.org",))
        ]
        counted = {
            account.code: account.children_count
            for account in Account.objects.annotate(children_count=Count("children"))
        }
        read = plain_objects_with(
            Account,
            "SELECT {columns_of_a}, (SELECT count(*) FROM {table} c WHERE c.parent_id = a.id) "
            "FROM {table} a",
            [],
        )
        assert {account.code: children for account, (children,) in read} == counted
        assert plain_values("SELECT count(*) FROM {fund}", [], fund=Fund) == [
            (Fund.objects.count(),)
        ]


def test_objects_are_read_by_their_keys(alpha: Tenant) -> None:
    with schema_context("alpha"):
        ada, grace = donor_made("Ada", "Lovelace"), donor_made("Grace", "Hopper")

        read = plain_objects_by_key(Donor, [grace.pk, ada.pk, grace.pk, -1])

        assert sorted(read) == sorted([ada.pk, grace.pk])  # once each; an unknown key is left
        assert _fields(read[grace.pk]) == _fields(Donor.objects.get(pk=grace.pk))
        assert plain_objects_by_key(Donor, []) == {}


def test_a_plain_read_sees_the_schema_it_runs_in(alpha: Tenant, beta: Tenant) -> None:
    with schema_context("alpha"):
        donor_made("Only", "Alpha")
        in_alpha = {d.last_name for d in plain_objects(Donor, "SELECT {columns} FROM {table}", [])}
    with schema_context("beta"):
        in_beta = {d.last_name for d in plain_objects(Donor, "SELECT {columns} FROM {table}", [])}

    assert "Alpha" in in_alpha
    assert "Alpha" not in in_beta


def test_a_public_table_is_read_from_a_tenant_schema(alpha: Tenant) -> None:
    with schema_context("alpha"):
        assert plain_values("SELECT count(*) FROM {event}", [], event=ConnectEvent) == [
            (ConnectEvent.objects.count(),)
        ]


def test_the_settings_row_is_read_plainly_and_made_when_missing(alpha: Tenant) -> None:
    with schema_context("alpha"):
        kept = singleton_get(AccountingSettings)
        assert model_to_dict(kept) == model_to_dict(AccountingSettings.objects.get(pk=1))

        AccountingSettings.objects.all().delete()
        made = singleton_get(AccountingSettings)

        assert made.pk == 1
        assert AccountingSettings.objects.count() == 1


def test_keys_taken_ahead_are_written_with_their_rows(alpha: Tenant) -> None:
    with schema_context("alpha"):
        keys = keys_taken(AuditEvent, 3)
        assert keys == sorted(keys) and len(set(keys)) == 3
        events = [
            AuditEvent(pk=key, action="test", object_type="gift", object_id=str(key), detail={})
            for key in keys
        ]

        written = rows_insert(events)

        assert [event.pk for event in written] == keys
        assert set(AuditEvent.objects.filter(action="test").values_list("pk", flat=True)) == set(
            keys
        )
        # the sequence has moved past them: the next row gets a new key
        later = AuditEvent.objects.create(action="later", object_type="gift", object_id="x")
        assert later.pk > keys[-1]
        assert keys_taken(AuditEvent, 0) == []
