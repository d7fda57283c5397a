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
- A pay run (pay_run_allocation_compute): each person's gross pay, employer taxes and benefits
  as the run gives them, each split the same way: by the approved hours the person logged in
  the run's period, or with none, by the default split of their staff record (100% management
  and general unless the record says otherwise). The preview names the people split that way.
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
    PayRun,
    PayRunLine,
    PayType,
    PersonnelSettings,
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


@dataclass(frozen=True)
class Share:
    """A part of a person's cost before it is cut into cents: where it goes and its weight
    (approved hours, or a percent of the default split)."""

    function: str
    program_code: str | None
    program_name: str | None
    hours: Decimal | None
    percent: Decimal | None

    @property
    def weight(self) -> Fraction:
        return Fraction(self.hours if self.hours is not None else self.percent or 0)


HoursLogged = list[tuple[str, str | None, str | None, Decimal]]


def approved_hours(*, person_ids: list[int], start: date, end: date) -> dict[int, HoursLogged]:
    """Each person's approved staff hours in [start, end] by function and program (one query),
    in the order program (by code), management and general, fundraising."""
    rows = (
        HourEntry.objects.filter(
            kind=WorkerKind.STAFF,
            state=HourState.APPROVED,
            date__gte=start,
            date__lte=end,
            person_id__in=person_ids,
        )
        .values("person_id", "function", "program__code", "program__name")
        .annotate(total=Sum("hours"))
    )
    hours_of: dict[int, HoursLogged] = defaultdict(list)
    for row in rows:
        hours_of[row["person_id"]].append(
            (row["function"], row["program__code"], row["program__name"], row["total"])
        )
    return {
        person: sorted(logged, key=lambda r: _part_order(r[0], r[1]))
        for person, logged in hours_of.items()
    }


def shares_of(record: StaffRecord, logged: HoursLogged) -> list[Share]:
    """How a staff member's cost is split: by the approved hours logged, or with none, by the
    default split of their staff record (the percent of each function that is not zero)."""
    if logged:
        return [Share(function, code, name, hours, None) for function, code, name, hours in logged]
    program: Program | None = record.default_program
    split = [
        (Function.PROGRAM.value, record.split_program),
        (Function.MANAGEMENT_GENERAL.value, record.split_management_general),
        (Function.FUNDRAISING.value, record.split_fundraising),
    ]
    return [
        Share(
            function,
            program.code if function == Function.PROGRAM and program else None,
            program.name if function == Function.PROGRAM and program else None,
            None,
            percent,
        )
        for function, percent in split
        if percent
    ]


def parts_of(shares: list[Share], amount: Decimal) -> list[Part]:
    """`amount` cut into cents across `shares` (largest remainder): the parts add up to it."""
    amounts = largest_remainder(amount, [share.weight for share in shares])
    return [
        Part(
            share.function,
            share.program_code,
            share.program_name,
            share.hours,
            share.percent,
            cut,
        )
        for share, cut in zip(shares, amounts, strict=True)
    ]


def salary_account_of(record: StaffRecord, settings_row: PersonnelSettings) -> str:
    return settings_row.officer_salary_account if record.is_officer else settings_row.salary_account


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
    hours_of = approved_hours(
        person_ids=[record.person_id for record in records], start=start, end=end
    )

    allocation = Allocation(start=start, end=end)
    for record in records:
        days, year_fraction = days_in_range(start, end, record.start_date, record.end_date)
        logged = hours_of.get(record.person_id, [])
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
            account=salary_account_of(record, settings_row),
            days_employed=days,
            hours=total_hours,
            basis="hours" if logged else "default_split",
            cost=cost,
            parts=parts_of(shares_of(record, logged), cost),
        )
        allocation.staff.append(staff)
    return allocation


# --- A pay run's allocation ----------------------------------------------------------------------


