"""The payroll allocation: salaries moved from management and general to the functions and
programs the hours show, posted as one ledger entry a date range."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, EntryState, Function, JournalEntry
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.personnel.allocation import Allocation, allocation_compute
from tenant_apps.personnel.models import PayrollAllocation, PayRun, PersonnelSettings
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.checks import GENERAL_FUND

if TYPE_CHECKING:
    from shared_apps.users.models import User

REASON_MAX = 500

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
        range_free_check(start=start, end=end)
        allocation = allocation_compute(start=start, end=end)
        lines = payroll_allocation_lines(allocation)
        if not lines:
            raise StateConflict(
                f"Nothing to move from {start} to {end}: every salary stays in management "
                "and general."
            )
        record = allocation_record(
            start=start,
            end=end,
            memo=f"Payroll allocation {start} to {end}",
            lines=lines,
            total_cost=allocation.total_cost,
            pay_run=None,
            acting_user=acting_user,
        )
    return record


def range_free_check(*, start: date, end: date) -> None:
    """Refuse a range of which any day has been allocated by a posting still in force. A posting
    whose entry was reversed in the journal (not through payroll_allocation_reverse) is recorded
    as reversed first, so that its days are free again. Call inside the posting's transaction,
    with the settings row locked (posting is one at a time)."""
    overlapping = list(
        PayrollAllocation.objects.select_related("entry")
        .filter(start__lte=end, end__gte=start, reversal_entry__isnull=True)
        .order_by("start")
    )
    for allocation in overlapping:
        if allocation.entry.state == EntryState.REVERSED:
            _reversed_in_the_journal(allocation)
            continue
        raise StateConflict(
            f"The payroll from {allocation.start} to {allocation.end} was allocated in "
            f"entry {allocation.entry.number}; a day's salaries move once. Reverse that "
            "posting first to post the range again."
        )


def _reversed_in_the_journal(allocation: PayrollAllocation) -> None:
    reversal = JournalEntry.objects.filter(reverses=allocation.entry).first()
    allocation.reversal_entry = reversal
    allocation.reversal_reason = (reversal.memo if reversal else "") or "Reversed in the journal"
    allocation.reversed_by = reversal.created_by if reversal else None
    allocation.reversed_at = reversal.created_at if reversal else timezone.now()
    allocation.save(
        update_fields=["reversal_entry", "reversal_reason", "reversed_by", "reversed_at"]
    )


def allocation_record(
    *,
    start: date,
    end: date,
    memo: str,
    lines: list[accounting.LineSpec],
    total_cost: Decimal,
    pay_run: PayRun | None,
    acting_user: User | None,
    entry_date: date | None = None,
) -> PayrollAllocation:
    """Post `lines` as the payroll entry of [start, end] and record the range as allocated.
    Called inside the poster's transaction, after range_free_check."""
    entry = accounting.entry_record(
        date=entry_date or end,
        memo=memo,
        lines=lines,
        source=EntrySource.PAYROLL,
        source_reference=f"{start}..{end}",
        acting_user=acting_user,
    )
    record = PayrollAllocation.objects.create(
        start=start,
        end=end,
        entry=entry,
        total_cost=total_cost,
        amount_moved=sum((Decimal(line.debit) for line in lines if line.debit), Decimal("0")),
        pay_run=pay_run,
        created_by=actor_of(acting_user),
    )
    audit_record(
        "payroll_allocation.post",
        acting_user=acting_user,
        obj=record,
        start=str(start),
        end=str(end),
        entry=entry.number,
        pay_run=pay_run.pk if pay_run else None,
    )
    return record


# --- Reversing a posting -----------------------------------------------------------------------


def payroll_allocation_reverse(
    *, allocation: PayrollAllocation, date: date, reason: str, acting_user: User | None
) -> PayrollAllocation:
    """Reverse a posted payroll allocation: its entry is reversed in the journal on `date` with
    `reason` as the reversal's memo, and its days are free to be posted again (after the hours
    are corrected, say)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            "Say why the posting is reversed.", fields={"reason": ["Give a reason."]}
        )
    if len(reason) > REASON_MAX:
        raise ServiceError(
            f"A reason has at most {REASON_MAX} characters.", fields={"reason": ["Too long."]}
        )
    with transaction.atomic():
        allocation = (
            PayrollAllocation.objects.select_for_update()
            .select_related("entry")
            .get(pk=allocation.pk)
        )
        if allocation.reversal_entry_id is not None:
            raise StateConflict(
                f"The posting of {allocation.start} to {allocation.end} is reversed already."
            )
        reversal = accounting.entry_reverse(
            entry=allocation.entry, date=date, memo=reason, acting_user=acting_user
        )
        allocation.reversal_entry = reversal
        allocation.reversal_reason = reason
        allocation.reversed_by = actor_of(acting_user)
        allocation.reversed_at = timezone.now()
        allocation.save(
            update_fields=["reversal_entry", "reversal_reason", "reversed_by", "reversed_at"]
        )
        audit_record(
            "payroll_allocation.reverse",
            acting_user=acting_user,
            obj=allocation,
            entry=allocation.entry.number,
            reversal=reversal.number,
            date=str(date),
            reason=reason,
        )
    return allocation
