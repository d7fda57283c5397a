"""Time restrictions ending: the release date on a fund, the release the daily task posts (once,
to the cent, dated on the release date) and what it refuses."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from shared_apps.tenants.models import Organization, OrganizationState
from tenant_apps.accounting import tasks
from tenant_apps.accounting.models import EntrySource, Fund, JournalEntry, PeriodState
from tenant_apps.accounting.services import chart, periods, postings, releases
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import months_closed_through
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

GIVEN = date(2026, 3, 10)
RELEASE_ON = date(2026, 6, 30)


def _time_fund(code: str = "T26", release_on: date | None = RELEASE_ON) -> Fund:
    return chart.fund_create(
        code=code,
        name="For the summer",
        restriction="time",
        release_on=release_on,
        acting_user=None,
    )


def _given_and_spent(fund: Fund) -> None:
    """Given 1,000.01 and 250.00 to the fund, of which 333.33 is spent (released at once as it
    is spent): 916.68 is left with donor restrictions."""
    for amount in ("1000.01", "250.00"):
        postings.post_contribution(
            date=GIVEN, amount=Decimal(amount), fund=fund.code, acting_user=None
        )
    postings.entry_record(
        date=GIVEN + timedelta(days=5),
        memo="Camp supplies",
        source="manual",
        acting_user=None,
        lines=[
            LineSpec(account="8110", fund=fund.code, debit="333.33", function="fundraising"),
            LineSpec(account="1010", fund=fund.code, credit="333.33"),
        ],
    )


def _time_releases() -> list[JournalEntry]:
    return list(
        JournalEntry.objects.filter(
            source=EntrySource.RELEASE, source_reference__startswith="fund "
        ).order_by("pk")
    )


def test_the_remaining_restricted_balance_is_released_on_the_day_to_the_cent(
    in_alpha: Tenant,
) -> None:
    fund = _time_fund()
    _given_and_spent(fund)
    # A gift after the release date is not part of what the date releases.
    postings.post_contribution(
        date=RELEASE_ON + timedelta(days=1), amount=Decimal("7"), fund="T26", acting_user=None
    )

    run = releases.time_releases_run(today=RELEASE_ON + timedelta(days=3))

    [entry] = run.released
    assert (entry.date, entry.state, entry.source) == (RELEASE_ON, "posted", "release")
    assert sorted(
        entry.lines.values_list("account__code", "net_asset_class", "debit", "credit")
    ) == [
        ("6920", "with", Decimal("916.68"), Decimal("0.00")),
        ("6920", "without", Decimal("0.00"), Decimal("916.68")),
    ]
    assert releases.fund_restricted_balance(fund=fund, as_of=RELEASE_ON) == Decimal("0.00")
    audit = AuditEvent.objects.get(action="fund.release")
    assert audit.detail["amount"] == "916.68"


def test_running_again_releases_nothing_more(in_alpha: Tenant) -> None:
    fund = _time_fund()
    _given_and_spent(fund)
    releases.time_releases_run(today=RELEASE_ON)

    again = releases.time_releases_run(today=RELEASE_ON + timedelta(days=1))

    assert again.released == []
    assert len(_time_releases()) == 1
    with pytest.raises(ServiceError, match="already released"):
        releases.fund_time_release(fund=fund, acting_user=None)
    assert len(_time_releases()) == 1


def test_funds_not_yet_due_or_without_a_date_or_balance_are_left(in_alpha: Tenant) -> None:
    later = _time_fund("LATER", release_on=RELEASE_ON + timedelta(days=1))
    undated = _time_fund("UNDATED", release_on=None)
    empty = _time_fund("EMPTY")
    for fund in (later, undated):
        postings.post_contribution(
            date=GIVEN, amount=Decimal("10"), fund=fund.code, acting_user=None
        )

    run = releases.time_releases_run(today=RELEASE_ON)

    assert run.released == []
    assert _time_releases() == []
    # The empty fund is looked at again: a gift dated before its date is released next time.
    postings.post_contribution(date=GIVEN, amount=Decimal("12.34"), fund="EMPTY", acting_user=None)
    [entry] = releases.time_releases_run(today=RELEASE_ON).released
    assert entry.lines.get(net_asset_class="with").debit == Decimal("12.34")
    assert empty.code == "EMPTY"


def test_a_closed_month_is_reported_and_the_others_still_released(in_alpha: Tenant) -> None:
    closed = _time_fund("CLOSED", release_on=date(2026, 5, 31))
    open_fund = _time_fund("OPEN")
    for fund in (closed, open_fund):
        postings.post_contribution(
            date=GIVEN, amount=Decimal("50"), fund=fund.code, acting_user=None
        )
    months_closed_through(date(2026, 5, 1))

    run = releases.time_releases_run(today=RELEASE_ON)

    assert [entry.lines.values_list("fund__code", flat=True)[0] for entry in run.released] == [
        "OPEN"
    ]
    assert "that month is closed" in run.refused["CLOSED"]
    assert periods.period_for_date(date(2026, 5, 1)).state == PeriodState.CLOSED


def test_a_release_date_is_for_time_restricted_funds_and_stays_once_released(
    in_alpha: Tenant,
) -> None:
    with pytest.raises(ServiceError) as refused:
        chart.fund_create(
            code="P1",
            name="Purpose",
            restriction="purpose",
            release_on=RELEASE_ON,
            acting_user=None,
        )
    assert refused.value.fields == {"release_on": ["Only for a fund with a time restriction."]}
    with pytest.raises(ServiceError) as out_of_range:
        _time_fund("OLD", release_on=date(1800, 1, 1))
    assert "release_on" in out_of_range.value.fields
    assert not Fund.objects.filter(code__in=["P1", "OLD"]).exists()

    fund = _time_fund()
    fund = chart.fund_update(fund=fund, release_on=date(2026, 7, 31), acting_user=None)
    assert fund.release_on == date(2026, 7, 31)
    postings.post_contribution(date=GIVEN, amount=Decimal("5"), fund="T26", acting_user=None)
    releases.time_releases_run(today=date(2026, 8, 1))
    with pytest.raises(ServiceError, match="release date stays"):
        chart.fund_update(fund=fund, release_on=date(2026, 9, 30), acting_user=None)
    fund.refresh_from_db()
    assert fund.release_on == date(2026, 7, 31)


# --- The beat task ----------------------------------------------------------------------------


def test_the_daily_task_runs_in_every_active_tenant_and_skips_the_others(
    alpha: Tenant, beta: Tenant
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            _time_fund(release_on=yesterday)
            postings.post_contribution(
                date=yesterday, amount=Decimal("40.00"), fund="T26", acting_user=None
            )
    Organization.objects.filter(slug="beta").update(state=OrganizationState.SUSPENDED)

    queued = tasks.time_releases_run_all.delay()
    tasks.time_releases_run_all.delay()  # twice on a day: still one release

    assert queued.get() >= 1
    assert connection.schema_name == "public"
    with schema_context("alpha"):
        [entry] = _time_releases()
        assert entry.date == yesterday
    with schema_context("beta"):
        assert _time_releases() == []  # suspended: not run


def test_the_tenant_task_refuses_to_run_in_another_schema(alpha: Tenant) -> None:
    with pytest.raises(RuntimeError, match="ran in schema public"):
        tasks.time_releases_run.delay(alpha.organization.pk)
