"""The accounting services: what they refuse (with nothing written), numbering, releases,
reversals, periods, settings, the posting rules other apps call, and their audit rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import selectors
from tenant_apps.accounting.models import (
    Account,
    EntrySource,
    EntryState,
    FiscalPeriod,
    JournalEntry,
    JournalLine,
    PeriodState,
    Program,
)
from tenant_apps.accounting.services import chart, entries, periods, postings
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import (
    JournalEntryFactory,
    months_closed_before,
    months_closed_through,
)
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

DAY = date(2026, 10, 15)


def cash_gift(amount: str = "100.00", fund: str = "GEN") -> list[LineSpec]:
    return [
        LineSpec(account="1010", fund=fund, debit=amount),
        LineSpec(account="4010", fund=fund, credit=amount),
    ]


# --- What entry_create refuses ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([LineSpec(account="1010", fund="GEN", debit="5")], "at least two lines"),
        (
            [
                LineSpec(account="1010", fund="GEN", debit="100.00"),
                LineSpec(account="4010", fund="GEN", credit="90.00"),
            ],
            "does not balance: debits 100.00, credits 90.00",
        ),
        (
            [
                LineSpec(account="1010", fund="GEN", debit="100.00"),
                LineSpec(account="4010", fund="PRP", credit="100.00"),
            ],
            "does not balance in fund GEN",
        ),
        ([LineSpec(account="9999", fund="GEN", debit="1"), *cash_gift()], "no account '9999'"),
        ([LineSpec(account="1010", fund="XX", debit="1"), *cash_gift()], "no fund 'XX'"),
        ([LineSpec(account="1000", fund="GEN", debit="1"), *cash_gift()], "summary account"),
        (
            [
                LineSpec(account="8110", fund="GEN", debit="10"),
                LineSpec(account="1010", fund="GEN", credit="10"),
            ],
            "needs a function",
        ),
        (
            [
                LineSpec(account="1010", fund="GEN", debit="10", function="fundraising"),
                LineSpec(account="4010", fund="GEN", credit="10"),
            ],
            "Only expense lines have a function",
        ),
        (
            [
                LineSpec(account="8110", fund="GEN", debit="10", function="program"),
                LineSpec(account="1010", fund="GEN", credit="10"),
            ],
            "names its program",
        ),
        (
            [
                LineSpec(account="8110", fund="GEN", debit="10", function="program", program="Z"),
                LineSpec(account="1010", fund="GEN", credit="10"),
            ],
            "no program 'Z'",
        ),
        (
            [
                LineSpec(
                    account="8110", fund="GEN", debit="10", function="fundraising", program="PRG"
                ),
                LineSpec(account="1010", fund="GEN", credit="10"),
            ],
            "Only program expenses name a program",
        ),
        (
            [
                LineSpec(account="8110", fund="GEN", debit="10", function="payroll"),
                LineSpec(account="1010", fund="GEN", credit="10"),
            ],
            "A function is one of",
        ),
        ([LineSpec(account="1010", fund="GEN", debit="abc"), *cash_gift()], "not an amount"),
        ([LineSpec(account="1010", fund="GEN", debit="-5"), *cash_gift()], "more than zero"),
        ([LineSpec(account="1010", fund="GEN", debit="1.234"), *cash_gift()], "two decimal"),
        ([LineSpec(account="1010", fund="GEN", debit="1e20"), *cash_gift()], "too large"),
        ([LineSpec(account="1010", fund="GEN", debit="NaN"), *cash_gift()], "more than zero"),
        (
            [LineSpec(account="1010", fund="GEN", debit="5", credit="5"), *cash_gift()],
            "not both",
        ),
        ([LineSpec(account="1010", fund="GEN"), *cash_gift()], "Give a debit or a credit."),
        (
            [LineSpec(account="1010", fund="GEN", debit="1", net_asset_class="with"), *cash_gift()],
            "only the without-restrictions class",
        ),
        (
            [LineSpec(account="1010", fund="PRP", debit="1", net_asset_class="x"), *cash_gift()],
            "net-asset class is one of",
        ),
    ],
)
def test_entry_create_refuses_bad_lines_and_writes_nothing(
    in_alpha: Tenant, lines: list[LineSpec], message: str
) -> None:
    with pytest.raises(ServiceError) as error:
        entries.entry_create(date=DAY, memo="bad", lines=lines, acting_user=in_alpha.owner)
    assert message in error.value.message or message in str(error.value.fields)
    assert not JournalEntry.objects.exists()
    assert not JournalLine.objects.exists()
    assert not AuditEvent.objects.filter(action="entry.create").exists()


def test_line_errors_point_at_the_line_and_field(in_alpha: Tenant) -> None:
    with pytest.raises(ServiceError) as error:
        entries.entry_create(
            date=DAY,
            memo="",
            acting_user=in_alpha.owner,
            lines=[*cash_gift(), LineSpec(account="9999", fund="GEN", credit="1")],
        )
    assert error.value.message == "Line 3, account: There is no account '9999'."
    assert error.value.fields == {"lines": [{}, {}, {"account": ["There is no account '9999'."]}]}


def test_a_perpetual_fund_is_not_charged_with_expenses(in_alpha: Tenant) -> None:
    chart.fund_create(
        code="END", name="Endowment", restriction="perpetual", acting_user=in_alpha.owner
    )
    with pytest.raises(ServiceError, match="perpetual endowment"):
        entries.entry_create(
            date=DAY,
            memo="",
            acting_user=in_alpha.owner,
            lines=[
                LineSpec(account="8110", fund="END", debit="10", function="fundraising"),
                LineSpec(account="1010", fund="END", credit="10"),
            ],
        )


@pytest.mark.parametrize("day", [date(1899, 12, 31), date(3000, 1, 1), date(9999, 8, 1)])
def test_dates_outside_the_books_are_refused(in_alpha: Tenant, day: date) -> None:
    periods.settings_update(fiscal_year_start_month=7, acting_user=None)
    with pytest.raises(ServiceError, match="outside the years 1900 to 2999"):
        entries.entry_create(date=day, memo="", lines=cash_gift(), acting_user=None)
    entry = JournalEntryFactory.create(date=DAY, memo="", posted=True)
    with pytest.raises(ServiceError, match="outside the years 1900 to 2999"):
        entries.entry_reverse(entry=entry, acting_user=None, date=day)
    assert JournalEntry.objects.count() == 1


def test_zero_on_the_other_side_counts_as_not_given(in_alpha: Tenant) -> None:
    entry = entries.entry_create(
        date=DAY,
        memo="",
        acting_user=in_alpha.owner,
        lines=[
            LineSpec(account="1010", fund="GEN", debit="12.50", credit="0.00"),
            LineSpec(account="4010", fund="GEN", debit="", credit="12.5"),
        ],
    )
    assert sorted(entry.lines.values_list("debit", "credit")) == [
        (Decimal("0.00"), Decimal("12.50")),
        (Decimal("12.50"), Decimal("0.00")),
    ]


# --- Posting -----------------------------------------------------------------------------------


def test_posting_numbers_entries_in_posting_order_and_audits(in_alpha: Tenant) -> None:
    first = entries.entry_create(date=DAY, memo="a", lines=cash_gift(), acting_user=in_alpha.owner)
    second = entries.entry_create(date=DAY, memo="b", lines=cash_gift(), acting_user=in_alpha.owner)
    assert first.number is None
    assert first.state == EntryState.DRAFT
    entries.entry_post(entry=second, acting_user=in_alpha.owner)
    entries.entry_post(entry=first, acting_user=in_alpha.owner)
    first, second = (JournalEntry.objects.get(pk=entry.pk) for entry in (first, second))
    assert (second.number, first.number) == (1, 2)
    assert first.state == EntryState.POSTED
    assert first.posted_by == in_alpha.owner
    assert first.posted_at is not None
    assert list(
        AuditEvent.objects.filter(object_id=str(first.pk), object_type="journalentry")
        .order_by("id")
        .values_list("action", "actor_id")
    ) == [("entry.create", in_alpha.owner.pk), ("entry.post", in_alpha.owner.pk)]
    with pytest.raises(StateConflict, match="already posted"):
        entries.entry_post(entry=first, acting_user=in_alpha.owner)


def test_a_draft_waits_but_posts_only_to_active_accounts(in_alpha: Tenant) -> None:
    draft = entries.entry_create(date=DAY, memo="", lines=cash_gift(), acting_user=in_alpha.owner)
    chart.account_update(
        account=Account.objects.get(code="4010"), is_active=False, acting_user=in_alpha.owner
    )
    with pytest.raises(ServiceError, match="Account 4010 has been made inactive"):
        entries.entry_post(entry=draft, acting_user=in_alpha.owner)
    draft.refresh_from_db()
    assert draft.state == EntryState.DRAFT


def test_posting_in_a_closed_period_is_refused(in_alpha: Tenant) -> None:
    draft = entries.entry_create(date=DAY, memo="", lines=cash_gift(), acting_user=in_alpha.owner)
    months_closed_before(DAY)
    period = periods.period_for_date(DAY)
    with pytest.raises(StateConflict, match="1 draft journal entry is dated in"):
        periods.period_close(period=period, acting_user=in_alpha.owner)
    entries.entry_delete(entry=draft, acting_user=in_alpha.owner)
    periods.period_close(period=period, acting_user=in_alpha.owner)
    with pytest.raises(StateConflict, match="is closed: nothing can be posted on 2026-10-15"):
        postings.entry_record(
            date=DAY, memo="", lines=cash_gift(), source="manual", acting_user=in_alpha.owner
        )
    assert not JournalEntry.objects.exclude(state=EntryState.DRAFT).exists()
    periods.period_reopen(period=period, acting_user=in_alpha.owner, reason="late invoice")
    entry = postings.entry_record(
        date=DAY, memo="", lines=cash_gift(), source="manual", acting_user=in_alpha.owner
    )
    assert entry.state == EntryState.POSTED
    assert list(
        AuditEvent.objects.filter(object_type="fiscalperiod", object_id=str(period.pk))
        .order_by("id")
        .values_list("action", "detail")
    ) == [
        ("period.close", {"start": "2026-10-01"}),
        ("period.reopen", {"start": "2026-10-01", "reason": "late invoice"}),
    ]


def test_closing_twice_or_reopening_an_open_period_conflicts(in_alpha: Tenant) -> None:
    months_closed_before(DAY)
    period = periods.period_for_date(DAY)
    with pytest.raises(StateConflict, match="already open"):
        periods.period_reopen(period=period, acting_user=in_alpha.owner, reason="late invoice")
    periods.period_close(period=period, acting_user=in_alpha.owner)
    with pytest.raises(StateConflict, match="already closed"):
        periods.period_close(period=period, acting_user=in_alpha.owner)
    period.refresh_from_db()
    assert period.state == PeriodState.CLOSED
    assert period.closed_by == in_alpha.owner


def test_a_posting_in_a_year_without_periods_opens_that_fiscal_year(in_alpha: Tenant) -> None:
    assert not FiscalPeriod.objects.filter(fiscal_year=2031).exists()
    postings.entry_record(
        date=date(2031, 3, 9), memo="", lines=cash_gift(), source="manual", acting_user=None
    )
    opened = FiscalPeriod.objects.filter(fiscal_year=2031).order_by("start")
    assert [period.start for period in opened] == [date(2031, m, 1) for m in range(1, 13)]
    assert list(opened)[-1].end == date(2031, 12, 31)


# --- Release from restriction ------------------------------------------------------------------


def test_an_expense_charged_to_a_restricted_fund_releases_it(in_alpha: Tenant) -> None:
    postings.post_contribution(
        date=DAY, amount=Decimal("1000.00"), fund="PRP", acting_user=in_alpha.owner
    )
    spend = JournalEntryFactory.create(
        date=DAY,
        memo="Supplies",
        posted=True,
        acting_user=in_alpha.owner,
        lines=[
            LineSpec(account="8110", fund="PRP", debit="300.00", function="program", program="PRG"),
            LineSpec(account="1010", fund="PRP", credit="300.00"),
        ],
    )
    release = JournalEntry.objects.get(origin=spend)
    assert release.source == EntrySource.RELEASE
    assert spend.number is not None
    assert release.state == EntryState.POSTED
    assert release.number == spend.number + 1
    assert release.date == spend.date
    assert sorted(
        release.lines.values_list(
            "account__code", "fund__code", "net_asset_class", "debit", "credit"
        )
    ) == [
        ("6910", "PRP", "with", Decimal("300.00"), Decimal("0.00")),
        ("6910", "PRP", "without", Decimal("0.00"), Decimal("300.00")),
    ]
    # The expense itself is in the without-restrictions class (ASC 958 reports it there).
    assert spend.lines.get(account__code="8110").net_asset_class == "without"
    assert spend.lines.get(account__code="1010").net_asset_class == "with"


def test_a_time_restricted_fund_releases_on_its_own_account(in_alpha: Tenant) -> None:
    chart.fund_create(code="T27", name="For 2027", restriction="time", acting_user=None)
    postings.post_contribution(date=DAY, amount=Decimal("80"), fund="T27", acting_user=None)
    postings.post_fee(
        date=DAY, amount=Decimal("5"), fund="T27", credit_account="1010", acting_user=None
    )
    release = JournalEntry.objects.get(source=EntrySource.RELEASE)
    assert set(release.lines.values_list("account__code", flat=True)) == {"6920"}


def test_releasing_more_than_the_fund_holds_is_refused(in_alpha: Tenant) -> None:
    postings.post_contribution(date=DAY, amount=Decimal("100"), fund="PRP", acting_user=None)
    with pytest.raises(ServiceError, match="Fund PRP holds 100.00 with donor restrictions"):
        postings.entry_record(
            date=DAY,
            memo="",
            source="manual",
            acting_user=None,
            lines=[
                LineSpec(account="8110", fund="PRP", debit="100.01", function="fundraising"),
                LineSpec(account="1010", fund="PRP", credit="100.01"),
            ],
        )
    assert JournalEntry.objects.count() == 1


def test_releases_are_not_generated_for_funds_without_restrictions(in_alpha: Tenant) -> None:
    postings.post_fee(date=DAY, amount=Decimal("2.50"), acting_user=None)
    assert not JournalEntry.objects.filter(source=EntrySource.RELEASE).exists()


# --- Reversal --------------------------------------------------------------------------------


def test_a_reversal_swaps_every_side_and_marks_the_original(in_alpha: Tenant) -> None:
    original = JournalEntryFactory.create(
        date=DAY,
        memo="Salaries",
        posted=True,
        acting_user=in_alpha.owner,
        lines=[
            LineSpec(account="7020", fund="GEN", debit="70.00", function="program", program="PRG"),
            LineSpec(account="7020", fund="GEN", debit="30.00", function="management_general"),
            LineSpec(account="1010", fund="GEN", credit="100.00"),
        ],
    )
    reversal = entries.entry_reverse(
        entry=original, acting_user=in_alpha.owner, date=date(2026, 10, 20), memo="Wrong fund"
    )
    original.refresh_from_db()
    assert original.state == EntryState.REVERSED
    assert reversal.reverses == original
    assert reversal.source == EntrySource.REVERSAL
    assert reversal.memo == "Wrong fund"
    assert reversal.date == date(2026, 10, 20)

    def sides(entry: JournalEntry) -> list[tuple[Any, ...]]:
        return sorted(
            entry.lines.values_list("account__code", "function", "program__code", "debit", "credit")
        )

    assert sides(reversal) == sorted(
        (code, function, program, credit, debit)
        for code, function, program, debit, credit in sides(original)
    )
    with pytest.raises(StateConflict, match="is reversed; only posted entries"):
        entries.entry_reverse(entry=original, acting_user=in_alpha.owner)
    with pytest.raises(StateConflict, match="itself a reversal"):
        entries.entry_reverse(entry=reversal, acting_user=in_alpha.owner)


def test_reversing_a_restricted_expense_reverses_its_release_and_not_alone(
    in_alpha: Tenant,
) -> None:
    postings.post_contribution(date=DAY, amount=Decimal("500"), fund="PRP", acting_user=None)
    spend = JournalEntryFactory.create(
        date=DAY,
        memo="",
        posted=True,
        acting_user=None,
        lines=[
            LineSpec(account="8110", fund="PRP", debit="200", function="fundraising"),
            LineSpec(account="1010", fund="PRP", credit="200"),
        ],
    )
    release = JournalEntry.objects.get(origin=spend)
    with pytest.raises(StateConflict, match="reverse that entry and its release goes with it"):
        entries.entry_reverse(entry=release, acting_user=None)
    entries.entry_reverse(entry=spend, acting_user=None)
    release.refresh_from_db()
    assert release.state == EntryState.REVERSED
    assert JournalEntry.objects.filter(reverses=release).count() == 1
    assert not JournalEntry.objects.filter(
        source=EntrySource.RELEASE, state=EntryState.POSTED
    ).exists()


def test_a_reversal_into_a_closed_period_is_refused(in_alpha: Tenant) -> None:
    entry = JournalEntryFactory.create(date=DAY, memo="", posted=True)
    months_closed_through(DAY)
    with pytest.raises(StateConflict, match="is closed"):
        entries.entry_reverse(entry=entry, acting_user=None)
    entry.refresh_from_db()
    assert entry.state == EntryState.POSTED
    reversal = entries.entry_reverse(entry=entry, acting_user=None, date=date(2026, 11, 2))
    assert reversal.date == date(2026, 11, 2)


def test_drafts_cannot_be_reversed_and_posted_entries_cannot_be_deleted(in_alpha: Tenant) -> None:
    draft = entries.entry_create(date=DAY, memo="", lines=cash_gift(), acting_user=None)
    with pytest.raises(StateConflict, match="only posted entries"):
        entries.entry_reverse(entry=draft, acting_user=None)
    entries.entry_post(entry=draft, acting_user=None)
    with pytest.raises(StateConflict, match="only drafts can be deleted"):
        entries.entry_delete(entry=draft, acting_user=None)


# --- Posting rules ------------------------------------------------------------------------


def test_post_contribution_classes_revenue_by_the_fund(in_alpha: Tenant) -> None:
    free = postings.post_contribution(
        date=DAY, amount=Decimal("25.00"), fund="GEN", acting_user=None, source_reference="g-1"
    )
    bound = postings.post_contribution(
        date=DAY,
        amount=Decimal("40.00"),
        fund="PRP",
        debit_account="1060",
        acting_user=None,
    )
    assert free.source == EntrySource.DONATION
    assert free.source_reference == "g-1"
    assert sorted(free.lines.values_list("account__code", "net_asset_class", "debit")) == [
        ("1010", "without", Decimal("25.00")),
        ("4010", "without", Decimal("0.00")),
    ]
    assert sorted(bound.lines.values_list("account__code", "net_asset_class", "credit")) == [
        ("1060", "with", Decimal("0.00")),
        ("4010", "with", Decimal("40.00")),
    ]
    with pytest.raises(ServiceError, match="more than zero"):
        postings.post_contribution(date=DAY, amount=Decimal("0"), fund="GEN", acting_user=None)


def test_post_fee_is_a_management_expense_against_stripe_clearing(in_alpha: Tenant) -> None:
    fee = postings.post_fee(date=DAY, amount=Decimal("3.20"), acting_user=None)
    assert fee.source == EntrySource.FEE
    assert sorted(fee.lines.values_list("account__code", "function", "debit", "credit")) == [
        ("1060", None, Decimal("0.00"), Decimal("3.20")),
        ("8550", "management_general", Decimal("3.20"), Decimal("0.00")),
    ]


# --- Chart, programs, settings ---------------------------------------------------------------


def test_account_create_derives_the_normal_balance_and_checks_its_parent(in_alpha: Tenant) -> None:
    account = chart.account_create(
        code="8115",
        name="Classroom supplies",
        type="expense",
        parent_code="8000",
        acting_user=in_alpha.owner,
    )
    assert account.normal_balance == "debit"
    assert account.parent is not None
    assert account.parent.code == "8000"
    assert AuditEvent.objects.get(action="account.create").actor == in_alpha.owner
    for kwargs, message in [
        ({"code": "8115", "type": "expense"}, "account code 8115 is already used"),
        ({"code": "bad code!", "type": "expense"}, "1 to 20 letters"),
        ({"code": "8116", "type": "gift"}, "type is one of"),
        ({"code": "8117", "type": "revenue", "parent_code": "8000"}, "cannot sit under"),
        ({"code": "8118", "type": "expense", "parent_code": "7777"}, "no account 7777"),
        ({"code": "1015", "type": "asset", "parent_code": "1010"}, None),
    ]:
        if message is None:
            postings.post_contribution(date=DAY, amount=Decimal("1"), fund="GEN", acting_user=None)
            message = "has postings"
        with pytest.raises(ServiceError, match=message):
            chart.account_create(name="X", acting_user=None, **kwargs)
    with pytest.raises(ServiceError, match="name is required"):
        chart.account_create(code="8119", name=" ", type="expense", acting_user=None)


def test_fund_and_program_create_and_update(in_alpha: Tenant) -> None:
    fund = chart.fund_create(
        code="CAP", name="Capital campaign", restriction="purpose", acting_user=in_alpha.owner
    )
    chart.fund_update(fund=fund, name="Building fund", is_active=False, acting_user=None)
    fund.refresh_from_db()
    assert (fund.name, fund.is_active) == ("Building fund", False)
    with pytest.raises(ServiceError, match="restriction is one of"):
        chart.fund_create(code="X1", name="X", restriction="loose", acting_user=None)
    with pytest.raises(ServiceError, match="fund code GEN is already used"):
        chart.fund_create(code="GEN", name="X", restriction="without", acting_user=None)
    program = chart.program_create(code="FOOD", name="Food bank", acting_user=None)
    chart.program_update(program=program, description="Weekly pantry", acting_user=None)
    program.refresh_from_db()
    assert program.description == "Weekly pantry"
    assert [event.action for event in AuditEvent.objects.order_by("id")] == [
        "fund.create",
        "fund.update",
        "program.create",
        "program.update",
    ]
    # An update's audit row holds the changes as they were given.
    updated = AuditEvent.objects.get(action="fund.update")
    assert updated.detail == {"name": "Building fund", "is_active": False}
    described = AuditEvent.objects.get(action="program.update")
    assert described.detail == {"description": "Weekly pantry"}


def test_fiscal_years_are_named_after_the_year_they_end_in() -> None:
    assert selectors.fiscal_year_of(date(2026, 6, 30), start_month=7) == 2026
    assert selectors.fiscal_year_of(date(2026, 7, 1), start_month=7) == 2027
    assert selectors.fiscal_year_of(date(2026, 12, 31), start_month=1) == 2026
    assert selectors.fiscal_year_bounds(2027, start_month=7) == (
        date(2026, 7, 1),
        date(2027, 6, 30),
    )
    assert selectors.fiscal_year_bounds(2026, start_month=1) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert selectors.fiscal_year_bounds(2026, start_month=3) == (
        date(2025, 3, 1),
        date(2026, 2, 28),
    )


def test_the_fiscal_year_start_changes_only_before_the_first_posting(in_alpha: Tenant) -> None:
    periods.settings_update(fiscal_year_start_month=7, acting_user=in_alpha.owner)
    period = FiscalPeriod.objects.get(start=date(2026, 10, 1))
    assert period.fiscal_year == 2027
    with pytest.raises(ServiceError, match="from 1 to 12"):
        periods.settings_update(fiscal_year_start_month=13, acting_user=None)
    postings.post_contribution(date=DAY, amount=Decimal("1"), fund="GEN", acting_user=None)
    with pytest.raises(StateConflict, match="only before the first posting"):
        periods.settings_update(fiscal_year_start_month=1, acting_user=None)
    assert selectors.accounting_settings().fiscal_year_start_month == 7


def test_the_seeded_books_are_ready_to_post(in_alpha: Tenant) -> None:
    """Provisioning leaves the chart, the funds, a program, the settings and the twelve open
    months of the current fiscal year."""
    settings_row = selectors.accounting_settings()
    today = timezone.localdate()
    year = selectors.fiscal_year_of(today, start_month=settings_row.fiscal_year_start_month)
    periods = FiscalPeriod.objects.filter(fiscal_year=year)
    assert periods.count() == 12
    assert set(periods.values_list("state", flat=True)) == {PeriodState.OPEN}
    assert periods.filter(start__lte=today, end__gte=today).exists()
    assert settings_row.next_entry_number == 1
    assert Program.objects.filter(code="PRG").exists()
    for code in ("1010", "1050", "1060", "3010", "3110", "4010", "6910", "6920", "8550"):
        assert Account.objects.filter(code=code, is_active=True).exists(), code
