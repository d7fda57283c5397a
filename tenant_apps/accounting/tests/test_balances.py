"""The monthly balances the database keeps: posting (by the services or by raw SQL) adds an
entry's lines in the same transaction, a refused posting adds nothing, nothing else writes them;
`manage.py ledger_balances` finds a difference and rebuilds; and every statement read from them
is the same, to the cent, as the same statement recomputed from the lines alone, over random
books with reversals, voided gifts, year-end closing entries and a fiscal year from July."""

from __future__ import annotations

import io
import random
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum

from shared_apps.tenants.models import Organization
from tenant_apps.accounting import reports
from tenant_apps.accounting.balances import (
    Span,
    balance_differences,
    ledger_span_sums,
    sums_from_lines_only,
    until,
)
from tenant_apps.accounting.budget_reports import budget_versus_actual
from tenant_apps.accounting.models import Account, Balance, Fund, JournalEntry, JournalLine
from tenant_apps.accounting.selectors import ledger_lines
from tenant_apps.accounting.services import budgets, chart, entries, periods, postings
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import JournalEntryFactory
from tests.plugin import Tenant

DAY = date(2026, 10, 15)


def stored() -> dict[tuple[Any, ...], tuple[Decimal, Decimal, int]]:
    """The stored balances by (month, account code, fund code, class, function)."""
    return {
        (b.month, b.account.code, b.fund.code, b.net_asset_class, b.function): (
            b.debit,
            b.credit,
            b.line_count,
        )
        for b in Balance.objects.select_related("account", "fund")
    }


def raw(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_posting_and_reversing_keep_the_month_balances(in_alpha: Tenant) -> None:
    owner = in_alpha.owner
    gift = postings.post_contribution(
        date=DAY, amount=Decimal("100.00"), fund="GEN", acting_user=owner
    )
    JournalEntryFactory.create(date=date(2026, 10, 31), amount="40.00", posted=True)
    JournalEntryFactory.create(date=DAY, amount="7.00")  # a draft: not in the books
    october = date(2026, 10, 1)
    assert stored() == {
        (october, "1010", "GEN", "without", None): (Decimal("140.00"), Decimal("0.00"), 2),
        (october, "4010", "GEN", "without", None): (Decimal("0.00"), Decimal("140.00"), 2),
    }

    entries.entry_reverse(entry=gift, acting_user=owner, date=date(2026, 11, 2))

    november = date(2026, 11, 1)
    assert stored()[(november, "1010", "GEN", "without", None)] == (
        Decimal("0.00"),
        Decimal("100.00"),
        1,
    )
    assert stored()[(october, "1010", "GEN", "without", None)][2] == 2  # the original stays
    assert balance_differences() == []


def test_a_posting_by_raw_sql_is_added_in_its_own_statement(in_alpha: Tenant) -> None:
    accounts = dict(Account.objects.values_list("code", "id"))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounting_journalentry (date, memo, source, source_reference, state,"
            " created_at) VALUES ('2027-01-31', 'raw', 'manual', '', 'draft', now()),"
            " ('2027-02-01', 'raw', 'manual', '', 'draft', now()) RETURNING id"
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM accounting_fund WHERE code = 'GEN'")
        (fund,) = cursor.fetchone()
        for entry_id in ids:
            cursor.execute(
                "INSERT INTO accounting_journalline (entry_id, account_id, fund_id,"
                " net_asset_class, debit, credit, function, memo) VALUES"
                " (%s, %s, %s, 'without', 25.50, 0, 'fundraising', ''),"
                " (%s, %s, %s, 'without', 0, 25.50, NULL, '')",
                [entry_id, accounts["8110"], fund, entry_id, accounts["1010"], fund],
            )
    assert Balance.objects.count() == 0  # drafts

    raw(
        "UPDATE accounting_journalentry SET state = 'posted', number = 9000 + id,"
        " posted_at = now() WHERE id = ANY(%s)",
        [ids],
    )

    assert stored() == {
        (date(2027, 1, 1), "8110", "GEN", "without", "fundraising"): (
            Decimal("25.50"),
            Decimal("0.00"),
            1,
        ),
        (date(2027, 1, 1), "1010", "GEN", "without", None): (Decimal("0.00"), Decimal("25.50"), 1),
        (date(2027, 2, 1), "8110", "GEN", "without", "fundraising"): (
            Decimal("25.50"),
            Decimal("0.00"),
            1,
        ),
        (date(2027, 2, 1), "1010", "GEN", "without", None): (Decimal("0.00"), Decimal("25.50"), 1),
    }


def test_a_refused_posting_adds_nothing(in_alpha: Tenant) -> None:
    postings.post_contribution(date=DAY, amount=Decimal("10.00"), fund="GEN", acting_user=None)
    before = stored()
    draft = JournalEntry.objects.create(date=DAY, memo="raw", source="manual")
    JournalLine.objects.create(
        entry=draft,
        account=Account.objects.get(code="1010"),
        fund=Fund.objects.get(code="GEN"),
        net_asset_class="without",
        debit=Decimal("5.00"),
    )
    with pytest.raises(IntegrityError, match="needs at least two lines"), transaction.atomic():
        raw(
            "UPDATE accounting_journalentry SET state = 'posted', number = 9001,"
            " posted_at = now() WHERE id = %s",
            [draft.pk],
        )
        raw("SET CONSTRAINTS ALL IMMEDIATE")
    assert stored() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE accounting_balance SET debit = debit + 1",
        "DELETE FROM accounting_balance",
        "INSERT INTO accounting_balance (month, account_id, fund_id, net_asset_class, debit,"
        " credit, line_count) SELECT '2026-10-01', id, 1, 'without', 1, 0, 1"
        " FROM accounting_account LIMIT 1",
    ],
)
def test_nothing_but_a_posting_writes_the_balances(in_alpha: Tenant, statement: str) -> None:
    postings.post_contribution(date=DAY, amount=Decimal("10.00"), fund="GEN", acting_user=None)
    before = stored()
    refusal = "the monthly balances follow the posted lines"
    with pytest.raises(IntegrityError, match=refusal), transaction.atomic():
        raw(statement)
    assert stored() == before


