"""Reads of pay runs for their pages: the list with each run's totals and posting, one run with
its lines and postings, the staff a new run is entered for, and the names of the accounts and
fund its entry posts to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from tenant_apps.accounting.models import Account, AccountType, EntryState, Fund
from tenant_apps.personnel.models import (
    EmploymentType,
    PayrollAllocation,
    PayRun,
    PayRunLine,
    StaffRecord,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
# Staff whose record ended longer ago than this are not offered on a new run's form.
RECENTLY_LEFT = timedelta(days=62)


def postings_in_force() -> QuerySet[PayrollAllocation]:
    """Postings not reversed, whether through the pay-run pages or in the journal."""
    return PayrollAllocation.objects.filter(reversal_entry__isnull=True).exclude(
        entry__state=EntryState.REVERSED
    )


def pay_run_list(
    *, posted: bool | None = None, paid_from: date | None = None, paid_to: date | None = None
) -> QuerySet[PayRun]:
    """Pay runs with their people, gross pay, whole cost and the number of the entry that posts
    them (None when not posted): one query."""
    posting = postings_in_force().filter(pay_run=OuterRef("pk"))
    runs = PayRun.objects.annotate(
        people=Count("lines"),
        gross=Coalesce(Sum("lines__gross_pay"), ZERO),
        cost=Coalesce(
            Sum(F("lines__gross_pay") + F("lines__employer_taxes") + F("lines__benefits")), ZERO
        ),
        posted=Exists(posting),
        entry_number=Subquery(posting.values("entry__number")[:1]),
    )
    if posted is not None:
        runs = runs.filter(posted=posted)
    if paid_from is not None:
        runs = runs.filter(pay_date__gte=paid_from)
    if paid_to is not None:
        runs = runs.filter(pay_date__lte=paid_to)
    return runs


def pay_run_of(pk: int) -> PayRun | None:
    return pay_run_list().select_related("created_by").filter(pk=pk).first()


def pay_run_lines(pay_run: PayRun) -> list[PayRunLine]:
    return list(
        PayRunLine.objects.filter(pay_run=pay_run)
        .select_related("staff_record__person")
        .order_by("staff_record__person__full_name", "pk")
    )


def pay_run_postings(pay_run: PayRun) -> list[PayrollAllocation]:
    """Every posting of the run, the latest first, with its entry and any reversal."""
    return list(
        PayrollAllocation.objects.filter(pay_run=pay_run)
        .select_related("entry", "reversal_entry", "created_by", "reversed_by")
        .order_by("-created_at", "-pk")
    )


def posting_in_force_of(pay_run: PayRun) -> PayrollAllocation | None:
    return postings_in_force().filter(pay_run=pay_run).select_related("entry").first()


def staff_to_pay(*, today: date) -> list[StaffRecord]:
    """The staff a new run is entered for: on the payroll (not contractors), still employed or
    left recently, each with `last_line`, their line on the latest run that paid them (None if
    none), to prefill the form. Two queries."""
    records = list(
        StaffRecord.objects.select_related("person")
        .exclude(employment_type=EmploymentType.CONTRACTOR)
        .filter(start_date__lte=today + RECENTLY_LEFT)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today - RECENTLY_LEFT))
        .order_by("person__full_name", "pk")
    )
    last_lines = {
        line.staff_record_id: line
        for line in PayRunLine.objects.filter(staff_record__in=records)
        .order_by("staff_record_id", "-pay_run__pay_date", "-pay_run_id")
        .distinct("staff_record_id")
    }
    for record in records:
        record.last_line = last_lines.get(record.pk)  # type: ignore[attr-defined]  # for the form
    return records


def staff_for_run(pay_run: PayRun) -> list[StaffRecord]:
    """The staff whose pay a run's lines may hold: those it pays, and those on the payroll (not
    contractors) at some time in its period; by name. One query."""
    on_the_run = PayRunLine.objects.filter(pay_run=pay_run).values("staff_record_id")
    in_the_period = (
        Q(start_date__lte=pay_run.period_end)
        & (Q(end_date__isnull=True) | Q(end_date__gte=pay_run.period_start))
        & ~Q(employment_type=EmploymentType.CONTRACTOR)
    )
    return list(
        StaffRecord.objects.select_related("person")
        .filter(Q(pk__in=on_the_run) | in_the_period)
        .order_by("person__full_name", "pk")
    )


@dataclass(frozen=True)
class AccountChoices:
    """Accounts a pay run may post to, as (code, "code name") pairs, by code."""

    expenses: list[tuple[str, str]]
    credits: list[tuple[str, str]]


def pay_run_account_choices() -> AccountChoices:
    """Active accounts that take postings (no sub-accounts): expenses for the debits,
    liabilities and assets for the credit. One query."""
    accounts = (
        Account.objects.filter(
            is_active=True,
            type__in=(AccountType.EXPENSE, AccountType.LIABILITY, AccountType.ASSET),
        )
        .exclude(Exists(Account.objects.filter(parent=OuterRef("pk"))))
        .order_by("code")
        .values_list("code", "name", "type")
    )
    expenses: list[tuple[str, str]] = []
    credits: list[tuple[str, str]] = []
    for code, name, kind in accounts:
        (expenses if kind == AccountType.EXPENSE else credits).append((code, f"{code} {name}"))
    return AccountChoices(expenses=expenses, credits=credits)


def ledger_names(*, account_codes: set[str], fund_codes: set[str]) -> dict[str, str]:
    """The names of accounts and funds by code, for an entry shown before it is posted."""
    names = dict(Account.objects.filter(code__in=account_codes).values_list("code", "name"))
    names.update(
        {
            f"fund:{code}": name
            for code, name in Fund.objects.filter(code__in=fund_codes).values_list("code", "name")
        }
    )
    return names
