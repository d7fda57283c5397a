"""Reads of the hours pages: a person's week as a timesheet, a volunteer's year, and the hours
awaiting approval."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek

from tenant_apps.accounting.models import Function, Program
from tenant_apps.personnel.models import HourEntry, HourState, Person, Volunteer
from tenant_apps.personnel.selectors import personnel_settings

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
NON_PROGRAM_FUNCTIONS = (Function.MANAGEMENT_GENERAL, Function.FUNDRAISING)


@dataclass(frozen=True)
class Line:
    """What a row of the timesheet is for: a program (program services), or management and
    general, or fundraising. `key` names it in a form ("program:TUT", "fundraising")."""

    function: str
    program: Program | None

    @property
    def key(self) -> str:
        return f"program:{self.program.code}" if self.program else self.function

    @property
    def label(self) -> str:
        if self.program is not None:
            return self.program.name
        return str(Function(self.function).label)

    @property
    def order(self) -> tuple[int, str]:
        if self.program is not None:
            return (0, self.program.code)
        return (1 + NON_PROGRAM_FUNCTIONS.index(Function(self.function)), "")


def line_choices() -> list[Line]:
    """The lines a new row may take: each active program, then the two other functions."""
    programs = Program.objects.filter(is_active=True).order_by("code")
    return [Line(Function.PROGRAM, program) for program in programs] + [
        Line(function, None) for function in NON_PROGRAM_FUNCTIONS
    ]


@dataclass
class DayCell:
    """One day of a row: the hours it holds (rejected ones left out), the states of its
    entries, and the reasons of its rejected entries."""

    day: date
    hours: Decimal = ZERO
    states: set[str] = field(default_factory=set)
    rejections: list[tuple[Decimal, str]] = field(default_factory=list)

    @property
    def locked(self) -> bool:
        return HourState.APPROVED in self.states

    @property
    def state_label(self) -> str:
        """The state a person reads in the cell: the least decided of its entries."""
        for state in (HourState.DRAFT, HourState.SUBMITTED, HourState.APPROVED):
            if state in self.states:
                return str(state.label)
        return "Rejected" if self.rejections else ""


@dataclass
class WeekRow:
    line: Line
    cells: list[DayCell]


@dataclass
class TimesheetWeek:
    start: date
    rows: list[WeekRow]
    counts: dict[str, int]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(7)]

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def rejected(self) -> list[tuple[WeekRow, DayCell]]:
        """The cells holding rejected hours and nothing else: what is still to correct."""
        return [
            (row, cell)
            for row in self.rows
            for cell in row.cells
            if cell.rejections and not cell.states
        ]


def timesheet_week(*, person: Person, start: date) -> TimesheetWeek:
    """`person`'s hours of the week starting on Monday `start`, a row per program or
    function they logged, a cell per day. One query."""
    end = start + timedelta(days=6)
    entries = (
        HourEntry.objects.filter(person=person, date__gte=start, date__lte=end)
        .select_related("program")
        .order_by("date", "pk")
    )
    rows: dict[tuple[str, int | None], WeekRow] = {}
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        key = (entry.function, entry.program_id)
        if key not in rows:
            cells = [DayCell(day=start + timedelta(days=offset)) for offset in range(7)]
            rows[key] = WeekRow(line=Line(entry.function, entry.program), cells=cells)
        cell = rows[key].cells[(entry.date - start).days]
        counts[entry.state] += 1
        if entry.state == HourState.REJECTED:
            cell.rejections.append((entry.hours, entry.rejection_reason))
        else:
            cell.hours += entry.hours
            cell.states.add(entry.state)
    ordered = sorted(rows.values(), key=lambda row: row.line.order)
    return TimesheetWeek(start=start, rows=ordered, counts=dict(counts))


# --- A volunteer's year ------------------------------------------------------------------------


@dataclass(frozen=True)
class YearLine:
    label: str
    approved: Decimal
    awaiting: Decimal
    rate: Decimal

    @property
    def approved_value(self) -> Decimal:
        return (self.approved * self.rate).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VolunteerYear:
    year: int
    volunteer: Volunteer | None
    lines: list[YearLine]
    rate: Decimal

    @property
    def approved(self) -> Decimal:
        return sum((line.approved for line in self.lines), ZERO)

    @property
    def awaiting(self) -> Decimal:
        return sum((line.awaiting for line in self.lines), ZERO)

    @property
    def approved_value(self) -> Decimal:
        return (self.approved * self.rate).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def awaiting_value(self) -> Decimal:
        return (self.awaiting * self.rate).quantize(CENT, rounding=ROUND_HALF_UP)


def volunteer_year(*, person: Person, year: int) -> VolunteerYear:
    """`person`'s volunteer hours of calendar year `year`, approved and awaiting approval, by
    program (or function), valued at the organization's volunteer hourly rate."""
    volunteer = Volunteer.objects.filter(person=person).first()
    rate = personnel_settings().volunteer_hourly_rate
    totals = (
        HourEntry.objects.filter(
            person=person,
            kind="volunteer",
            date__year=year,
            state__in=(HourState.APPROVED, HourState.SUBMITTED),
        )
        .values("function", "program__code", "program__name")
        .annotate(
            approved=Sum("hours", filter=Q(state=HourState.APPROVED), default=ZERO),
            awaiting=Sum("hours", filter=Q(state=HourState.SUBMITTED), default=ZERO),
        )
        .order_by("program__code", "function")
    )
    lines = [
        YearLine(
            label=row["program__name"] or str(Function(row["function"]).label),
            approved=row["approved"],
            awaiting=row["awaiting"],
            rate=rate,
        )
        for row in totals
    ]
    return VolunteerYear(year=year, volunteer=volunteer, lines=lines, rate=rate)


# --- Approvals ---------------------------------------------------------------------------------


def hours_awaiting_approval() -> QuerySet[HourEntry]:
    """Submitted entries with what the queue shows of them, and the Monday of their week."""
    return (
        HourEntry.objects.filter(state=HourState.SUBMITTED)
        .select_related("person", "program")
        .annotate(week=TruncWeek("date"))
    )


def hours_awaiting_count(*, excluding_user_id: int) -> int:
    """How many submitted entries the user may decide (their own are someone else's)."""
    return (
        HourEntry.objects.filter(state=HourState.SUBMITTED)
        .exclude(person__user_id=excluding_user_id)
        .aggregate(count=Count("pk"))["count"]
    )
