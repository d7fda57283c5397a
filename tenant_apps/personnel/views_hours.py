"""Pages of hours, under /hours/ on an organization's host: the signed-in person's weekly
timesheet, a volunteer's year and the value of their time, and the queue of hours awaiting
approval with its bulk approve and reject."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.filters import code_filter
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.pages import page_requires, roles_named
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Program
from tenant_apps.personnel.models import HourEntry, Person
from tenant_apps.personnel.selectors_hours import (
    Line,
    TimesheetWeek,
    hours_awaiting_approval,
    line_choices,
    timesheet_week,
    volunteer_year,
)
from tenant_apps.personnel.services.approvals import hour_entries_approve, hour_entries_reject
from tenant_apps.personnel.services.timesheets import (
    CellInput,
    WeekWritten,
    timesheet_save,
    timesheet_submit,
    week_start,
)

MAX_ROWS = 40  # a week's rows, new ones included: more is a form no person sent

# --- The timesheet -----------------------------------------------------------------------------


@dataclass
class CellView:
    name: str
    day: date
    value: str
    locked: bool = False
    state_label: str = ""
    rejections: list[tuple[Decimal, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        try:
            hours = Decimal(self.value.strip() or "0")
        except InvalidOperation:
            return Decimal("0")
        return hours if hours.is_finite() else Decimal("0")


@dataclass
class RowView:
    index: int
    line: Line | None
    fixed: bool  # a row with hours: its program or function is set
    cells: list[CellView]
    errors: list[str] = field(default_factory=list)
    chosen: str = ""  # a new row's choice as sent

    @property
    def label(self) -> str:
        return self.line.label if self.line else "New row"

    @property
    def total(self) -> Decimal:
        return sum((cell.hours for cell in self.cells), Decimal("0"))


@dataclass
class Grid:
    week: TimesheetWeek
    rows: list[RowView]
    choices: list[Line]
    errors: list[str] = field(default_factory=list)

    @property
    def day_totals(self) -> list[Decimal]:
        return [
            sum((row.cells[offset].hours for row in self.rows), Decimal("0")) for offset in range(7)
        ]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, Decimal("0"))

    @property
    def has_errors(self) -> bool:
        return bool(
            self.errors
            or any(row.errors or any(cell.errors for cell in row.cells) for row in self.rows)
        )


def _cell_name(index: int, offset: int) -> str:
    return f"row-{index}-{offset}"


def _hours_text(hours: Decimal) -> str:
    if not hours:
        return ""
    return f"{hours.normalize():f}"


def _grid_of(week: TimesheetWeek, choices: list[Line]) -> Grid:
    """The week as it is stored, with one empty row to add a program or function."""
    rows = []
    for index, row in enumerate(week.rows):
        cells = [
            CellView(
                name=_cell_name(index, offset),
                day=cell.day,
                value=_hours_text(cell.hours),
                locked=cell.locked,
                state_label=cell.state_label,
                rejections=cell.rejections,
            )
            for offset, cell in enumerate(row.cells)
        ]
        rows.append(RowView(index=index, line=row.line, fixed=True, cells=cells))
    return Grid(week=week, rows=[*rows, _new_row(len(rows), week)], choices=choices)


def _new_row(index: int, week: TimesheetWeek) -> RowView:
    cells = [
        CellView(name=_cell_name(index, offset), day=day, value="")
        for offset, day in enumerate(week.days)
    ]
    return RowView(index=index, line=None, fixed=False, cells=cells)


def _posted_grid(request: AuthenticatedHttpRequest, stored: Grid) -> Grid:
    """The grid as the page sent it: stored rows (known by their line) with the hours typed,
    and new rows with the program or function picked. Locked cells keep what is stored."""
    post = request.POST
    by_key = {row.line.key: row for row in stored.rows if row.line is not None}
    choices = {line.key: line for line in stored.choices}
    count = min(_int(post.get("rows")), MAX_ROWS)
    rows: list[RowView] = []
    seen: set[str] = set()
    for index in range(count):
        key = post.get(f"row-{index}-line", "").strip()
        typed = [post.get(_cell_name(index, offset), "") for offset in range(7)]
        known = by_key.get(key)
        if known is not None:
            cells = [
                CellView(
                    name=_cell_name(index, offset),
                    day=cell.day,
                    value=cell.value if cell.locked else typed[offset],
                    locked=cell.locked,
                    state_label=cell.state_label,
                    rejections=cell.rejections,
                )
                for offset, cell in enumerate(known.cells)
            ]
            rows.append(RowView(index=index, line=known.line, fixed=True, cells=cells))
        else:
            row = _new_row(index, stored.week)
            for cell, value in zip(row.cells, typed, strict=True):
                cell.value = value
            row.chosen = key
            row.line = choices.get(key)
            if key and row.line is None:
                row.errors.append("Pick a program or function from the list.")
            elif row.line is None and any(value.strip() for value in typed):
                row.errors.append("Pick the program or function these hours are for.")
            rows.append(row)
        line = rows[-1].line
        if line is not None:
            if line.key in seen:
                rows[-1].errors.append(
                    f"The week already has a row for {line.label}: type these hours there."
                )
            seen.add(line.key)
    if not any(not row.fixed and row.line is None for row in rows):
        rows.append(_new_row(len(rows), stored.week))
    return Grid(week=stored.week, rows=rows, choices=stored.choices)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _cells_of(grid: Grid) -> list[CellInput]:
    return [
        CellInput(
            name=cell.name,
            function=row.line.function,
            program=row.line.program,
            day=cell.day,
            hours=cell.value,
        )
        for row in grid.rows
        if row.line is not None and not row.errors
        for cell in row.cells
        if not cell.locked
    ]


def _week_asked(request: AuthenticatedHttpRequest, today: date) -> tuple[date, str]:
    """The Monday of the week in `?week=` (any day of it), or of this week; with the reason
    when the value was not a date."""
    asked = request.GET.get("week", "").strip()
    if not asked:
        return week_start(today), ""
    try:
        return week_start(date.fromisoformat(asked)), ""
    except ValueError:
        return week_start(today), f"“{asked}” is not a date (YYYY-MM-DD): this week is shown."


def _timesheet_page(
    request: AuthenticatedHttpRequest,
    person: Person,
    grid: Grid,
    *,
    today: date,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    start = grid.week.start
    next_week = start + timedelta(days=7)
    return render(
        request,
        "personnel/hours/timesheet.html",
        {
            "person": person,
            "grid": grid,
            "today": today,
            "notice": notice,
            "previous_week": start - timedelta(days=7),
            "next_week": next_week if next_week <= today else None,
            "this_week": week_start(today),
            "is_volunteer": hasattr(person, "volunteer"),
            "can_approve": request.user.has_capability(Capability.HOURS_APPROVE),
        },
        status=status,
    )


def _no_person_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "personnel/hours/no_person.html",
        {"coordinators": roles_named(Capability.PERSONNEL_WRITE)},
    )


def _person_of_request(request: AuthenticatedHttpRequest) -> Person | None:
    return (
        Person.objects.select_related("volunteer", "staff_record").filter(user=request.user).first()
    )


def _written_message(written: WeekWritten, *, submitted: bool) -> str:
    if submitted:
        count = len(written.submitted)
        return (
            f"Submitted {count} entr{'ies' if count != 1 else 'y'} for approval."
            if count
            else "Nothing to submit: the week has no draft or changed hours."
        )
    if not written.anything:
        return "Nothing changed."
    return "Saved. Submit the week for approval when it is complete."


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.HOURS_SUBMIT)
def timesheet(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The week's grid: rows by program or function, days Monday to Sunday. A POST saves the
    week as drafts, or submits it (`action=submit`)."""
    person = _person_of_request(request)
    if person is None:
        return _no_person_page(request)
    today = timezone.localdate()
    if request.method == "POST":
        start, notice = _week_asked_posted(request, today)
    else:
        start, notice = _week_asked(request, today)
    stored = _grid_of(timesheet_week(person=person, start=start), line_choices())
    if request.method != "POST":
        return _timesheet_page(request, person, stored, today=today, notice=notice)
    grid = _posted_grid(request, stored)
    submit = request.POST.get("action") == "submit"
    if not grid.has_errors:
        service = timesheet_submit if submit else timesheet_save
        try:
            written = service(
                person=person,
                week=start,
                cells=_cells_of(grid),
                acting_user=request.user,
                today=today,
            )
        except ServiceError as error:
            _errors_to_grid(grid, error)
        else:
            messages.success(request, _written_message(written, submitted=submit))
            return redirect(f"{reverse('hours:timesheet')}?week={start.isoformat()}")
    return _timesheet_page(request, person, grid, today=today, status=400)