def test_the_command_reports_a_difference_and_rebuilds(in_alpha: Tenant) -> None:
    schema = in_alpha.organization.schema_name
    postings.post_contribution(date=DAY, amount=Decimal("10.00"), fund="GEN", acting_user=None)
    out = io.StringIO()
    call_command("ledger_balances", schema_name=schema, stdout=out)
    assert "agree with the lines" in out.getvalue()

    # Given a balance changed behind the trigger's back (as a restore from an old export might).
    with transaction.atomic():
        raw("SET LOCAL accounting.balances_rebuild = 'on'")
        raw("UPDATE accounting_balance SET debit = debit + 0.01 WHERE debit > 0")

    errors = io.StringIO()
    with pytest.raises(CommandError, match="differ from the lines") as failure:
        call_command("ledger_balances", schema_name=schema, stdout=io.StringIO(), stderr=errors)
    assert failure.value.returncode == 1
    assert "stored debits 10.01, credits 0.00, 1 lines" in errors.getvalue()
    assert "the lines add up to debits 10.00" in errors.getvalue()

    out = io.StringIO()
    call_command("ledger_balances", schema_name=schema, rebuild=True, stdout=out)
    assert "1 differences before the rebuild" in out.getvalue()
    assert "agree with the lines" in out.getvalue()
    assert balance_differences() == []


# --- At real commits, on connections of their own ----------------------------------------------


@pytest.fixture
def two_connections(committed_tenant: Organization) -> Iterator[list[Any]]:
    """Two psycopg2 connections to the test database in a committed tenant's schema."""
    settings = connection.settings_dict
    opened = []
    for _ in range(2):
        raw_connection = psycopg2.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            password=settings["PASSWORD"] or None,
        )
        with raw_connection.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{committed_tenant.schema_name}"')
        raw_connection.commit()
        opened.append(raw_connection)
    try:
        yield opened
    finally:
        for raw_connection in opened:
            raw_connection.close()


