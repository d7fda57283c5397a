"""Schedules of dates: the months between the payments of a pledge or the gifts of a recurring
gift, and a pledge's installments, given one by one or split from its amount."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse
from tenant_apps.donations.models import MONTHS_OF_FREQUENCY, Frequency, PledgeInstallment
from tenant_apps.donations.services.checks import date_required

MAX_INSTALLMENTS = 360  # thirty years of monthly payments
CENT = Decimal("0.01")


@dataclass(frozen=True)
class InstallmentSpec:
    due_on: date
    amount: Decimal | str


@dataclass(frozen=True)
class ScheduleSpec:
    """`count` payments, `frequency` apart, the first due on `first_due_on`."""

    count: int
    frequency: str
    first_due_on: date


def months_added(day: date, months: int, *, anchor_day: int) -> date:
    """`day` moved `months` later, on `anchor_day` or the month's last day if it is shorter:
    Jan 31 -> Feb 28 -> Mar 31."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(anchor_day, monthrange(year, month)[1]))


def dates_from(
    first: date, *, frequency: str, anchor_day: int, end_on: date | None, count: int
) -> list[date]:
    """Up to `count` dates of a schedule that starts on `first` and steps by `frequency`,
    keeping `anchor_day`, none after `end_on`: the gifts a recurring gift will make."""
    step = MONTHS_OF_FREQUENCY[Frequency(frequency)]
    dates: list[date] = []
    day = first
    while len(dates) < count and (end_on is None or day <= end_on):
        dates.append(day)
        day = months_added(day, step, anchor_day=anchor_day)
    return dates


def first_on_or_after(day: date, *, frequency: str, anchor_day: int, today: date) -> date:
    """The first date of the schedule through `day` that is not before `today`: where a paused
    recurring gift picks up again (the dates passed are not caught up)."""
    step = MONTHS_OF_FREQUENCY[Frequency(frequency)]
    while day < today:
        day = months_added(day, step, anchor_day=anchor_day)
    return day


def frequency_check(frequency: str) -> str:
    if frequency not in Frequency.values:
        raise ServiceError(
            f"A frequency is one of {', '.join(Frequency.values)}.",
            fields={"frequency": ["Unknown frequency."]},
        )
    return frequency


def schedule_split(*, amount: Decimal, schedule: ScheduleSpec) -> list[InstallmentSpec]:
    """`amount` in `schedule.count` installments that add up to it exactly: equal parts, the
    cents left over one each on the first installments."""
    count = schedule.count
    if not isinstance(count, int) or not 1 <= count <= MAX_INSTALLMENTS:
        raise ServiceError(
            f"A schedule has 1 to {MAX_INSTALLMENTS} installments.",
            fields={"schedule": [f"Count from 1 to {MAX_INSTALLMENTS}."]},
        )
    frequency = frequency_check(schedule.frequency)
    first = date_required(schedule.first_due_on, field="schedule")
    if amount < CENT * count:
        raise ServiceError(
            f"{amount:.2f} cannot be split in {count} installments of at least 0.01.",
            fields={"schedule": ["Too many installments for the amount."]},
        )
    part = (amount / count).quantize(CENT, rounding=ROUND_DOWN)
    left_over = int((amount - part * count) / CENT)
    step = MONTHS_OF_FREQUENCY[Frequency(frequency)]
    return [
        InstallmentSpec(
            due_on=months_added(first, step * index, anchor_day=first.day),
            amount=part + CENT if index < left_over else part,
        )
        for index in range(count)
    ]


def _installments_build(
    specs: Sequence[InstallmentSpec], *, amount: Decimal, pledged_on: date
) -> list[PledgeInstallment]:
    if not specs:
        specs = [InstallmentSpec(due_on=pledged_on, amount=amount)]
    if len(specs) > MAX_INSTALLMENTS:
        raise ServiceError(
            f"A schedule has at most {MAX_INSTALLMENTS} installments.",
            fields={"installments": ["Too many."]},
        )
    rows, seen = [], set()
    for spec in specs:
        due_on = date_required(spec.due_on, field="installments")
        if due_on < pledged_on:
            raise ServiceError(
                f"An installment is due on {due_on}, before the pledge was made ({pledged_on}).",
                fields={"installments": ["Due before the pledge date."]},
            )
        if due_on in seen:
            raise ServiceError(
                f"Two installments are due on {due_on}; give one per date.",
                fields={"installments": ["One installment per date."]},
            )
        seen.add(due_on)
        rows.append(
            PledgeInstallment(due_on=due_on, amount=amount_parse(spec.amount, field="installments"))
        )
    total = sum((row.amount for row in rows), Decimal("0"))
    if total != amount:
        raise ServiceError(
            f"The installments add up to {total:.2f}, not the pledge's {amount:.2f}.",
            fields={"installments": ["They must add up to the amount."]},
        )
    return sorted(rows, key=lambda row: row.due_on)


def schedule_of(
    *,
    installments: Sequence[InstallmentSpec] | None,
    schedule: ScheduleSpec | None,
    amount: Decimal,
    pledged_on: date,
) -> list[PledgeInstallment]:
    """The installments of an explicit list, of a (count, frequency, first date) schedule, or,
    with neither, one installment due on the day of the pledge."""
    if installments and schedule is not None:
        raise ServiceError(
            "Give the installments or a schedule to build them from, not both.",
            fields={"schedule": ["Not with installments."]},
        )
    specs = schedule_split(amount=amount, schedule=schedule) if schedule else installments or ()
    return _installments_build(specs, amount=amount, pledged_on=pledged_on)
