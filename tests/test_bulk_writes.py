"""Rows written in batches by rows_insert (one statement, each column's values as one array in
PostgreSQL's text form) read back as bulk_create writes them, whatever their text holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model
from django_tenants.utils import schema_context

from saas_platform.lib.bulk import rows_insert
from tenant_apps.accounting.models import Fund
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, GiftAllocation
from tenant_apps.donors.models import Donor, DonorKind
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

AWKWARD = ['say "hi"', "back\\slash", "{braces}, commas", "NULL", "", "naïve – ünïcode", "a\nb"]


def _row(obj: Model, *, leave: tuple[str, ...] = ("id",)) -> dict[str, object]:
    values = type(obj)._default_manager.filter(pk=obj.pk).values().get()
    return {name: value for name, value in values.items() if name not in leave}


def test_rows_of_awkward_text_and_json_read_back_as_bulk_create_writes_them(alpha: Tenant) -> None:
    def events() -> list[AuditEvent]:
        return [
            AuditEvent(
                action=text[:50],
                object_type="gift",
                object_id=str(number),
                detail={"said": text, "nested": {"list": [1, None, text]}, "ok": number % 2 == 0},
            )
            for number, text in enumerate(AWKWARD)
        ]

    with schema_context("alpha"):
        ours, theirs = rows_insert(events()), AuditEvent.objects.bulk_create(events())

        assert all(event.pk is not None for event in ours)
        assert [_row(event, leave=("id", "at")) for event in ours] == [
            _row(event, leave=("id", "at")) for event in theirs
        ]
        assert [AuditEvent.objects.get(pk=event.pk).detail["said"] for event in ours] == AWKWARD
        # auto_now_add set as a save sets it, on the objects too
        assert all(event.at is not None for event in ours)
        assert AuditEvent.objects.get(pk=ours[0].pk).at == ours[0].at


def test_amounts_dates_and_a_related_row_saved_after_it_was_set_are_written(
    alpha: Tenant,
) -> None:
    with schema_context("alpha"):
        donor = donor_made("Ada", "Lovelace")
        general = Fund.objects.get(code="GEN")
        gifts = [
            Gift(
                donor=donor,
                amount=Decimal(amount),
                received_on=datetime(2026, 12, 5, tzinfo=UTC).date(),
                method="card",
                anonymous=number == 0,
            )
            for number, amount in enumerate(["0.01", "12345.67", "1E+2"])
        ]
        allocations = [
            GiftAllocation(gift=gift, fund=general, amount=gift.amount) for gift in gifts
        ]
        rows_insert(gifts)  # after the allocations were given their gifts
        rows_insert(allocations)

        assert [Gift.objects.get(pk=gift.pk).amount for gift in gifts] == [
            Decimal("0.01"),
            Decimal("12345.67"),
            Decimal("100.00"),
        ]
        assert list(
            GiftAllocation.objects.filter(pk__in=[a.pk for a in allocations])
            .order_by("pk")
            .values_list("gift_id", "amount")
        ) == [(gift.pk, gift.amount) for gift in gifts]
        assert [Gift.objects.get(pk=gift.pk).anonymous for gift in gifts] == [True, False, False]


def test_a_database_default_no_row_sets_is_left_to_the_database_and_read_back(
    alpha: Tenant, django_assert_num_queries: Any
) -> None:
    """Donors' giving total has a database default: rows that leave it are written in one
    statement with it left out, and hold the value the database gave it, as bulk_create's do;
    a batch where some set it and others do not is bulk_create's."""

    def donors(*names: str) -> list[Donor]:
        return [
            Donor(
                kind=DonorKind.INDIVIDUAL,
                first_name=name,
                last_name="Test",
                display_name=f"{name} Test",
            )
            for name in names
        ]

    with schema_context("alpha"):
        with django_assert_num_queries(1) as written:
            ours = rows_insert(donors("Ada", "Grace"))
        # One array a column, the default's column not among them.
        assert "unnest(" in written[0]["sql"]
        assert '"giving_total"' not in written[0]["sql"].split("SELECT")[0]
        theirs = Donor.objects.bulk_create(donors("Ada", "Grace"))

        assert [donor.giving_total for donor in ours] == [Decimal("0.00")] * 2
        assert [_row(donor) for donor in ours] == [
            {
                **_row(donor),
                "created_at": ours[place].created_at,
                "updated_at": ours[place].updated_at,
            }
            for place, donor in enumerate(theirs)
        ]

        mixed = donors("Emmy", "Sofia")
        mixed[0].giving_total = Decimal("12.00")
        rows_insert(mixed)
        assert [donor.pk is not None for donor in mixed] == [True, True]
        assert Donor.objects.get(pk=mixed[1].pk).giving_total == Decimal("0.00")