def _post_raw(cursor: Any, amount: str, number: int, *, credit: str = "") -> None:
    """A draft of two lines (cash and contributions, fund GEN) on 10 March 2026, posted:
    `amount` on both sides, or `credit` on the contributions' side."""
    cursor.execute(
        "INSERT INTO accounting_journalentry (date, memo, source, source_reference, state,"
        " created_at) VALUES ('2026-03-10', 'raw', 'manual', '', 'draft', now()) RETURNING id"
    )
    entry_id = cursor.fetchone()[0]
    for code, debit, side in (("1010", amount, "0"), ("4010", "0", credit or amount)):
        cursor.execute(
            "INSERT INTO accounting_journalline (entry_id, account_id, fund_id, net_asset_class,"
            " debit, credit, memo) SELECT %s, a.id, f.id, 'without', %s, %s, ''"
            " FROM accounting_account a, accounting_fund f WHERE a.code = %s AND f.code = 'GEN'",
            (entry_id, debit, side, code),
        )
    cursor.execute(
        "UPDATE accounting_journalentry SET state = 'posted', number = %s, posted_at = now()"
        " WHERE id = %s",
        (number, entry_id),
    )


def _cash_balance(raw_connection: Any) -> tuple[Decimal, int] | None:
    with raw_connection.cursor() as cursor:
        cursor.execute(
            "SELECT b.debit, b.line_count FROM accounting_balance b"
            " JOIN accounting_account a ON a.id = b.account_id WHERE a.code = '1010'"
        )
        # Read committed: each read sees what is committed, and the reader's own writes.
        found: tuple[Decimal, int] | None = cursor.fetchone()
    return found


def test_balances_commit_with_their_posting_and_concurrent_postings_add_up(
    two_connections: list[Any],
) -> None:
    first, second = two_connections
    with first.cursor() as cursor:
        _post_raw(cursor, "100.00", 1)
    # Not committed: the other connection sees neither the entry nor its balance.
    assert _cash_balance(second) is None
    first.commit()
    assert _cash_balance(second) == (Decimal("100.00"), 1)

    # Two transactions posting to the same month: the second waits for the first's row.
    with first.cursor() as cursor:
        _post_raw(cursor, "20.00", 2)
    posted_second: list[BaseException | None] = []

    def post_second() -> None:
        try:
            with second.cursor() as cursor:
                _post_raw(cursor, "3.00", 3)
            second.commit()
            posted_second.append(None)
        except BaseException as error:  # handed to the test's thread
            posted_second.append(error)

    waiting = threading.Thread(target=post_second)
    waiting.start()
    first.commit()
    waiting.join(timeout=30)
    assert posted_second == [None]
    assert _cash_balance(first) == (Decimal("123.00"), 3)

    # A posting refused at commit leaves the balance as it was.
    with first.cursor() as cursor:
        _post_raw(cursor, "5.00", 4, credit="4.00")
    assert _cash_balance(first) == (Decimal("128.00"), 4)  # its own transaction sees it
    with pytest.raises(psycopg2.errors.CheckViolation):
        first.commit()
    first.rollback()
    assert _cash_balance(second) == (Decimal("123.00"), 3)


# --- Stored balances against a full recomputation ------------------------------------------

FIRST = date(2025, 5, 1)
LAST = date(2027, 3, 31)


