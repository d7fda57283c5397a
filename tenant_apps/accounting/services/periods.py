"""Writes to the fiscal calendar: opening fiscal years and their monthly periods, closing and
reopening a period, and the organization's accounting settings (the fiscal year's first month)."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import date_check
from saas_platform.lib.plain_reads import plain_objects
from tenant_apps.accounting.closing import ClosingItem, closing_checklist
from tenant_apps.accounting.models import AccountingSettings, FiscalPeriod, PeriodState
from tenant_apps.accounting.selectors import (
    accounting_settings,
    fiscal_year_bounds,
    fiscal_year_of,
    fiscal_year_start_changeable,
)
from tenant_apps.core.services import actor_of, audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User


# --- Fiscal years -------------------------------------------------------------------------


def books_open(*, today: date) -> None:
    """The settings row and the open periods of the current fiscal year (idempotent)."""
    start_month = accounting_settings().fiscal_year_start_month
    fiscal_year_open(fiscal_year=fiscal_year_of(today, start_month=start_month))


def fiscal_year_open(*, fiscal_year: int) -> list[FiscalPeriod]:
    """Make sure the twelve monthly periods of a fiscal year exist (open unless already there)."""
    start_month = accounting_settings().fiscal_year_start_month
    first, _ = fiscal_year_bounds(fiscal_year, start_month=start_month)
    months = []
    for offset in range(12):
        year, month = divmod(first.month - 1 + offset, 12)
        start = date(first.year + year, month + 1, 1)
        months.append(
            FiscalPeriod(
                fiscal_year=fiscal_year,
                start=start,
                end=date(start.year, start.month, monthrange(start.year, start.month)[1]),
            )
        )
    FiscalPeriod.objects.bulk_create(months, ignore_conflicts=True)
    return list(FiscalPeriod.objects.filter(fiscal_year=fiscal_year).order_by("start"))


def period_for_date(day: date) -> FiscalPeriod:
    """The monthly period a date is in, created (open) with its fiscal year when missing."""
    date_check(day)
    period = FiscalPeriod.objects.filter(start__lte=day, end__gte=day).first()
    if period is None:
        start_month = accounting_settings().fiscal_year_start_month
        fiscal_year_open(fiscal_year=fiscal_year_of(day, start_month=start_month))
        period = FiscalPeriod.objects.get(start__lte=day, end__gte=day)
    return period


# --- Periods ------------------------------------------------------------------------------


def period_open_check(day: date, *, action: str = "posted") -> FiscalPeriod:
    """The open period `day` is in, or a StateConflict saying it is closed. A draft is refused
    there too, not only a posting: a draft dated in a closed period could never be posted, and
    it would keep that period from being closed again once reopened."""
    # Locked until commit, so that period_close (which locks the row too) either sees this
    # entry or has closed the period first: never a draft counted out of a closing period.
    # Writers of one period wait on each other briefly; posting already waits on the number.
    # Found and locked in one statement; only a day of a fiscal year not opened yet takes more.
    period = (
        FiscalPeriod.objects.select_for_update(no_key=True)
        .filter(start__lte=date_check(day), end__gte=day)
        .first()
    )
    if period is None:
        period = FiscalPeriod.objects.select_for_update(no_key=True).get(pk=period_for_date(day).pk)
    if period.state == PeriodState.CLOSED:
        raise StateConflict(
            f"{period} is closed: nothing can be {action} on {day}. Date the entry in an "
            "open period, or reopen the period.",
        )
    return period


def periods_open_check(days: Collection[date], *, action: str = "posted") -> None:
    """period_open_check for many dates: the periods they are in locked in one query (those
    missing created first, one fiscal year at a time), a StateConflict for the first date in a
    closed period."""
    days = sorted({date_check(day) for day in days})
    if not days:
        return
    # Every batch of entries locks its periods: one plain statement (plain_reads).
    periods = plain_objects(
        FiscalPeriod,
        'SELECT {columns} FROM {table} WHERE start <= %s AND "end" >= %s ORDER BY start '
        "FOR NO KEY UPDATE",
        [days[-1], days[0]],
    )
    for day in days:
        period = next((p for p in periods if p.start <= day <= p.end), None)
        if period is None:
            periods.append(period_open_check(day, action=action))
        elif period.state == PeriodState.CLOSED:
            raise StateConflict(
                f"{period} is closed: nothing can be {action} on {day}. Date the entry in an "
                "open period, or reopen the period.",
            )


def period_close(*, period: FiscalPeriod, acting_user: User | None) -> FiscalPeriod:
    """Close a month: nothing more is posted or drafted in it. Months close in order, and not
    while a blocking item of the checklist is open (drafts dated in it); the other open items
    are recorded with the close in the audit log."""
    with transaction.atomic():
        period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.state == PeriodState.CLOSED:
            raise StateConflict(f"{period.month} is already closed.")
        earlier = (
            FiscalPeriod.objects.filter(start__lt=period.start, state=PeriodState.OPEN)
            .order_by("start")
            .first()
        )
        if earlier is not None:
            raise StateConflict(
                f"{earlier.month} is still open: months close in order, so close "
                f"{earlier.month} before {period.month}."
            )
        checklist = closing_checklist(start=period.start, end=period.end)
        for item in checklist:
            if item.blocks and item.count:
                raise StateConflict(_blocking_message(item, period))
        period.state = PeriodState.CLOSED
        period.closed_at = timezone.now()
        period.closed_by = actor_of(acting_user)
        period.save(update_fields=["state", "closed_at", "closed_by"])
        open_items = {item.name: item.count for item in checklist if item.count}
        detail: dict[str, object] = {"start": str(period.start)}
        if open_items:
            detail["open_items"] = open_items
        audit_record("period.close", acting_user=acting_user, obj=period, **detail)
    return period


def _blocking_message(item: ClosingItem, period: FiscalPeriod) -> str:
    if item.name == "accounting.draft_entries":
        drafts = item.count
        return (
            f"{drafts} draft journal {'entry is' if drafts == 1 else 'entries are'} dated in "
            f"{period}; post or delete {'it' if drafts == 1 else 'them'} before closing."
        )
    return f"{item.label}: {item.count}. {item.action} before closing {period.month}."


def period_reopen(*, period: FiscalPeriod, acting_user: User | None, reason: str) -> FiscalPeriod:
    """Reopen the latest closed month, saying why (kept in the audit log). An earlier month
    reopens only once the months closed after it are reopened: they were closed on its
    figures."""
    reason = reason.strip()
    with transaction.atomic():
        period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.state == PeriodState.OPEN:
            raise StateConflict(f"{period.month} is already open.")
        if not reason:
            raise ServiceError(
                "Say why the month is reopened; the reason is kept in the audit log.",
                fields={"reason": ["Say why the month is reopened."]},
            )
        later = (
            FiscalPeriod.objects.filter(start__gt=period.start, state=PeriodState.CLOSED)
            .order_by("-start")
            .first()
        )
        if later is not None:
            raise StateConflict(
                f"{later.month} is closed after it: only the latest closed month reopens, so "
                f"reopen {later.month} first."
            )
        period.state = PeriodState.OPEN
        period.closed_at = None
        period.closed_by = None
        period.save(update_fields=["state", "closed_at", "closed_by"])
        audit_record(
            "period.reopen",
            acting_user=acting_user,
            obj=period,
            start=str(period.start),
            reason=reason,
        )
    return period


# --- Settings -----------------------------------------------------------------------------


def settings_update(
    *, fiscal_year_start_month: int, acting_user: User | None
) -> AccountingSettings:
    """Change the fiscal year's first month; allowed only before anything is posted."""
    if not 1 <= fiscal_year_start_month <= 12:
        raise ServiceError(
            "The fiscal year starts in a month from 1 to 12.",
            fields={"fiscal_year_start_month": ["A month from 1 to 12."]},
        )
    with transaction.atomic():
        settings_row = AccountingSettings.objects.select_for_update().get(
            pk=accounting_settings().pk
        )
        if settings_row.fiscal_year_start_month == fiscal_year_start_month:
            return settings_row
        if not fiscal_year_start_changeable():
            raise StateConflict(
                "The fiscal year's first month can be changed only before the first posting: "
                "posted entries, closed months and reports are filed under their fiscal year.",
                fields={"fiscal_year_start_month": ["Fixed once anything is posted."]},
            )
        previous = settings_row.fiscal_year_start_month
        settings_row.fiscal_year_start_month = fiscal_year_start_month
        settings_row.save(update_fields=["fiscal_year_start_month", "updated_at"])
        periods = list(FiscalPeriod.objects.all())
        for period in periods:
            period.fiscal_year = fiscal_year_of(period.start, start_month=fiscal_year_start_month)
        FiscalPeriod.objects.bulk_update(periods, ["fiscal_year"])
        audit_record(
            "settings.update",
            acting_user=acting_user,
            obj=settings_row,
            fiscal_year_start_month=[previous, fiscal_year_start_month],
        )
    return settings_row
