"""The bank desk's services: importing (duplicates skipped), automatic, manual and split
matches, entries created from a line, finishing and the lock, each audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.models import Account, JournalEntry, JournalLine
from tenant_apps.accounting.services import postings
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.banking import selectors
from tenant_apps.banking.models import Match, MatchKind, ReconciliationState, StatementLine
from tenant_apps.banking.services import matching
from tenant_apps.banking.services.statements import statement_import
from tenant_apps.banking.statement_files import ofx_read
from tenant_apps.banking.tests.factories import SAMPLE_OFX, statement_made
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

NOV = date(2026, 11, 1)


def day(number: int) -> date:
    return date(2026, 11, number)


def paid(amount: str, on: date, memo: str = "Payment") -> JournalEntry:
    return postings.entry_record(
        date=on,
        memo=memo,
        lines=[
            LineSpec(account="8110", fund="GEN", debit=amount, function="management_general"),
            LineSpec(account="1010", fund="GEN", credit=amount),
        ],
        source="manual",
        acting_user=None,
    )


def received(amount: str, on: date, fund: str = "GEN") -> JournalEntry:
    return postings.post_contribution(date=on, amount=Decimal(amount), fund=fund, acting_user=None)


def test_import_skips_lines_already_imported(in_alpha: Tenant) -> None:
    account = Account.objects.get(code="1010")
    parsed = ofx_read(SAMPLE_OFX.read_bytes())
    first = statement_import(account=account, parsed=parsed, source_name="a.ofx", acting_user=None)  # type: ignore[arg-type]
    again = statement_import(account=account, parsed=parsed, source_name="a.ofx", acting_user=None)  # type: ignore[arg-type]
    assert (first.added, first.skipped) == (3, 0)
    assert (again.added, again.skipped) == (0, 3)
    assert again.statement == first.statement
    assert StatementLine.objects.count() == 3
    assert AuditEvent.objects.filter(action="bank.statement_import").count() == 2


def test_import_refuses_lines_after_the_statement_date_and_writes_nothing(in_alpha: Tenant) -> None:
    account = Account.objects.get(code="1010")
    with pytest.raises(ServiceError, match="after the statement date"):
        statement_import(
            account=account,
            parsed=ofx_read(SAMPLE_OFX.read_bytes()),
            source_name="a.ofx",
            acting_user=None,  # type: ignore[arg-type]
            statement_date=day(10),
        )
    assert not StatementLine.objects.exists()


def test_auto_match_pairs_only_unambiguous_lines_within_the_window(in_alpha: Tenant) -> None:
    deposit = received("250.00", day(3))  # bank day 5: two days, matched
    received("90.00", day(2))  # bank day 9: seven days, outside the window
    paid("40.00", day(10))  # two payments of 40.00 for two bank lines: ambiguous
    paid("40.00", day(11))
    statement = statement_made(
        [
            (day(5), "250.00", "Deposit"),
            (day(9), "90.00", "Deposit"),
            (day(11), "-40.00", "Check"),
            (day(12), "-40.00", "Check"),
        ],
        closing="260.00",
        statement_date=day(30),
    )
    assert matching.auto_match(statement=statement, acting_user=None) == 1
    match = Match.objects.get()
    assert match.kind == MatchKind.AUTOMATIC
    assert match.statement_line.amount == Decimal("250.00")
    assert {line.journal_line.entry_id for line in match.ledger_lines.all()} == {deposit.pk}


def test_a_deposit_of_several_funds_is_one_ledger_item(in_alpha: Tenant) -> None:
    entry = postings.entry_record(
        date=day(4),
        memo="Deposit 7",
        lines=[
            LineSpec(account="1010", fund="GEN", debit="100.00"),
            LineSpec(account="1010", fund="PRP", debit="50.00"),
            LineSpec(account="4010", fund="GEN", credit="100.00"),
            LineSpec(account="4010", fund="PRP", credit="50.00"),
        ],
        source="donation",
        acting_user=None,
    )
    statement = statement_made(
        [(day(4), "150.00", "Deposit")], closing="150.00", statement_date=day(30)
    )
    assert matching.auto_match(statement=statement, acting_user=None) == 1
    assert JournalLine.objects.filter(entry=entry, bank_match__isnull=False).count() == 2


def test_a_payout_matches_its_clearing_entry_by_amount(in_alpha: Tenant) -> None:
    payout = postings.entry_record(
        date=day(6),
        memo="Stripe payout",
        lines=[
            LineSpec(account="1010", fund="GEN", debit="482.10"),
            LineSpec(account="1060", fund="GEN", credit="482.10"),
        ],
        source="donation",
        source_reference="payout:po_1",
        acting_user=None,
    )
    statement = statement_made(
        [(day(8), "482.10", "STRIPE TRANSFER")], closing="482.10", statement_date=day(30)
    )
    assert matching.auto_match(statement=statement, acting_user=None) == 1
    assert Match.objects.get().ledger_lines.get().journal_line.entry == payout


def test_split_match_needs_entries_that_add_up(in_alpha: Tenant) -> None:
    first, second = received("100.00", day(2)), received("60.00", day(3))
    statement = statement_made(
        [(day(4), "160.00", "Deposit")], closing="160.00", statement_date=day(30)
    )
    line = statement.lines.get()
    with pytest.raises(ServiceError, match="add up to 100.00"):
        matching.match_create(statement_line=line, entry_ids=[first.pk], acting_user=None)
    assert not Match.objects.exists()
    match = matching.match_create(
        statement_line=line, entry_ids=[first.pk, second.pk], acting_user=None
    )
    assert match.kind == MatchKind.SPLIT
    assert selectors.statement_balances(statement).difference == 0
    with pytest.raises(StateConflict):
        matching.match_create(statement_line=line, entry_ids=[first.pk], acting_user=None)


def test_create_entry_posts_a_bank_fee_and_matches_it(in_alpha: Tenant) -> None:
    statement = statement_made(
        [(day(30), "-15.00", "Service fee")], closing="-15.00", statement_date=day(30)
    )
    match = matching.line_entry_create(statement_line=statement.lines.get(), acting_user=None)
    entry = JournalEntry.objects.get(source_reference=f"bank-line:{match.statement_line_id}")
    lines = {(line.account.code, line.debit, line.credit) for line in entry.lines.all()}
    assert lines == {("8550", Decimal("15.00"), 0), ("1010", 0, Decimal("15.00"))}
    assert match.kind == MatchKind.CREATED
    assert AuditEvent.objects.filter(action="bank.entry_create").count() == 1


def test_create_entry_credits_interest_for_money_in(in_alpha: Tenant) -> None:
    statement = statement_made(
        [(day(30), "2.41", "Interest")], closing="2.41", statement_date=day(30)
    )
    matching.line_entry_create(statement_line=statement.lines.get(), acting_user=None)
    assert JournalLine.objects.filter(account__code="5110", credit=Decimal("2.41")).exists()


def test_finish_needs_a_zero_difference_and_then_locks(in_alpha: Tenant) -> None:
    entry = received("250.00", day(3))
    statement = statement_made(
        [(day(3), "250.00", "Deposit"), (day(30), "-15.00", "Fee")],
        closing="235.00",
        statement_date=day(30),
    )
    matching.auto_match(statement=statement, acting_user=None)
    with pytest.raises(ServiceError, match="difference of -15.00"):
        matching.reconciliation_finish(statement=statement, acting_user=None)
    fee = statement.lines.get(amount=Decimal("-15.00"))
    matching.line_entry_create(statement_line=fee, acting_user=None)
    reconciliation = matching.reconciliation_finish(statement=statement, acting_user=None)
    assert reconciliation.state == ReconciliationState.FINISHED
    deposit_line = statement.lines.get(amount=Decimal("250.00"))
    with pytest.raises(StateConflict, match="locked"):
        matching.match_remove(statement_line=deposit_line, acting_user=None)
    assert Match.objects.count() == 2
    report = selectors.reconciliation_report(statement)
    assert (report.book_balance, report.bank_balance) == (Decimal("235.00"), Decimal("235.00"))
    assert report.unexplained == 0
    assert entry.pk in {
        item.entry_id for item in selectors.ledger_items(statement.account, cleared=True)
    }


def test_unmatch_while_open_clears_the_ledger_line_again(in_alpha: Tenant) -> None:
    received("250.00", day(3))
    statement = statement_made(
        [(day(3), "250.00", "Deposit")], closing="250.00", statement_date=day(30)
    )
    matching.auto_match(statement=statement, acting_user=None)
    matching.match_remove(statement_line=statement.lines.get(), acting_user=None)
    assert not Match.objects.exists()
    assert len(selectors.ledger_items(statement.account)) == 1


def test_report_lists_outstanding_deposits_and_payments(in_alpha: Tenant) -> None:
    received("250.00", day(3))
    received("75.00", day(29))  # in transit
    paid("120.00", day(28))  # check not yet cashed
    statement = statement_made(
        [(day(3), "250.00", "Deposit")], closing="250.00", statement_date=day(30)
    )
    matching.auto_match(statement=statement, acting_user=None)
    report = selectors.reconciliation_report(statement)
    assert report.book_balance == Decimal("205.00")
    assert [item.amount for item in report.outstanding_deposits] == [Decimal("75.00")]
    assert [item.amount for item in report.outstanding_payments] == [Decimal("-120.00")]
    assert report.adjusted_book_balance == Decimal("250.00")
    assert report.unexplained == 0


def test_the_close_checklist_counts_bank_accounts_not_reconciled_through_the_month(
    in_alpha: Tenant,
) -> None:
    from tenant_apps.accounting.closing import closing_checklist

    def unreconciled() -> int:
        items = closing_checklist(start=NOV, end=day(30))
        return next(item.count for item in items if item.name == "banking.unreconciled_accounts")

    assert unreconciled() == 0  # no money has moved through the bank yet
    received("250.00", day(3))
    assert unreconciled() == 1
    statement = statement_made(
        [(day(3), "250.00", "Deposit")], closing="250.00", statement_date=day(30)
    )
    matching.auto_match(statement=statement, acting_user=None)
    matching.reconciliation_finish(statement=statement, acting_user=None)
    assert unreconciled() == 0
    # December's close still asks for December's statement.
    assert any(
        item.name == "banking.unreconciled_accounts" and item.count == 1
        for item in closing_checklist(start=date(2026, 12, 1), end=date(2026, 12, 31))
    )