def _random_books(rng: random.Random) -> None:
    """Two fiscal years from July of gifts, grants, restricted spending, fees, voided gifts,
    reversals dated later, and the closing entries of each year end (revenue and expenses
    closed into net assets on 30 June)."""
    periods.settings_update(fiscal_year_start_month=7, acting_user=None)
    chart.program_create(code="YTH", name="Youth", acting_user=None)
    days = (LAST - FIRST).days
    posted: list[JournalEntry] = []

    def some_day() -> date:
        return FIRST + timedelta(days=rng.randrange(days + 1))

    for _ in range(70):
        day, amount = some_day(), Decimal(rng.randrange(100, 500_000)) / 100
        kind = rng.random()
        if kind < 0.35:
            fund = rng.choice(["GEN", "GEN", "PRP"])
            posted.append(
                postings.post_contribution(date=day, amount=amount, fund=fund, acting_user=None)
            )
        elif kind < 0.7:
            function = rng.choice(["program", "management_general", "fundraising"])
            posted.append(
                JournalEntryFactory.create(
                    date=day,
                    posted=True,
                    lines=[
                        LineSpec(
                            account=rng.choice(["8110", "7560", "8310"]),
                            fund="GEN",
                            debit=amount,
                            function=function,
                            program="YTH" if function == "program" else None,
                        ),
                        LineSpec(account="1010", fund="GEN", credit=amount),
                    ],
                )
            )
        elif kind < 0.8:
            fee = max(Decimal("0.01"), (amount / 50).quantize(Decimal("0.01")))
            postings.post_fee(date=day, amount=fee, acting_user=None)
        elif posted:
            # A void (reversed the same day) or a correction reversed weeks later.
            entry = posted.pop(rng.randrange(len(posted)))
            later = min(LAST, entry.date + timedelta(days=rng.choice([0, 0, 12, 45])))
            entries.entry_reverse(entry=entry, acting_user=None, date=later)
    for year_end in (date(2025, 6, 30), date(2026, 6, 30)):
        _close_year(year_end)


def _close_year(year_end: date) -> None:
    """The closing entry of a fiscal year: each revenue and expense account's balance for the
    year moved to net assets without donor restrictions (fund GEN only)."""
    start = date(year_end.year - 1, 7, 1)
    sums = ledger_span_sums(
        spans={"year": Span(start, year_end)},
        group_by=["account_id", "fund_id", "function", "program_id"],
    )
    accounts = {account.pk: account for account in Account.objects.all()}
    general = Fund.objects.get(code="GEN").pk
    lines, net = [], Decimal("0.00")
    for row in sums:
        account = accounts[row["account_id"]]
        amount = row["year"].debit - row["year"].credit
        if account.type not in ("revenue", "expense") or not amount or row["fund_id"] != general:
            continue
        debit, credit = (None, amount) if amount > 0 else (-amount, None)
        lines.append(
            LineSpec(
                account=account.code,
                fund="GEN",
                debit=debit,
                credit=credit,
                function=row["function"],
                program="YTH" if row["program_id"] else None,
            )
        )
        net += amount
    if lines:
        debit, credit = (net, None) if net > 0 else (None, -net)
        lines.append(LineSpec(account="3010", fund="GEN", debit=debit, credit=credit))
        JournalEntryFactory.create(date=year_end, posted=True, memo="Closing", lines=lines)


def _both(run: Any) -> tuple[Any, Any]:
    stored_figures = run().as_json()
    with sums_from_lines_only():
        recomputed = run().as_json()
    return stored_figures, recomputed