def _week_asked_posted(request: AuthenticatedHttpRequest, today: date) -> tuple[date, str]:
    try:
        return week_start(date.fromisoformat(request.POST.get("week", ""))), ""
    except ValueError:
        return week_start(today), ""


def _errors_to_grid(grid: Grid, error: ServiceError) -> None:
    cells = {cell.name: cell for row in grid.rows for cell in row.cells}
    placed = False
    for name, found in (error.fields or {}).items():
        if name in cells:
            cells[name].errors.extend(str(message) for message in found)
            placed = True
    if not placed:
        grid.errors.append(error.message)


# --- A volunteer's year ------------------------------------------------------------------------


@require_safe
@page_requires(Capability.HOURS_SUBMIT)
def volunteering(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The signed-in volunteer's hours this year, approved and awaiting approval, by program,
    and what their time is worth at the organization's volunteer hourly rate."""
    person = _person_of_request(request)
    if person is None:
        return _no_person_page(request)
    today = timezone.localdate()
    return render(
        request,
        "personnel/hours/volunteering.html",
        {
            "person": person,
            "year": volunteer_year(person=person, year=today.year),
            "is_volunteer": hasattr(person, "volunteer"),
            "can_approve": request.user.has_capability(Capability.HOURS_APPROVE),
        },
    )


# --- Approvals ---------------------------------------------------------------------------------

COLUMNS = (
    Column("select", "Select"),
    Column("person", "Person", order_by=("person__full_name", "person_id", "week", "date")),
    Column("week", "Week", order_by=("week", "person__full_name", "person_id", "date")),
    Column("date", "Day"),
    Column("line", "Program or function"),
    Column("hours", "Hours", numeric=True),
)
CSV_HEADER = ("Entry", "Person", "Week of", "Date", "Program or function", "Hours", "Kind")


class ApprovalFilterForm(forms.Form):
    person = forms.CharField(label="Person", required=False, max_length=200)
    program = code_filter("Program", Program.objects.order_by("code"))
    week = forms.DateField(
        label="Week of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Any day of the week.",
        error_messages={"invalid": "A date, like 2026-11-30."},
    )


def _filtered(form: ApprovalFilterForm) -> QuerySet[HourEntry]:
    entries = hours_awaiting_approval()
    if not form.is_valid():
        return entries.none()
    data = form.cleaned_data
    if data["person"]:
        entries = entries.filter(person__full_name__icontains=data["person"])
    if data["program"]:
        entries = entries.filter(program=data["program"])
    if data["week"]:
        start = week_start(data["week"])
        entries = entries.filter(date__gte=start, date__lte=start + timedelta(days=6))
    return entries


def _line_label(entry: HourEntry) -> str:
    return entry.program.name if entry.program else entry.get_function_display()


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason for rejecting",
        required=False,
        max_length=500,
        help_text="Required to reject: the person reads it next to their hours.",
    )


