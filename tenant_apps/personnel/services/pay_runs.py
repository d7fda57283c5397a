"""Pay runs: entering one (from the form, or a payroll provider's CSV), and posting its cost to
the ledger split by the hours approved in its period.

The entry a pay run posts, dated the last day of its period, all in the general fund, to the
accounts of the personnel settings (the defaults in brackets):
- Dr the salary account (7020, or 7010 for officers) with gross pay, Dr payroll taxes (7250)
  with the employer's taxes and Dr employee benefits (7220) with benefits, each by function and
  program as the allocation splits them;
- Cr accrued payroll (2020) with the run's whole cost, cleared when the provider's payments
  leave the bank.
The run's period is then allocated (a PayrollAllocation): no other posting may cover its days
until this one is reversed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntryState, Function
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.personnel.allocation import PayRunAllocation, pay_run_allocation_compute
from tenant_apps.personnel.models import (
    EmploymentType,
    PayrollAllocation,
    PayRun,
    PayRunLine,
    PayRunSource,
    PersonnelSettings,
    StaffRecord,
)
from tenant_apps.personnel.pay_run_files import MAX_AMOUNT, CsvPayLine, pay_run_csv_read
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.checks import GENERAL_FUND
from tenant_apps.personnel.services.payroll import (
    allocation_record,
    payroll_allocation_reverse,
    range_free_check,
)

if TYPE_CHECKING:
    from shared_apps.users.models import User

LONGEST_PERIOD = timedelta(days=366)


@dataclass(frozen=True)
class PayLine:
    """One person's pay in a run, as the form or a file gives it; `where` names the row in
    messages ("Line 4", "Maria Lopez")."""

    staff_record: StaffRecord
    gross_pay: Decimal
    employer_taxes: Decimal
    benefits: Decimal
    where: str


# --- Entering a run ------------------------------------------------------------------------------


def _period_check(period_start: date, period_end: date, pay_date: date) -> None:
    if period_end < period_start:
        raise ServiceError(
            "The period ends before it starts.",
            fields={"period_end": ["On or after the start of the period."]},
        )
    if period_end - period_start >= LONGEST_PERIOD:
        raise ServiceError(
            "A pay run covers at most a year.", fields={"period_end": ["Within a year."]}
        )
    if pay_date < period_start:
        raise ServiceError(
            "The pay date is before the period starts.",
            fields={"pay_date": ["On or after the start of the period."]},
        )


def _line_problems(line: PayLine, period_start: date, period_end: date) -> list[str]:
    record = line.staff_record
    problems = []
    if record.employment_type == EmploymentType.CONTRACTOR:
        problems.append(
            f"{record.person.full_name} is a contractor: contractors' fees are professional "
            "services, not payroll"
        )
    if record.start_date > period_end or (record.end_date and record.end_date < period_start):
        problems.append(
            f"{record.person.full_name} was not on staff from {period_start} to {period_end}"
        )
    amounts = (line.gross_pay, line.employer_taxes, line.benefits)
    if any(amount < 0 for amount in amounts):
        problems.append("an amount is negative")
    elif not any(amounts):
        problems.append("it pays nothing")
    if any(amount > MAX_AMOUNT for amount in amounts):
        problems.append("an amount is too large")
    return problems


def pay_run_create(
    *,
    period_start: date,
    period_end: date,
    pay_date: date,
    lines: Sequence[PayLine],
    source: str = PayRunSource.ENTERED,
    source_name: str = "",
    acting_user: User | None,
) -> PayRun:
    """Record a pay run with its lines, all or none: every line's problem is reported."""
    _period_check(period_start, period_end, pay_date)
    _lines_check(lines, period_start, period_end)
    with transaction.atomic():
        pay_run = PayRun.objects.create(
            period_start=period_start,
            period_end=period_end,
            pay_date=pay_date,
            source=source,
            source_name=source_name[:255],
            created_by=actor_of(acting_user),
        )
        PayRunLine.objects.bulk_create(
            PayRunLine(
                pay_run=pay_run,
                staff_record=line.staff_record,
                gross_pay=line.gross_pay,
                employer_taxes=line.employer_taxes,
                benefits=line.benefits,
            )
            for line in lines
        )
        audit_record(
            "pay_run.create",
            acting_user=acting_user,
            obj=pay_run,
            period=f"{period_start}..{period_end}",
            pay_date=str(pay_date),
            source=source,
            lines=len(lines),
        )
    return pay_run