@pytest.mark.parametrize("seed", [7, 2026])
def test_statements_from_stored_balances_equal_a_full_recomputation(
    in_alpha: Tenant, seed: int
) -> None:
    rng = random.Random(seed)
    _random_books(rng)
    assert balance_differences() == []
    budget = budgets.budget_create(name="Plan", fiscal_year=2027, acting_user=None)
    budgets.budget_amounts_save(
        budget=budget,
        rows=[budgets.BudgetRowSpec(account="4010", amounts=[Decimal("100.00")] * 12)],
        acting_user=None,
    )
    budgets.budget_approve(budget=budget, acting_user=None)
    # Whole months, month ends, fiscal-year ends and days inside months, at either end.
    boundaries = [
        date(2025, 6, 30),
        date(2025, 7, 1),
        date(2026, 1, 1),
        date(2026, 6, 30),
        date(2026, 7, 1),
        date(2027, 3, 31),
        *(FIRST + timedelta(days=rng.randrange((LAST - FIRST).days)) for _ in range(6)),
    ]
    cases: list[Any] = []
    for as_of in boundaries:
        cases += [
            lambda as_of=as_of: reports.trial_balance(as_of=as_of),
            lambda as_of=as_of: reports.trial_balance(as_of=as_of, fund="PRP"),
            lambda as_of=as_of: reports.financial_position(as_of=as_of, compare="prior-year"),
            lambda as_of=as_of: reports.fund_balances(as_of=as_of),
        ]
    for start, end in zip(sorted(boundaries)[::2], sorted(boundaries)[1::2], strict=True):
        cases += [
            lambda start=start, end=end: reports.activities(
                start=start, end=end, compare="prior-year"
            ),
            lambda start=start, end=end: reports.functional_expenses(
                start=start, end=end, compare="prior-period"
            ),
        ]
        for account in ("1010", "4010", "8110"):
            cases.append(
                lambda start=start, end=end, account=account: reports.general_ledger(
                    account=account, start=start, end=end, size=5
                )
            )
    cases += [
        lambda: reports.activities(start=date(2026, 7, 1), end=date(2027, 3, 31), compare="budget"),
        lambda: budget_versus_actual(budget=budget.pk, month=date(2026, 11, 1)),
        lambda: budget_versus_actual(budget=budget.pk, month=date(2027, 3, 1), fund="GEN"),
    ]
    for run in cases:
        from_balances, from_lines = _both(run)
        assert from_balances == from_lines

    # The sums themselves, beside the ORM's sums of the same lines.
    dimensions = ["account_id", "fund_id", "net_asset_class", "function", "program_id"]
    for start, end in zip(sorted(boundaries)[::2], sorted(boundaries)[1::2], strict=True):
        expected = {
            tuple(row[name] for name in dimensions): (row["debits"], row["credits"], row["lines"])
            for row in ledger_lines(entry__date__gte=start, entry__date__lte=end)
            .values(*dimensions)
            .annotate(debits=Sum("debit"), credits=Sum("credit"), lines=Count("id"))
        }
        found = {
            tuple(row[name] for name in dimensions): (
                row["span"].debit,
                row["span"].credit,
                row["span"].lines,
            )
            for row in ledger_span_sums(spans={"span": Span(start, end)}, group_by=dimensions)
            if row["span"].lines
        }
        assert found == expected

    # The general ledger's pages, read forward and back, agree with its lines read at once.
    for account in ("1010", "8110"):
        whole = reports.general_ledger_page(
            account=account, start=date(2025, 8, 17), end=date(2027, 2, 3), size=1000
        )
        balances, page = (
            [],
            reports.general_ledger_page(
                account=account, start=date(2025, 8, 17), end=date(2027, 2, 3), size=3
            ),
        )
        while True:
            balances += [row.cells[-1] for row in page.rows if row.cells[1]]
            assert page.page is not None
            if page.page.next is None:
                break
            page = reports.general_ledger_page(
                account=account,
                start=date(2025, 8, 17),
                end=date(2027, 2, 3),
                size=3,
                after=page.page.next["after"],
            )
        assert balances == [row.cells[-1] for row in whole.rows if row.cells[1]]
        assert page.rows[-1] == whole.rows[-1]


@pytest.mark.parametrize(
    ("span", "whole", "partial"),
    [
        (Span(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 1), date(2026, 3, 1)), []),
        (
            Span(date(2026, 2, 14), date(2026, 11, 17)),
            (date(2026, 3, 1), date(2026, 10, 1)),
            [(date(2026, 2, 14), date(2026, 2, 28)), (date(2026, 11, 1), date(2026, 11, 17))],
        ),
        (Span(date(2026, 3, 5), date(2026, 3, 20)), None, [(date(2026, 3, 5), date(2026, 3, 20))]),
        (
            Span(None, date(2024, 2, 28)),
            (date(1, 1, 1), date(2024, 1, 1)),
            [(date(2024, 2, 1), date(2024, 2, 28))],
        ),
        (Span(None, date(2024, 2, 29)), (date(1, 1, 1), date(2024, 2, 1)), []),
        # The calendar's ends: nothing is read past them.
        (
            Span(date(9999, 12, 15), date(9999, 12, 31)),
            None,
            [(date(9999, 12, 15), date(9999, 12, 31))],
        ),
        (Span(None, date(1, 1, 10)), None, [(date(1, 1, 1), date(1, 1, 10))]),
        (until(date(1, 1, 1), before=True), None, []),
    ],
)
def test_a_span_is_read_as_whole_months_and_the_days_at_its_ends(
    span: Span, whole: tuple[date, date] | None, partial: list[tuple[date, date]]
) -> None:
    assert span.whole_months() == whole
    assert span.partial_days() == partial
