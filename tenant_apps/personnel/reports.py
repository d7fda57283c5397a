"""The personnel reports, in the shape of the financial reports (accounting.reports.Report:
JSON, CSV and page). Each runs a fixed number of aggregate queries whatever the number of
entries. Only approved hours count: submitted ones are not confirmed, rejected ones never are."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum

from saas_platform.lib.reports import Report, Row, money, range_check
from tenant_apps.accounting.models import EntryState, Function
from tenant_apps.personnel.allocation import CENT, ZERO, allocation_compute
from tenant_apps.personnel.models import HourEntry, HourState, PayrollAllocation, WorkerKind
from tenant_apps.personnel.selectors import personnel_settings

HOURS_ZERO = Decimal("0.00")


def _hours(value: Decimal | None) -> str:
    return f"{(value or HOURS_ZERO):.2f}"


def _label(function: str, program_code: str | None, program_name: str | None) -> str:
    if function == Function.PROGRAM:
        return f"Program: {program_name} ({program_code})"
    return str(Function(function).label)


def _order(function: str, program_code: str | None) -> tuple[int, str]:
    order = {Function.PROGRAM: 0, Function.MANAGEMENT_GENERAL: 1, Function.FUNDRAISING: 2}
    return (order[Function(function)], program_code or "")


def _approved(start: date, end: date, **filters: Any) -> Any:
    return HourEntry.objects.filter(
        state=HourState.APPROVED, date__gte=start, date__lte=end, **filters
    )


# --- Hours by program and function ---------------------------------------------------------


def hours_by_program(*, start: date, end: date) -> Report:
    """Approved hours by function and program, staff and volunteers apart, in one query."""
    range_check(start, end)
    rows = (
        _approved(start, end)
        .values("kind", "function", "program__code", "program__name")
        .annotate(total=Sum("hours"))
    )
    table: dict[tuple[str, str | None, str | None], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for row in rows:
        key = (row["function"], row["program__code"], row["program__name"])
        table[key][row["kind"]] += row["total"]
    report = Report(
        name="hours",
        title="Hours by program and function",
        parameters={"start": start.isoformat(), "end": end.isoformat()},
        columns=["Program or function", "Staff hours", "Volunteer hours", "Total hours"],
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    items = []
    for key in sorted(table, key=lambda key: _order(key[0], key[1])):
        staff, volunteer = table[key][WorkerKind.STAFF], table[key][WorkerKind.VOLUNTEER]
        totals[WorkerKind.STAFF] += staff
        totals[WorkerKind.VOLUNTEER] += volunteer
        report.rows.append(Row("line", [_label(*key), staff, volunteer, staff + volunteer]))
        items.append(
            {
                "function": key[0],
                "program": key[1],
                "staff_hours": _hours(staff),
                "volunteer_hours": _hours(volunteer),
                "total_hours": _hours(staff + volunteer),
            }
        )
    staff_total, volunteer_total = totals[WorkerKind.STAFF], totals[WorkerKind.VOLUNTEER]
    report.rows.append(
        Row("total", ["Total", staff_total, volunteer_total, staff_total + volunteer_total])
    )
    report.data = {
        "lines": items,
        "totals": {
            "staff_hours": _hours(staff_total),
            "volunteer_hours": _hours(volunteer_total),
            "total_hours": _hours(staff_total + volunteer_total),
        },
    }
    return report


# --- Volunteer value ---------------------------------------------------------------------------


def volunteer_value(*, start: date, end: date) -> Report:
    """Approved volunteer hours valued at the organization's hourly rate, by program and
    function, for disclosure; apart, the specialized services recognized in the books (at the
    value each was posted at). Two queries: the hours, the settings."""
    range_check(start, end)
    rate = personnel_settings().volunteer_hourly_rate
    rows = (
        _approved(start, end, kind=WorkerKind.VOLUNTEER)
        .values("function", "program__code", "program__name", "specialized_skills")
        .annotate(total=Sum("hours"), recognized=Sum("in_kind_value"))
    )
    table: dict[tuple[str, str | None, str | None], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for row in rows:
        values = table[(row["function"], row["program__code"], row["program__name"])]
        values["hours"] += row["total"]
        if row["specialized_skills"]:
            values["specialized_hours"] += row["total"]
            values["recognized"] += row["recognized"] or ZERO
    report = Report(
        name="volunteer-value",
        title="Volunteer hours and their value",
        parameters={"start": start.isoformat(), "end": end.isoformat()},
        columns=[
            "Program or function",
            "Hours",
            f"Value at {rate} an hour",
            "Specialized hours",
            "Recognized in-kind",
        ],
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    items = []
    for key in sorted(table, key=lambda key: _order(key[0], key[1])):
        values = table[key]
        value = (values["hours"] * rate).quantize(CENT, rounding=ROUND_HALF_UP)
        for name, amount in (("value", value), *values.items()):
            totals[name] += amount
        report.rows.append(
            Row(
                "line",
                [
                    _label(*key),
                    values["hours"],
                    value,
                    values["specialized_hours"],
                    values["recognized"],
                ],
            )
        )
        items.append(
            {
                "function": key[0],
                "program": key[1],
                "hours": _hours(values["hours"]),
                "value": money(value),
                "specialized_hours": _hours(values["specialized_hours"]),
                "recognized_in_kind": money(values["recognized"]),
            }
        )
    report.rows.append(
        Row(
            "total",
            [
                "Total",
                totals["hours"],
                totals["value"],
                totals["specialized_hours"],
                totals["recognized"],
            ],
        )
    )
    report.data = {
        "hourly_rate": money(rate),
        "lines": items,
        "totals": {
            "hours": _hours(totals["hours"]),
            "value": money(totals["value"]),
            "specialized_hours": _hours(totals["specialized_hours"]),
            "recognized_in_kind": money(totals["recognized"]),
        },
    }
    return report


# --- Payroll allocation ------------------------------------------------------------------------


def payroll_allocation(*, start: date, end: date) -> Report:
    """Each staff member's cost for the range split across functions and programs (see
    allocation.py for the rules), the totals a bookkeeper allocates, and the posting if any."""
    range_check(start, end)
    allocation = allocation_compute(start=start, end=end)
    posted = (
        PayrollAllocation.objects.select_related("entry")
        .filter(start__lte=end, end__gte=start, reversal_entry__isnull=True)
        .exclude(entry__state=EntryState.REVERSED)  # reversed, its days are free again
        .order_by("start")
    )
    report = Report(
        name="payroll-allocation",
        title="Payroll allocation",
        parameters={"start": start.isoformat(), "end": end.isoformat()},
        columns=["Staff member or part", "Account", "Basis", "Hours", "Percent", "Amount"],
    )
    staff_items = []
    for staff in allocation.staff:
        report.rows.append(
            Row(
                "heading",
                [
                    f"{staff.name}, {staff.position} ({staff.pay_type}, {staff.pay_rate})",
                    staff.account,
                    "hours" if staff.basis == "hours" else "default split",
                    staff.hours,
                    "",
                    staff.cost,
                ],
            )
        )
        for part in staff.parts:
            report.rows.append(
                Row(
                    "line",
                    [
                        _label(part.function, part.program_code, part.program_name),
                        staff.account,
                        "",
                        part.hours if part.hours is not None else "",
                        f"{part.percent:.2f}" if part.percent is not None else "",
                        part.amount,
                    ],
                )
            )
        staff_items.append(
            {
                "person": staff.person_id,
                "name": staff.name,
                "position": staff.position,
                "pay_type": staff.pay_type,
                "pay_rate": money(staff.pay_rate),
                "account": staff.account,
                "days_employed": staff.days_employed,
                "hours": _hours(staff.hours),
                "basis": staff.basis,
                "cost": money(staff.cost),
                "parts": [
                    {
                        "function": part.function,
                        "program": part.program_code,
                        "hours": None if part.hours is None else _hours(part.hours),
                        "percent": None if part.percent is None else f"{part.percent:.2f}",
                        "amount": money(part.amount),
                    }
                    for part in staff.parts
                ],
            }
        )
    totals = allocation.totals()
    report.rows.append(Row("heading", ["Totals by function and program", "", "", "", "", ""]))
    for (function, code), amount in totals.items():
        name = next(
            (
                part.program_name
                for staff in allocation.staff
                for part in staff.parts
                if part.program_code == code
            ),
            None,
        )
        report.rows.append(Row("line", [_label(function, code, name), "", "", "", "", amount]))
    report.rows.append(Row("total", ["Total cost", "", "", "", "", allocation.total_cost]))
    report.data = {
        "staff": staff_items,
        "totals": [
            {"function": function, "program": code, "amount": money(amount)}
            for (function, code), amount in totals.items()
        ],
        "total_cost": money(allocation.total_cost),
        "posted": [
            {
                "start": record.start.isoformat(),
                "end": record.end.isoformat(),
                "entry": record.entry.number,
                "amount_moved": money(record.amount_moved),
            }
            for record in posted
        ],
    }
    return report


REPORTS = {
    "hours": hours_by_program,
    "volunteer-value": volunteer_value,
    "payroll-allocation": payroll_allocation,
}
# Reports that show what each person is paid: only for roles that may read pay.
PAY_REPORTS = frozenset({"payroll-allocation"})


def reports_readable(*, can_read_pay: bool) -> list[str]:
    """The names of the reports a reader sees, in the registry's order."""
    return [name for name in REPORTS if can_read_pay or name not in PAY_REPORTS]


REPORT_SUMMARIES = {
    "hours": "Approved hours by program and function, staff and volunteers apart.",
    "volunteer-value": "Volunteer hours valued at the organization's hourly rate, by program; "
    "specialized services recognized in the books.",
    "payroll-allocation": "Each staff member's cost split across functions and programs by their "
    "hours, or their default split; what the bookkeeper allocates.",
}