def _lines_check(lines: Sequence[PayLine], period_start: date, period_end: date) -> None:
    """Refuse lines that pay no one, or any line with a problem (every problem is reported)."""
    if not lines:
        raise ServiceError(
            "A pay run pays someone: enter at least one person's pay.",
            fields={"lines": ["No one is paid."]},
        )
    problems: list[str] = []
    seen: dict[int, str] = {}
    for line in lines:
        line_problems = _line_problems(line, period_start, period_end)
        if line.staff_record.pk in seen:
            line_problems.append(
                f"{line.staff_record.person.full_name} is paid on {seen[line.staff_record.pk]} "
                "already"
            )
        seen.setdefault(line.staff_record.pk, line.where)
        if line_problems:
            problems.append(f"{line.where}: " + "; ".join(line_problems) + ".")
    if problems:
        raise ServiceError(_problems_message(problems), fields={"lines": problems})


def _problems_message(problems: list[str]) -> str:
    count = len(problems)
    rows = "One row has a problem" if count == 1 else f"{count:,} rows have problems"
    return f"{rows}; nothing was saved."


def pay_run_import(
    *,
    period_start: date,
    period_end: date,
    pay_date: date,
    raw: bytes,
    source_name: str,
    acting_user: User | None,
) -> PayRun:
    """Record a pay run from a payroll provider's CSV (see pay_run_files for its columns): each
    row is matched to a staff record by employee id, or else by email, then by name; a bad or
    unmatched row is reported with its line number, and nothing is saved unless every row is
    good."""
    _period_check(period_start, period_end, pay_date)
    rows, problems = pay_run_csv_read(raw)
    matched, match_problems = _matched(rows)
    problems = sorted(problems + match_problems, key=_line_number_of)
    if problems:
        raise ServiceError(_problems_message(problems), fields={"file": problems})
    return pay_run_create(
        period_start=period_start,
        period_end=period_end,
        pay_date=pay_date,
        lines=matched,
        source=PayRunSource.IMPORTED,
        source_name=source_name,
        acting_user=acting_user,
    )


def _line_number_of(problem: str) -> int:
    number = problem.removeprefix("Line ").split(":", 1)[0]
    return int(number) if number.isdigit() else 0


def _matched(rows: list[CsvPayLine]) -> tuple[list[PayLine], list[str]]:
    """The rows with their staff records (one query), and the rows no staff record answers."""
    records = list(StaffRecord.objects.select_related("person").order_by("pk"))
    by_id = {str(record.pk): record for record in records}
    by_email: dict[str, list[StaffRecord]] = defaultdict(list)
    by_name: dict[str, list[StaffRecord]] = defaultdict(list)
    for record in records:
        if record.person.email:
            by_email[record.person.email.strip().lower()].append(record)
        by_name[" ".join(record.person.full_name.lower().split())].append(record)
    matched, problems = [], []
    for row in rows:
        if row.employee_id:
            found = by_id.get(row.employee_id.lstrip("0"))
            candidates, named = ([found] if found else []), f"employee id {row.employee_id}"
        else:
            # An email the staff records do not hold (a personal address at the provider)
            # falls back to the name.
            candidates = by_email.get(row.email.lower(), []) if row.email else []
            named = row.email
            if not candidates and row.name:
                candidates = by_name.get(" ".join(row.name.lower().split()), [])
                named = f"{row.email} or {row.name}" if row.email else row.name
        if not candidates:
            problems.append(f"Line {row.line_number}: no staff member has {named}.")
            continue
        if len(candidates) > 1:
            problems.append(
                f"Line {row.line_number}: {len(candidates)} staff members have {named}; "
                "give the employee id instead."
            )
            continue
        matched.append(
            PayLine(
                staff_record=candidates[0],
                gross_pay=row.gross_pay,
                employer_taxes=row.employer_taxes,
                benefits=row.benefits,
                where=f"Line {row.line_number}",
            )
        )
    return matched, problems