@require_safe
@page_requires(Capability.HOURS_APPROVE)
def approvals(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = ApprovalFilterForm(request.GET)
    entries = _filtered(form)
    if wants_csv(request):
        return csv_response(
            "hours-awaiting-approval.csv",
            CSV_HEADER,
            (
                (
                    entry.pk,
                    entry.person.full_name,
                    week_start(entry.date).isoformat(),
                    entry.date.isoformat(),
                    _line_label(entry),
                    f"{entry.hours:.2f}",
                    entry.get_kind_display(),
                )
                for entry in entries.order_by("person__full_name", "person_id", "date", "pk")
            ),
        )
    return _approvals_page(request, form, DecisionForm())


def _approvals_page(
    request: AuthenticatedHttpRequest,
    form: ApprovalFilterForm,
    decision: DecisionForm,
    *,
    status: int = 200,
) -> HttpResponse:
    page = listing(request, _filtered(form), columns=COLUMNS, default_sort="person")
    return render(
        request,
        "personnel/hours/approvals.html",
        {"form": form, "decision": decision, "listing": page, "groups": _groups(page.rows)},
        status=status,
    )


@dataclass
class Group:
    person: Person
    week: date
    entries: list[HourEntry]

    @property
    def total(self) -> Decimal:
        return sum((entry.hours for entry in self.entries), Decimal("0"))

    @property
    def label(self) -> str:
        return f"{self.person.full_name}, week of {date_format(self.week, 'M j, Y')}"


def _groups(entries: list[Any]) -> list[Group]:
    """The page's entries by person and week, in the order of the list."""
    groups: list[Group] = []
    for entry in entries:
        if groups and groups[-1].person.pk == entry.person_id and groups[-1].week == entry.week:
            groups[-1].entries.append(entry)
        else:
            groups.append(Group(person=entry.person, week=entry.week, entries=[entry]))
    return groups


@require_POST
@page_requires(Capability.HOURS_APPROVE)
def approvals_decide(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """Approve or reject the ticked entries, all or none: the first refused (someone's own
    hours, an entry decided meanwhile) is named and nothing is changed."""
    back = request.POST.get("next", "")
    back = back if back.startswith(reverse("hours:approvals")) else reverse("hours:approvals")
    ids = sorted({int(value) for value in request.POST.getlist("entry") if value.isdigit()})
    entries = list(HourEntry.objects.filter(pk__in=ids).select_related("person").order_by("pk"))
    action = request.POST.get("action")
    decision = DecisionForm(request.POST)
    decision.is_valid()
    if not entries:
        messages.error(request, "Tick the hours to approve or reject first.")
        return redirect(back)
    if len(entries) != len(ids):
        messages.error(request, "Some ticked hours are no longer there; nothing was changed.")
        return redirect(back)
    try:
        if action == "reject":
            hour_entries_reject(
                entries=entries,
                reason=decision.cleaned_data.get("reason", ""),
                acting_user=request.user,
            )
            verb = "Rejected"
        elif action == "approve":
            hour_entries_approve(entries=entries, acting_user=request.user)
            verb = "Approved"
        else:
            messages.error(request, "Choose Approve or Reject.")
            return redirect(back)
    except ServiceError as error:
        messages.error(request, _decision_refusal(error))
        return redirect(back)
    count = len(entries)
    messages.success(request, f"{verb} {count} entr{'ies' if count != 1 else 'y'}.")
    return redirect(back)


def _decision_refusal(error: ServiceError) -> str:
    if "reason" in (error.fields or {}):
        return "Say why the hours are rejected, so they can be corrected; nothing was changed."
    return error.message
