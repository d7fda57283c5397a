"""Recurring gifts: their schedule (month ends keep the anchor day), the daily run that makes
draft gifts once per date, pausing and resuming, and the beat task over active tenants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.tasks import queue_in_every_active_tenant
from tenant_apps.accounting.models import Fund, JournalLine
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations import tasks
from tenant_apps.donations.models import Gift, GiftState, RecurringGift, RecurringGiftState
from tenant_apps.donations.services.gifts import gift_create
from tenant_apps.donations.services.recurring import (
    recurring_gift_cancel,
    recurring_gift_delete,
    recurring_gift_pause,
    recurring_gift_resume,
    recurring_gift_update,
    recurring_gifts_run,
)
from tenant_apps.donations.services.schedules import months_added
from tenant_apps.donations.tests.factories import RecurringGiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def test_month_ends_keep_the_anchor_day() -> None:
    day = date(2027, 1, 31)
    seen = []
    for _ in range(4):
        seen.append(day)
        day = months_added(day, 1, anchor_day=31)
    assert seen == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert months_added(date(2027, 11, 30), 3, anchor_day=30) == date(2028, 2, 29)
    assert months_added(date(2028, 2, 29), 12, anchor_day=29) == date(2029, 2, 28)


def test_the_run_makes_the_gifts_due_once_and_moves_the_next_date_on(
    in_alpha: Tenant, ada: Donor
) -> None:
    monthly = RecurringGiftFactory.create(
        donor=ada, next_on=date(2026, 8, 31), amount="40.00", fund="PRP"
    )
    later = RecurringGiftFactory.create(donor=ada, next_on=date(2026, 12, 5))

    result = recurring_gifts_run(today=date(2026, 11, 22))

    gifts = list(Gift.objects.filter(recurring_gift=monthly).order_by("received_on"))
    assert [gift.received_on for gift in gifts] == [
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
    ]
    assert sorted(result.created) == sorted(gift.pk for gift in gifts)
    assert not result.failed
    for gift in gifts:
        assert (gift.state, gift.amount, gift.method, gift.donor) == (
            GiftState.DRAFT,
            Decimal("40.00"),
            "ach",
            ada,
        )
        assert [(a.fund.code, a.amount) for a in gift.allocations.all()] == [
            ("PRP", Decimal("40.00"))
        ]
        audit = AuditEvent.objects.get(action="gift.create", object_id=str(gift.pk))
        assert audit.detail["recurring_gift"] == monthly.pk
    monthly.refresh_from_db()
    later.refresh_from_db()
    assert monthly.next_on == date(2026, 11, 30)
    assert later.next_on == date(2026, 12, 5)
    assert not JournalLine.objects.exists()  # drafts: a person posts them

    again = recurring_gifts_run(today=date(2026, 11, 22))

    assert again.created == []
    assert Gift.objects.count() == 3
    assert AuditEvent.objects.filter(action="gift.create").count() == 3


def test_the_database_allows_one_gift_per_recurring_gift_and_date(
    in_alpha: Tenant, ada: Donor
) -> None:
    recurring = RecurringGiftFactory.create(donor=ada, next_on=today())
    recurring_gifts_run(today=today())

    with (
        pytest.raises(IntegrityError, match="gift_one_per_recurring_date"),
        transaction.atomic(),
    ):
        gift_create(
            donor=ada,
            amount="25.00",
            received_on=today(),
            method="ach",
            recurring_gift=recurring,
            acting_user=None,
        )
    assert Gift.objects.filter(recurring_gift=recurring).count() == 1


def test_a_recurring_gift_ends_after_its_end_date(in_alpha: Tenant, ada: Donor) -> None:
    recurring = RecurringGiftFactory.create(
        donor=ada,
        next_on=date(2026, 5, 15),
        frequency="quarterly",
        end_on=date(2026, 11, 15),
    )

    recurring_gifts_run(today=date(2026, 12, 31))

    assert list(
        Gift.objects.filter(recurring_gift=recurring)
        .order_by("received_on")
        .values_list("received_on", flat=True)
    ) == [date(2026, 5, 15), date(2026, 8, 15), date(2026, 11, 15)]
    recurring.refresh_from_db()
    assert recurring.state == RecurringGiftState.COMPLETED
    with pytest.raises(StateConflict, match="is completed"):
        recurring_gift_update(recurring_gift=recurring, acting_user=None, amount="5")


def test_paused_and_cancelled_gifts_are_not_made_and_resuming_skips_the_pause(
    in_alpha: Tenant, ada: Donor
) -> None:
    paused = RecurringGiftFactory.create(donor=ada, next_on=date(2026, 9, 10))
    cancelled = RecurringGiftFactory.create(donor=ada, next_on=date(2026, 9, 10), amount="30.00")
    recurring_gift_pause(recurring_gift=paused, acting_user=None)
    recurring_gift_cancel(recurring_gift=cancelled, acting_user=None)

    assert recurring_gifts_run(today=date(2026, 11, 22)).created == []

    resumed = recurring_gift_resume(
        recurring_gift=paused, acting_user=None, today=date(2026, 11, 22)
    )
    assert (resumed.state, resumed.next_on) == (RecurringGiftState.ACTIVE, date(2026, 12, 10))
    assert resumed.anchor_day == 10
    with pytest.raises(StateConflict, match="only paused can be resumed"):
        recurring_gift_resume(recurring_gift=cancelled, acting_user=None)
    with pytest.raises(StateConflict, match="is cancelled"):
        recurring_gift_update(recurring_gift=cancelled, acting_user=None, amount="5")
    assert not Gift.objects.exists()
    assert AuditEvent.objects.filter(action="recurring_gift.pause").count() == 1


def test_one_recurring_gift_that_cannot_be_made_does_not_hold_the_others_back(
    in_alpha: Tenant, ada: Donor
) -> None:
    broken = RecurringGiftFactory.create(donor=ada, next_on=today(), fund="PRP")
    working = RecurringGiftFactory.create(donor=ada, next_on=today())
    Fund.objects.filter(code="PRP").update(is_active=False)

    result = recurring_gifts_run(today=today())

    assert list(result.failed) == [broken.pk]
    assert "no active fund" in result.failed[broken.pk]
    assert [Gift.objects.get(pk=pk).recurring_gift_id for pk in result.created] == [working.pk]
    broken.refresh_from_db()
    assert broken.next_on == today()  # tried again on the next run


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"method": "card"}, "method"),
        ({"method": "in_kind"}, "method"),
        ({"frequency": "weekly"}, "frequency"),
        ({"amount": "-5"}, "amount"),
        ({"end_on": date(2020, 1, 1)}, "end_on"),
        ({"fund": "NOPE"}, "fund"),
    ],
)
def test_a_bad_recurring_gift_is_refused_and_writes_nothing(
    in_alpha: Tenant, ada: Donor, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ServiceError) as error:
        RecurringGiftFactory.create(donor=ada, next_on=today(), **fields)
    assert field in error.value.fields
    assert not RecurringGift.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="recurring_gift").exists()


def test_a_payment_reference_is_unique_when_set(in_alpha: Tenant, ada: Donor) -> None:
    RecurringGiftFactory.create(donor=ada, next_on=today(), payment_reference="sub_123")
    RecurringGiftFactory.create(donor=ada, next_on=today())
    RecurringGiftFactory.create(donor=ada, next_on=today())  # blank references do not clash

    with pytest.raises(StateConflict, match="sub_123"):
        RecurringGiftFactory.create(donor=ada, next_on=today(), payment_reference="sub_123")
    assert RecurringGift.objects.count() == 3


def test_an_edit_sets_a_new_anchor_day(in_alpha: Tenant, ada: Donor) -> None:
    recurring = RecurringGiftFactory.create(donor=ada, next_on=date(2027, 1, 31))

    recurring = recurring_gift_update(
        recurring_gift=recurring, acting_user=None, next_on=date(2027, 2, 15), amount="30"
    )

    assert (recurring.anchor_day, recurring.amount) == (15, Decimal("30.00"))
    recurring_gifts_run(today=date(2027, 3, 20))
    assert list(Gift.objects.order_by("received_on").values_list("received_on", flat=True)) == [
        date(2027, 2, 15),
        date(2027, 3, 15),
    ]
    with pytest.raises(StateConflict, match="cancel it instead"):
        recurring_gift_delete(recurring_gift=recurring, acting_user=None)


# --- The beat task ----------------------------------------------------------------------------


def test_the_daily_task_runs_in_every_active_tenant_and_skips_the_others(
    alpha: Tenant, beta: Tenant
) -> None:
    with schema_context("alpha"):
        RecurringGiftFactory.create(donor=donor_made("Ada", "Lovelace"), next_on=today())
    with schema_context("beta"):
        RecurringGiftFactory.create(donor=donor_made("Grace", "Hopper"), next_on=today())
    Organization.objects.filter(slug="beta").update(state=OrganizationState.SUSPENDED)

    queued = tasks.recurring_gifts_run_all.delay()

    assert queued.get() >= 1
    assert connection.schema_name == "public"
    with schema_context("alpha"):
        assert Gift.objects.filter(received_on=today(), recurring_gift__isnull=False).count() == 1
    with schema_context("beta"):
        assert not Gift.objects.exists()  # suspended: not run


def test_the_tenant_task_refuses_to_run_in_another_schema(alpha: Tenant) -> None:
    with pytest.raises(RuntimeError, match="ran in schema public"):
        tasks.recurring_gifts_run.delay(alpha.organization.pk)


def _zone_at(hours_ahead_of_utc: int) -> str:
    # The Etc zones count the other way round: Etc/GMT-3 is three hours ahead of UTC.
    return f"Etc/GMT{-hours_ahead_of_utc:+d}" if hours_ahead_of_utc else "Etc/GMT"


def test_the_daily_run_comes_at_the_hour_of_each_organizations_own_day(
    alpha: Tenant, beta: Tenant
) -> None:
    now = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    # 05:00 the next morning in alpha's zone (UTC+11), 06:00 in beta's (UTC+12).
    Organization.objects.filter(slug="alpha").update(time_zone=_zone_at(11))
    Organization.objects.filter(slug="beta").update(time_zone=_zone_at(12))
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            RecurringGiftFactory.create(donor=donor_made("Ada", "Lovelace"), next_on=today())

    queued = queue_in_every_active_tenant(tasks.recurring_gifts_run, at_local_hour=5, now=now)

    assert queued == 1
    with schema_context("alpha"):
        assert Gift.objects.filter(recurring_gift__isnull=False).count() == 1
    with schema_context("beta"):
        assert not Gift.objects.exists()  # its 05:00 comes an hour earlier, not at this run


def test_the_tenant_task_reckons_today_in_the_organizations_time_zone(alpha: Tenant) -> None:
    # A zone whose date is not UTC's at this moment: 14 hours ahead late in the UTC day, 12
    # behind early in it. Of two gifts, due on UTC's date and on the organization's, those due
    # by the organization's today are made.
    ahead = 14 if timezone.now().hour >= 12 else -12
    zone = _zone_at(ahead)
    Organization.objects.filter(slug="alpha").update(time_zone=zone)
    their_today = timezone.localdate(timezone=ZoneInfo(zone))
    utc_today = timezone.localdate()
    assert their_today != utc_today
    with schema_context("alpha"):
        for due in (their_today, utc_today):
            RecurringGiftFactory.create(donor=donor_made("Ada", "Lovelace"), next_on=due)

    tasks.recurring_gifts_run.apply(
        args=(alpha.organization.pk,), headers={"_schema_name": "alpha"}
    ).get()

    with schema_context("alpha"):
        made = set(
            Gift.objects.filter(recurring_gift__isnull=False).values_list("received_on", flat=True)
        )
    assert made == ({their_today, utc_today} if ahead > 0 else {their_today})
    assert timezone.get_current_timezone_name() == "UTC"  # the task's zone did not outlive it


def test_resuming_keeps_the_anchor_day_and_ends_a_schedule_that_ran_out(
    in_alpha: Tenant, ada: Donor
) -> None:
    month_end = RecurringGiftFactory.create(donor=ada, next_on=date(2026, 10, 31))
    short = RecurringGiftFactory.create(
        donor=ada, next_on=date(2026, 9, 5), end_on=date(2026, 10, 5)
    )
    for recurring in (month_end, short):
        recurring_gift_pause(recurring_gift=recurring, acting_user=None)

    month_end = recurring_gift_resume(
        recurring_gift=month_end, acting_user=None, today=date(2027, 2, 10)
    )
    short = recurring_gift_resume(recurring_gift=short, acting_user=None, today=date(2026, 11, 22))

    assert (month_end.next_on, month_end.anchor_day) == (date(2027, 2, 28), 31)
    recurring_gifts_run(today=date(2027, 3, 31))
    month_end.refresh_from_db()
    assert month_end.next_on == date(2027, 4, 30)
    assert short.state == RecurringGiftState.COMPLETED
    paused = RecurringGiftFactory.create(
        donor=ada, next_on=date(2026, 9, 5), end_on=date(2026, 12, 31)
    )
    recurring_gift_pause(recurring_gift=paused, acting_user=None)
    with pytest.raises(ServiceError, match="from today to its end date"):
        recurring_gift_resume(
            recurring_gift=paused,
            acting_user=None,
            next_on=date(2027, 1, 5),
            today=date(2026, 11, 22),
        )
