"""Changing pay runs: their lines while not posted, the accounts they post to, and posting one
again after a correction (reversal and new posting at once)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.models import Account, AccountType, EntryState, JournalEntry
from tenant_apps.accounting.services.chart import account_create
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel.models import PayrollAllocation, PayRun, PayRunLine, StaffRecord
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.pay_runs import (
    PayLine,
    pay_run_create,
    pay_run_lines_set,
    pay_run_post,
    pay_run_repost,
)
from tenant_apps.personnel.services.payroll import payroll_allocation_reverse
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.tests.factories import HourEntryFactory, StaffRecordFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

START, END, PAID = date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 3)


def _line(record: StaffRecord, gross: str, taxes: str = "0", benefits: str = "0") -> PayLine:
    return PayLine(record, Decimal(gross), Decimal(taxes), Decimal(benefits), str(record.pk))


@pytest.fixture
def maria(in_alpha: Tenant) -> StaffRecord:
    return StaffRecordFactory.create(full_name="Maria Lopez")


@pytest.fixture
def sam(in_alpha: Tenant) -> StaffRecord:
    return StaffRecordFactory.create(full_name="Sam Chen")


@pytest.fixture
def run(maria: StaffRecord, sam: StaffRecord) -> PayRun:
    return pay_run_create(
        period_start=START,
        period_end=END,
        pay_date=PAID,
        lines=[_line(maria, "4000.00", "306.00", "250.00"), _line(sam, "1000.00")],
        acting_user=None,
    )


def _lines(run: PayRun) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    return {
        line.staff_record.person.full_name: (line.gross_pay, line.employer_taxes, line.benefits)
        for line in PayRunLine.objects.filter(pay_run=run).select_related("staff_record__person")
    }


def _entry_lines(posting: PayrollAllocation) -> dict[str, tuple[Decimal, Decimal]]:
    entry = JournalEntry.objects.get(pk=posting.entry_id)
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for line in entry.lines.select_related("account"):
        debit, credit = totals.get(line.account.code, (Decimal("0"), Decimal("0")))
        totals[line.account.code] = (debit + line.debit, credit + line.credit)
    return totals


# --- Lines -------------------------------------------------------------------------------------


def test_a_runs_lines_are_changed_added_and_removed_with_an_audit_row(
    in_alpha: Tenant, run: PayRun, maria: StaffRecord, sam: StaffRecord
) -> None:
    olive = StaffRecordFactory.create(full_name="Olive Grant")

    pay_run_lines_set(
        pay_run=run,
        lines=[_line(maria, "4100.00", "306.00", "250.00"), _line(olive, "900.00", "68.85")],
        acting_user=in_alpha.owner,
    )

    assert _lines(run) == {
        "Maria Lopez": (Decimal("4100.00"), Decimal("306.00"), Decimal("250.00")),
        "Olive Grant": (Decimal("900.00"), Decimal("68.85"), Decimal("0.00")),
    }
    event = AuditEvent.objects.get(action="pay_run.lines_update")
    assert event.object_id == str(run.pk)
    assert event.detail["lines"] == {
        "Maria Lopez": ["4000.00/306.00/250.00", "4100.00/306.00/250.00"],
        "Sam Chen": ["1000.00/0.00/0.00", ""],
        "Olive Grant": ["", "900.00/68.85/0.00"],
    }


def test_the_same_lines_again_change_nothing_and_write_no_audit_row(
    run: PayRun, maria: StaffRecord, sam: StaffRecord
) -> None:
    pay_run_lines_set(
        pay_run=run,
        lines=[_line(maria, "4000", "306", "250"), _line(sam, "1000.0")],
        acting_user=None,
    )

    assert not AuditEvent.objects.filter(action="pay_run.lines_update").exists()


def test_bad_lines_are_refused_as_when_the_run_was_entered(
    run: PayRun, maria: StaffRecord, sam: StaffRecord
) -> None:
    contractor = StaffRecordFactory.create(full_name="Cy Contract", employment_type="contractor")
    before = _lines(run)

    with pytest.raises(ServiceError) as refused:
        pay_run_lines_set(
            pay_run=run,
            lines=[_line(maria, "-1"), _line(contractor, "10"), _line(sam, "0")],
            acting_user=None,
        )
    with pytest.raises(ServiceError, match="at least one person"):
        pay_run_lines_set(pay_run=run, lines=[], acting_user=None)

    assert refused.value.fields["lines"] == [
        f"{maria.pk}: an amount is negative.",
        f"{contractor.pk}: Cy Contract is a contractor: contractors' fees are professional "
        "services, not payroll.",
        f"{sam.pk}: it pays nothing.",
    ]
    assert _lines(run) == before


def test_a_posted_runs_lines_are_refused_until_the_posting_is_reversed(
    run: PayRun, maria: StaffRecord
) -> None:
    posting = pay_run_post(pay_run=run, acting_user=None)

    with pytest.raises(StateConflict, match=f"posted in entry {posting.entry.number}"):
        pay_run_lines_set(pay_run=run, lines=[_line(maria, "1.00")], acting_user=None)
    payroll_allocation_reverse(
        allocation=posting, date=END, reason="Amounts wrong", acting_user=None
    )
    pay_run_lines_set(pay_run=run, lines=[_line(maria, "3900.00")], acting_user=None)
    again = pay_run_post(pay_run=run, acting_user=None)

    assert _lines(run) == {"Maria Lopez": (Decimal("3900.00"), Decimal("0.00"), Decimal("0.00"))}
    assert again.total_cost == Decimal("3900.00")


# --- Accounts ----------------------------------------------------------------------------------


def test_the_accounts_default_to_the_codes_pay_runs_always_posted_to(
    run: PayRun,
) -> None:
    posting = pay_run_post(pay_run=run, acting_user=None)

    assert _entry_lines(posting) == {
        "7020": (Decimal("5000.00"), Decimal("0.00")),
        "7220": (Decimal("250.00"), Decimal("0.00")),
        "7250": (Decimal("306.00"), Decimal("0.00")),
        "2020": (Decimal("0.00"), Decimal("5556.00")),
    }


def test_a_run_posts_to_the_accounts_of_the_settings(in_alpha: Tenant, run: PayRun) -> None:
    account_create(
        code="7251", name="State unemployment tax", type=AccountType.EXPENSE, acting_user=None
    )
    settings_update(
        acting_user=in_alpha.owner,
        salary_account="7010",
        payroll_taxes_account="7251",
        benefits_account="7210",
        accrued_payroll_account="1010",
    )

    posting = pay_run_post(pay_run=run, acting_user=None)

    assert _entry_lines(posting) == {
        "7010": (Decimal("5000.00"), Decimal("0.00")),
        "7210": (Decimal("250.00"), Decimal("0.00")),
        "7251": (Decimal("306.00"), Decimal("0.00")),
        "1010": (Decimal("0.00"), Decimal("5556.00")),
    }
    event = AuditEvent.objects.get(action="personnel_settings.update")
    assert event.detail["accrued_payroll_account"] == ["2020", "1010"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"payroll_taxes_account": "2020"}, "payroll_taxes_account", "Not an expense account."),
        ({"benefits_account": "9999"}, "benefits_account", "Not an expense account."),
        (
            {"accrued_payroll_account": "7020"},
            "accrued_payroll_account",
            "Not a liability or asset account.",
        ),
        ({"accrued_payroll_account": ""}, "accrued_payroll_account", None),
    ],
)
def test_an_account_of_the_wrong_type_is_refused(
    in_alpha: Tenant, changes: dict[str, str], field: str, message: str | None
) -> None:
    with pytest.raises(ServiceError) as refused:
        settings_update(acting_user=None, **changes)

    assert field in refused.value.fields
    if message:
        assert refused.value.fields[field] == [message]
    row = personnel_settings()
    assert (row.payroll_taxes_account, row.benefits_account, row.accrued_payroll_account) == (
        "7250",
        "7220",
        "2020",
    )


def test_summary_and_inactive_accounts_are_refused(in_alpha: Tenant) -> None:
    Account.objects.filter(code="7210").update(is_active=False)

    with pytest.raises(ServiceError, match="inactive"):
        settings_update(acting_user=None, benefits_account="7210")
    with pytest.raises(ServiceError, match="summary account"):
        settings_update(acting_user=None, accrued_payroll_account="2000")  # Liabilities

    row = personnel_settings()
    assert (row.benefits_account, row.accrued_payroll_account) == ("7220", "2020")


# --- Posting again -----------------------------------------------------------------------------


def test_repost_reverses_the_posting_and_posts_the_run_with_the_hours_approved_since(
    in_alpha: Tenant, run: PayRun, maria: StaffRecord
) -> None:
    first = pay_run_post(pay_run=run, acting_user=None)
    HourEntryFactory.create(
        person=maria.person, date=date(2026, 3, 4), hours="8", function="fundraising", approve=True
    )

    second = pay_run_repost(
        pay_run=run, date=END, reason="Hours approved late", acting_user=in_alpha.owner
    )

    first.refresh_from_db()
    assert first.reversal_reason == "Hours approved late"
    assert JournalEntry.objects.get(pk=first.entry_id).state == EntryState.REVERSED
    assert second.pk != first.pk and second.reversal_entry_id is None
    assert second.total_cost == first.total_cost == Decimal("5556.00")
    fundraising = JournalEntry.objects.get(pk=second.entry_id).lines.filter(function="fundraising")
    assert sum(line.debit for line in fundraising) == Decimal("4556.00")  # Maria's whole cost
    assert list(
        AuditEvent.objects.filter(action__startswith="payroll_allocation")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == ["payroll_allocation.post", "payroll_allocation.reverse", "payroll_allocation.post"]


def test_repost_of_a_run_not_posted_or_without_a_reason_changes_nothing(
    run: PayRun,
) -> None:
    with pytest.raises(StateConflict, match="not posted"):
        pay_run_repost(pay_run=run, date=END, reason="Why", acting_user=None)
    posting = pay_run_post(pay_run=run, acting_user=None)
    with pytest.raises(ServiceError, match="Say why"):
        pay_run_repost(pay_run=run, date=END, reason="  ", acting_user=None)

    assert list(PayrollAllocation.objects.values_list("pk", flat=True)) == [posting.pk]
    posting.refresh_from_db()
    assert posting.reversal_entry_id is None