@dataclass(frozen=True)
class PayRunPart:
    """Where a part of a person's pay goes, with the share of each of the three costs."""

    function: str
    program_code: str | None
    program_name: str | None
    hours: Decimal | None
    percent: Decimal | None
    gross_pay: Decimal
    employer_taxes: Decimal
    benefits: Decimal

    @property
    def total(self) -> Decimal:
        return self.gross_pay + self.employer_taxes + self.benefits


@dataclass
class PayRunPersonAllocation:
    person_id: int
    name: str
    position: str
    salary_account: str
    basis: str  # "hours" or "default_split"
    hours: Decimal
    gross_pay: Decimal
    employer_taxes: Decimal
    benefits: Decimal
    parts: list[PayRunPart] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.gross_pay + self.employer_taxes + self.benefits


@dataclass(frozen=True)
class PayRunAccounts:
    """The accounts a pay run posts to besides salaries (the personnel settings)."""

    payroll_taxes: str
    benefits: str
    accrued_payroll: str


@dataclass
class PayRunAllocation:
    pay_run: PayRun
    accounts: PayRunAccounts
    people: list[PayRunPersonAllocation] = field(default_factory=list)

    @property
    def total_cost(self) -> Decimal:
        return sum((person.total for person in self.people), ZERO)

    @property
    def without_hours(self) -> list[PayRunPersonAllocation]:
        return [person for person in self.people if person.basis != "hours"]

    def totals(self) -> list[PayRunPart]:
        """The run's cost by function and program, over every person, in the parts' order."""
        sums: dict[tuple[str, str | None], list[Decimal]] = {}
        names: dict[str | None, str | None] = {}
        for person in self.people:
            for part in person.parts:
                row = sums.setdefault((part.function, part.program_code), [ZERO, ZERO, ZERO])
                row[0] += part.gross_pay
                row[1] += part.employer_taxes
                row[2] += part.benefits
                names[part.program_code] = part.program_name
        return [
            PayRunPart(function, code, names[code], None, None, *amounts)
            for (function, code), amounts in sorted(
                sums.items(), key=lambda item: _part_order(*item[0])
            )
        ]


def pay_run_allocation_compute(*, pay_run: PayRun) -> PayRunAllocation:
    """The run's cost split by the hours approved in its period, in three queries: the lines
    with their staff, approved hours, settings."""
    settings_row = personnel_settings()
    lines = list(
        PayRunLine.objects.filter(pay_run=pay_run)
        .select_related("staff_record__person", "staff_record__default_program")
        .order_by("staff_record__person__full_name", "pk")
    )
    hours_of = approved_hours(
        person_ids=[line.staff_record.person_id for line in lines],
        start=pay_run.period_start,
        end=pay_run.period_end,
    )
    allocation = PayRunAllocation(
        pay_run=pay_run,
        accounts=PayRunAccounts(
            payroll_taxes=settings_row.payroll_taxes_account,
            benefits=settings_row.benefits_account,
            accrued_payroll=settings_row.accrued_payroll_account,
        ),
    )
    for line in lines:
        record = line.staff_record
        logged = hours_of.get(record.person_id, [])
        shares = shares_of(record, logged)
        gross = parts_of(shares, line.gross_pay)
        taxes = parts_of(shares, line.employer_taxes)
        benefits = parts_of(shares, line.benefits)
        allocation.people.append(
            PayRunPersonAllocation(
                person_id=record.person_id,
                name=record.person.full_name,
                position=record.position,
                salary_account=salary_account_of(record, settings_row),
                basis="hours" if logged else "default_split",
                hours=sum((row[3] for row in logged), ZERO),
                gross_pay=line.gross_pay,
                employer_taxes=line.employer_taxes,
                benefits=line.benefits,
                parts=[
                    PayRunPart(
                        share.function,
                        share.program_code,
                        share.program_name,
                        share.hours,
                        share.percent,
                        gross_part.amount,
                        tax_part.amount,
                        benefit_part.amount,
                    )
                    for share, gross_part, tax_part, benefit_part in zip(
                        shares, gross, taxes, benefits, strict=True
                    )
                ],
            )
        )
    return allocation
