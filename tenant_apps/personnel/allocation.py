"""The payroll allocation of a date range: each staff member's cost, split across functions and
programs. Read by the report and by the posting service, so both show and move the same cents.

Rules:
- Salaried staff: the pay rate is a year's pay. The cost of a range is the annual rate times
  the days employed in the range, each day counted as 1/365 of its year's pay (1/366 in a leap
  year), rounded half up to the cent once, on the total. So a full calendar year costs exactly
  the annual rate, and March 2026 for 60,000.00 a year costs 60,000 x 31 / 365 = 5,095.89.
- Hourly staff: the cost is their approved hours in the range times the hourly rate.
- Contractors are not on the payroll (their fees are professional services): left out.
- The split: by the approved hours the person logged in the range, by function and program;
  with no approved hours, by their default split in percent.
- Rounding: the cost is cut into cents by the largest-remainder method, so the parts always add
  up to the cost; leftover cents go to the largest remainders, ties to the earlier part in the
  order program (by code), management and general, fundraising.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Q, Sum

from tenant_apps.accounting.models import Function, Program
from tenant_apps.personnel.models import (
    EmploymentType,
    HourEntry,
    HourState,
    PayType,
    StaffRecord,
    WorkerKind,
)
from tenant_apps.personnel.selectors import personnel_settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FUNCTION_ORDER = {
    Function.PROGRAM.value: 0,
    Function.MANAGEMENT_GENERAL.value: 1,
    Function.FUNDRAISING.value: 2,
}


@dataclass(frozen=True)
class Part:
    function: str
    program_code: str | None
    program_name: str | None
    hours: Decimal | None  # None when the part comes from the default split
    percent: Decimal | None
    amount: Decimal


@dataclass
class StaffAllocation:
    person_id: int
    name: str
    position: str
    pay_type: str
    pay_rate: Decimal
    account: str
    days_employed: int
    hours: Decimal
    basis: str  # "hours" or "default_split"
    cost: Decimal
    parts: list[Part] = field(default_factory=list)


@dataclass
class Allocation:
    start: date
    end: date
    staff: list[StaffAllocation] = field(default_factory=list)

    @property
    def total_cost(self) -> Decimal:
        return sum((staff.cost for staff in self.staff), ZERO)

    def totals(self) -> dict[tuple[str, str | None], Decimal]:
        """The cost by function and program code, over every staff member."""
        totals: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
        for staff in self.staff:
            for part in staff.parts:
                totals[(part.function, part.program_code)] += part.amount
        return dict(sorted(totals.items(), key=lambda item: _part_order(*item[0])))


def _part_order(function: str, program_code: str | None) -> tuple[int, str]:
    return (FUNCTION_ORDER[function], program_code or "")


def days_in_range(
    start: date, end: date, employed_from: date, employed_to: date | None
) -> tuple[int, Fraction]:
    """Days employed in [start, end], and the fraction of a year's pay they earn."""
    first = max(start, employed_from)
    last = min(end, employed_to) if employed_to else end
    if last < first:
        return 0, Fraction(0)
    days, years = 0, Fraction(0)
    cursor = first
    while cursor <= last:
        year_end = date(cursor.year, 12, 31)
        chunk_end = min(last, year_end)
        chunk = (chunk_end - cursor).days + 1
        days += chunk
        years += Fraction(chunk, 366 if calendar.isleap(cursor.year) else 365)
        cursor = chunk_end + timedelta(days=1)
    return days, years


def _cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def largest_remainder(total: Decimal, weights: list[Fraction]) -> list[Decimal]:
    """`total` cut into cents in proportion to `weights`; the parts add up to `total`."""
    cents = int((total / CENT).to_integral_value())
    weight_sum = sum(weights, Fraction(0))
    if not weights or weight_sum == 0:
        return [ZERO for _ in weights]
    exact = [Fraction(cents) * weight / weight_sum for weight in weights]
    floors = [int(share) for share in exact]  # shares are >= 0: int() is the floor
    left = cents - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return [Decimal(share) * CENT for share in floors]


def allocation_compute(*, start: date, end: date) -> Allocation:
    """The allocation of [start, end] in three queries: staff, approved hours, settings."""
    settings_row = personnel_settings()
    records = list(
        StaffRecord.objects.select_related("person", "default_program")
        .filter(start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .exclude(employment_type=EmploymentType.CONTRACTOR)
        .order_by("person__full_name", "pk")
    )
    hours_rows = (
        HourEntry.objects.filter(
            kind=WorkerKind.STAFF,
            state=HourState.APPROVED,
            date__gte=start,
            date__lte=end,
            person_id__in=[record.person_id for record in records],
        )
        .values("person_id", "function", "program__code", "program__name")
        .annotate(total=Sum("hours"))
    )
    hours_of: dict[int, list[tuple[str, str | None, str | None, Decimal]]] = defaultdict(list)
    for row in hours_rows:
        hours_of[row["person_id"]].append(
            (row["function"], row["program__code"], row["program__name"], row["total"])
        )

    allocation = Allocation(start=start, end=end)
    for record in records:
        days, year_fraction = days_in_range(start, end, record.start_date, record.end_date)
        logged = sorted(hours_of.get(record.person_id, []), key=lambda r: _part_order(r[0], r[1]))
        total_hours = sum((row[3] for row in logged), ZERO)
        if record.pay_type == PayType.SALARIED:
            cost = _cents(Fraction(record.pay_rate) * year_fraction)
        else:
            cost = (total_hours * record.pay_rate).quantize(CENT, rounding=ROUND_HALF_UP)
        if not days or (not cost and not logged):
            continue
        staff = StaffAllocation(
            person_id=record.person_id,
            name=record.person.full_name,
            position=record.position,
            pay_type=record.pay_type,
            pay_rate=record.pay_rate,
            account=(
                settings_row.officer_salary_account
                if record.is_officer
                else settings_row.salary_account
            ),
            days_employed=days,
            hours=total_hours,
            basis="hours" if logged else "default_split",
            cost=cost,
        )
        if logged:
            amounts = largest_remainder(cost, [Fraction(row[3]) for row in logged])
            staff.parts = [
                Part(function, code, name, hours, None, amount)
                for (function, code, name, hours), amount in zip(logged, amounts, strict=True)
            ]
        else:
            program: Program | None = record.default_program
            split = [
                (Function.PROGRAM.value, record.split_program),
                (Function.MANAGEMENT_GENERAL.value, record.split_management_general),
                (Function.FUNDRAISING.value, record.split_fundraising),
            ]
            split = [(function, percent) for function, percent in split if percent]
            amounts = largest_remainder(cost, [Fraction(percent) for _, percent in split])
            staff.parts = [
                Part(
                    function,
                    program.code if function == Function.PROGRAM and program else None,
                    program.name if function == Function.PROGRAM and program else None,
                    None,
                    percent,
                    amount,
                )
                for (function, percent), amount in zip(split, amounts, strict=True)
            ]
        allocation.staff.append(staff)
    return allocation