# --- Changing a run's lines ----------------------------------------------------------------------


def _posting_in_force(pay_run: PayRun) -> PayrollAllocation | None:
    return (
        PayrollAllocation.objects.filter(pay_run=pay_run, reversal_entry__isnull=True)
        .exclude(entry__state=EntryState.REVERSED)
        .select_related("entry")
        .first()
    )


def _amounts(line: PayRunLine | PayLine) -> tuple[Decimal, Decimal, Decimal]:
    return (line.gross_pay, line.employer_taxes, line.benefits)


def _amounts_text(line: PayRunLine | PayLine) -> str:
    return "/".join(f"{amount:.2f}" for amount in _amounts(line))


def pay_run_lines_set(
    *, pay_run: PayRun, lines: Sequence[PayLine], acting_user: User | None
) -> PayRun:
    """Make `lines` the run's lines: amounts changed, people added, people left out removed,
    all or none, checked as when the run was entered. Refused while the run is posted (its
    entry holds the amounts): reverse the posting first, then post the corrected run. The audit
    row keeps each changed person's amounts before and after (gross/taxes/benefits)."""
    _lines_check(lines, pay_run.period_start, pay_run.period_end)
    with transaction.atomic():
        pay_run = PayRun.objects.select_for_update().get(pk=pay_run.pk)
        posting = _posting_in_force(pay_run)
        if posting is not None:
            raise StateConflict(
                f"This pay run is posted in entry {posting.entry.number}, which holds its "
                "amounts; reverse the posting to change them."
            )
        current = {
            line.staff_record_id: line
            for line in PayRunLine.objects.filter(pay_run=pay_run).select_related(
                "staff_record__person"
            )
        }
        wanted = {line.staff_record.pk: line for line in lines}
        changes: dict[str, list[str]] = {}
        removed = [line for record_id, line in current.items() if record_id not in wanted]
        for line in removed:
            changes[line.staff_record.person.full_name] = [_amounts_text(line), ""]
        PayRunLine.objects.filter(pk__in=[line.pk for line in removed]).delete()
        added = []
        for record_id, new in wanted.items():
            old = current.get(record_id)
            if old is None:
                added.append(
                    PayRunLine(
                        pay_run=pay_run,
                        staff_record=new.staff_record,
                        gross_pay=new.gross_pay,
                        employer_taxes=new.employer_taxes,
                        benefits=new.benefits,
                    )
                )
                changes[new.staff_record.person.full_name] = ["", _amounts_text(new)]
            elif _amounts(old) != _amounts(new):
                name = new.staff_record.person.full_name
                changes[name] = [_amounts_text(old), _amounts_text(new)]
                old.gross_pay, old.employer_taxes, old.benefits = (
                    new.gross_pay,
                    new.employer_taxes,
                    new.benefits,
                )
                old.save(update_fields=["gross_pay", "employer_taxes", "benefits"])
        PayRunLine.objects.bulk_create(added)
        if changes:
            audit_record(
                "pay_run.lines_update",
                acting_user=acting_user,
                obj=pay_run,
                period=f"{pay_run.period_start}..{pay_run.period_end}",
                lines=changes,
            )
    return pay_run


# --- Posting a run -------------------------------------------------------------------------------


