"""The payroll allocation: salaries moved from management and general to the functions and
programs the hours show, posted as one ledger entry a date range."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from saas_platform.lib.errors import StateConflict
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, Function
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.personnel.allocation import Allocation, allocation_compute
from tenant_apps.personnel.models import PayrollAllocation, PersonnelSettings
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.checks import GENERAL_FUND

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Payroll allocation posting ----------------------------------------------------------------


def payroll_allocation_lines(allocation: Allocation) -> list[accounting.LineSpec]:
    """What the allocation moves, as lines: per salary account, Dr each function and program
    other than management and general with its share, Cr management and general with their sum.
    Payroll is recorded in management and general (the payroll provider's entry); this entry
    moves it to where the hours show the work was done."""
    moved: dict[tuple[str, str, str | None], Decimal] = defaultdict(Decimal)
    for staff in allocation.staff:
        for part in staff.parts:
            if part.function != Function.MANAGEMENT_GENERAL and part.amount:
                moved[(staff.account, part.function, part.program_code)] += part.amount
    lines = [
        accounting.LineSpec(
            account=account,
            fund=GENERAL_FUND,
            debit=amount,
            function=function,
            program=program,
            memo="Payroll allocation",
        )
        for (account, function, program), amount in sorted(
            moved.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")
        )
    ]
    by_account: dict[str, Decimal] = defaultdict(Decimal)
    for (account, _, _), amount in moved.items():
        by_account[account] += amount
    lines += [
        accounting.LineSpec(
            account=account,
            fund=GENERAL_FUND,
            credit=amount,
            function=Function.MANAGEMENT_GENERAL,
            memo="Payroll allocation",
        )
        for account, amount in sorted(by_account.items())
    ]
    return lines


def payroll_allocation_post(
    *, start: date, end: date, acting_user: User | None
) -> PayrollAllocation:
    """Post the payroll allocation of a date range as one entry dated its last day. Refused when
    posting is off in the settings, when nothing moves, and when any day of the range has been
    allocated already."""
    with transaction.atomic():
        settings_row = PersonnelSettings.objects.select_for_update().get(pk=personnel_settings().pk)
        if not settings_row.payroll_posting_enabled:
            raise StateConflict(
                "Posting the payroll allocation is off; an administrator turns it on in the "
                "personnel settings."
            )
        overlapping = PayrollAllocation.objects.filter(start__lte=end, end__gte=start).first()
        if overlapping is not None:
            raise StateConflict(
                f"The payroll from {overlapping.start} to {overlapping.end} was allocated in "
                f"entry {overlapping.entry.number}; a day's salaries move once."
            )
        allocation = allocation_compute(start=start, end=end)
        lines = payroll_allocation_lines(allocation)
        if not lines:
            raise StateConflict(
                f"Nothing to move from {start} to {end}: every salary stays in management "
                "and general."
            )
        entry = accounting.entry_record(
            date=end,
            memo=f"Payroll allocation {start} to {end}",
            lines=lines,
            source=EntrySource.PAYROLL,
            source_reference=f"{start}..{end}",
            acting_user=acting_user,
        )
        record = PayrollAllocation.objects.create(
            start=start,
            end=end,
            entry=entry,
            total_cost=allocation.total_cost,
            amount_moved=sum((line.debit for line in lines if line.debit), Decimal("0")),
            created_by=actor_of(acting_user),
        )
        audit_record(
            "payroll_allocation.post",
            acting_user=acting_user,
            obj=record,
            start=str(start),
            end=str(end),
            entry=entry.number,
        )
    return record