def pay_run_entry_lines(allocation: PayRunAllocation) -> list[accounting.LineSpec]:
    """The entry a run posts (see the module's docstring), lines in a steady order: debits by
    account, function and program, then the credit."""
    debits: dict[tuple[str, str, str | None], Decimal] = defaultdict(Decimal)
    for person in allocation.people:
        for part in person.parts:
            for account, amount in (
                (person.salary_account, part.gross_pay),
                (allocation.accounts.payroll_taxes, part.employer_taxes),
                (allocation.accounts.benefits, part.benefits),
            ):
                if amount:
                    debits[(account, part.function, part.program_code)] += amount
    memo = f"Pay run {allocation.pay_run.period_start} to {allocation.pay_run.period_end}"
    lines = [
        accounting.LineSpec(
            account=account,
            fund=GENERAL_FUND,
            debit=amount,
            function=function,
            program=program if function == Function.PROGRAM else None,
            memo=memo,
        )
        for (account, function, program), amount in sorted(
            debits.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")
        )
    ]
    total = sum(debits.values(), Decimal("0.00"))
    if total:
        lines.append(
            accounting.LineSpec(
                account=allocation.accounts.accrued_payroll,
                fund=GENERAL_FUND,
                credit=total,
                memo=memo,
            )
        )
    return lines


def pay_run_post(*, pay_run: PayRun, acting_user: User | None) -> PayrollAllocation:
    """Post the run's cost split by the hours approved in its period (the preview's entry, to the
    cent), and hold its period as allocated. Refused while the run, or any day of its period, is
    posted by a posting still in force."""
    with transaction.atomic():
        # Postings of payroll are one at a time: the settings row is their lock.
        PersonnelSettings.objects.select_for_update().get(pk=personnel_settings().pk)
        pay_run = PayRun.objects.select_for_update().get(pk=pay_run.pk)
        if (
            PayrollAllocation.objects.filter(pay_run=pay_run, reversal_entry__isnull=True)
            .exclude(entry__state=EntryState.REVERSED)
            .exists()
        ):
            raise StateConflict("This pay run is posted already; reverse it to post it again.")
        range_free_check(start=pay_run.period_start, end=pay_run.period_end)
        allocation = pay_run_allocation_compute(pay_run=pay_run)
        lines = pay_run_entry_lines(allocation)
        if not lines:
            raise StateConflict("This pay run has nothing to post.")
        return allocation_record(
            start=pay_run.period_start,
            end=pay_run.period_end,
            memo=f"Pay run {pay_run.period_start} to {pay_run.period_end}, paid {pay_run.pay_date}",
            lines=lines,
            total_cost=allocation.total_cost,
            pay_run=pay_run,
            acting_user=acting_user,
        )


def pay_run_repost(
    *, pay_run: PayRun, date: date, reason: str, acting_user: User | None
) -> PayrollAllocation:
    """Reverse the run's posting on `date` with `reason` and post the run again, in one
    transaction: after hours in its period were approved or corrected, or its accounts changed.
    Either both happen or neither (a closed period refuses the new posting, say)."""
    with transaction.atomic():
        PersonnelSettings.objects.select_for_update().get(pk=personnel_settings().pk)
        pay_run = PayRun.objects.select_for_update().get(pk=pay_run.pk)
        posting = _posting_in_force(pay_run)
        if posting is None:
            raise StateConflict("This pay run is not posted: post it rather than post it again.")
        payroll_allocation_reverse(
            allocation=posting, date=date, reason=reason, acting_user=acting_user
        )
        return pay_run_post(pay_run=pay_run, acting_user=acting_user)


# --- Deleting a run ------------------------------------------------------------------------------


def pay_run_delete(*, pay_run: PayRun, acting_user: User | None) -> None:
    """Delete a run that was never posted (entered with wrong amounts, say: enter or import it
    again). A run that was posted, even if reversed since, stays with its postings."""
    with transaction.atomic():
        pay_run = PayRun.objects.select_for_update().get(pk=pay_run.pk)
        if PayrollAllocation.objects.filter(pay_run=pay_run).exists():
            raise StateConflict(
                "This pay run has been posted, so it stays in the record with its postings; "
                "reverse the posting and enter a new run instead."
            )
        audit_record(
            "pay_run.delete",
            acting_user=acting_user,
            obj=pay_run,
            period=f"{pay_run.period_start}..{pay_run.period_end}",
            pay_date=str(pay_run.pay_date),
        )
        pay_run.delete()
