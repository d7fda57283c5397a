"""The ledger's rules hold against writers that skip the services: the ORM used directly, raw
SQL inside the test's transaction, and a separate connection that really commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Organization
from tenant_apps.accounting.models import (
    Account,
    EntryState,
    FiscalPeriod,
    Fund,
    JournalEntry,
    JournalLine,
    Program,
)
from tenant_apps.accounting.services import entries, periods, postings
from tenant_apps.accounting.tests.factories import JournalEntryFactory, months_closed_through
from tests.plugin import Tenant

DAY = date(2026, 10, 15)


@dataclass(frozen=True)
class GiftAndDraft:
    tenant: Tenant
    posted: JournalEntry
    draft: JournalEntry


@pytest.fixture
def gift_and_draft(in_alpha: Tenant) -> GiftAndDraft:
    """Alpha's schema, current for the whole test, with a posted gift (entry) and a draft to
    play with."""
    posted = postings.post_contribution(
        date=DAY, amount=Decimal("100.00"), fund="GEN", acting_user=in_alpha.owner
    )
    draft = JournalEntryFactory.create(
        date=DAY, memo="draft", amount="40.00", acting_user=in_alpha.owner
    )
    return GiftAndDraft(tenant=in_alpha, posted=posted, draft=draft)


def refused(statement: str, params: Sequence[str | int | None] = ()) -> str:
    """Run raw SQL in a savepoint and return the database's refusal."""
    with (
        pytest.raises(IntegrityError) as error,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return str(error.value)


def ids(*codes: str) -> list[int]:
    by_code = dict(Account.objects.values_list("code", "id"))
    return [by_code[code] for code in codes]


def fund_id(code: str) -> int:
    return Fund.objects.get(code=code).pk


LINE_SQL = (
    "INSERT INTO accounting_journalline (entry_id, account_id, fund_id, net_asset_class, debit,"
    " credit, function, program_id, memo) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '')"
)


# --- One side per line, positive ------------------------------------------------------------


@pytest.mark.parametrize(
    ("debit", "credit"),
    [("0", "0"), ("10", "10"), ("-10", "0"), ("0", "-5"), ("-10", "10")],
)
def test_a_line_has_exactly_one_positive_side(
    gift_and_draft: GiftAndDraft, debit: str, credit: str
) -> None:
    draft = gift_and_draft.draft
    (cash,) = ids("1010")
    message = refused(
        LINE_SQL, (draft.pk, cash, fund_id("GEN"), "without", debit, credit, None, None)
    )
    assert "journalline_one_positive_side" in message
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.create(
            entry=draft,
            account_id=cash,
            fund_id=fund_id("GEN"),
            net_asset_class="without",
            debit=Decimal(debit),
            credit=Decimal(credit),
        )
    assert draft.lines.count() == 2


# --- Expense lines carry a function; programs only on program expenses --------------------------


def test_an_expense_line_without_a_function_is_refused(gift_and_draft: GiftAndDraft) -> None:
    draft = gift_and_draft.draft
    (supplies,) = ids("8110")
    message = refused(
        LINE_SQL, (draft.pk, supplies, fund_id("GEN"), "without", "5", "0", None, None)
    )
    assert "expense account 8110 needs a function" in message
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.filter(entry=draft, account__code="1010").update(account_id=supplies)
    assert set(draft.lines.values_list("account__code", flat=True)) == {"1010", "4010"}


def test_a_program_expense_names_its_program_and_only_it_does(gift_and_draft: GiftAndDraft) -> None:
    draft = gift_and_draft.draft
    (supplies,) = ids("8110")
    program_id = Program.objects.get(code="PRG").pk
    message = refused(
        LINE_SQL, (draft.pk, supplies, fund_id("GEN"), "without", "5", "0", "program", None)
    )
    assert "journalline_program_function_has_program" in message
    message = refused(
        LINE_SQL,
        (draft.pk, supplies, fund_id("GEN"), "without", "5", "0", "fundraising", program_id),
    )
    assert "journalline_program_only_for_program_function" in message
    message = refused(
        LINE_SQL, (draft.pk, supplies, fund_id("GEN"), "without", "5", "0", "payroll", None)
    )
    assert "journalline_function_valid" in message


def test_lines_of_a_fund_without_restrictions_are_in_the_without_class(
    gift_and_draft: GiftAndDraft,
) -> None:
    draft = gift_and_draft.draft
    (cash,) = ids("1010")
    message = refused(LINE_SQL, (draft.pk, cash, fund_id("GEN"), "with", "5", "0", None, None))
    assert "fund GEN has no donor restriction" in message


# --- Posted entries balance, in total and per fund ------------------------------------------


def constraints_fire() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def post_raw(entry: JournalEntry, number: int = 9001) -> None:
    JournalEntry.objects.filter(pk=entry.pk).update(
        state=EntryState.POSTED, number=number, posted_at=timezone.now()
    )


def unbalanced_draft(lines: list[tuple[str, str, str, str]]) -> JournalEntry:
    entry = JournalEntry.objects.create(date=DAY, memo="raw", source="manual")
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                entry=entry,
                account=Account.objects.get(code=code),
                fund=Fund.objects.get(code=fund),
                net_asset_class="with" if fund == "PRP" else "without",
                debit=Decimal(debit),
                credit=Decimal(credit),
            )
            for code, fund, debit, credit in lines
        ]
    )
    return entry


def test_an_unbalanced_entry_is_refused_when_posted(gift_and_draft: GiftAndDraft) -> None:
    entry = unbalanced_draft([("1010", "GEN", "100", "0"), ("4010", "GEN", "0", "90")])
    with (
        pytest.raises(IntegrityError, match="does not balance: debits 100.00, credits 90.00"),
        transaction.atomic(),
    ):
        post_raw(entry)
        constraints_fire()
    entry.refresh_from_db()
    assert entry.state == EntryState.DRAFT


def test_an_entry_balanced_in_total_but_not_per_fund_is_refused(
    gift_and_draft: GiftAndDraft,
) -> None:
    entry = unbalanced_draft([("1010", "GEN", "100", "0"), ("4010", "PRP", "0", "100")])
    with (
        pytest.raises(IntegrityError, match="does not balance in fund GEN"),
        transaction.atomic(),
    ):
        post_raw(entry)
        constraints_fire()


def test_a_posted_entry_needs_two_lines(gift_and_draft: GiftAndDraft) -> None:
    message = refused(
        "INSERT INTO accounting_journalentry (date, memo, source, source_reference, state,"
        " number, posted_at, created_at) VALUES ('2026-10-15', '', 'manual', '', 'posted',"
        " 9002, now(), now())"
    )
    assert "needs at least two lines" in message


# --- Posted entries are immutable --------------------------------------------------------------


def test_posted_entries_and_lines_cannot_be_changed_or_deleted(
    gift_and_draft: GiftAndDraft,
) -> None:
    posted = gift_and_draft.posted
    line = posted.lines.get(account__code="1010")
    for statement in (
        ("UPDATE accounting_journalline SET debit = 1000 WHERE id = %s", line.pk),
        ("DELETE FROM accounting_journalline WHERE id = %s", line.pk),
    ):
        assert "its lines cannot be changed" in refused(statement[0], (statement[1],))
    (cash,) = ids("1010")
    assert "lines cannot be added" in refused(
        LINE_SQL, (posted.pk, cash, fund_id("GEN"), "without", "5", "0", None, None)
    )
    for statement in (
        ("UPDATE accounting_journalentry SET memo = 'changed' WHERE id = %s", posted.pk),
        ("UPDATE accounting_journalentry SET date = '2026-10-16' WHERE id = %s", posted.pk),
        ("UPDATE accounting_journalentry SET state = 'draft' WHERE id = %s", posted.pk),
        (
            "UPDATE accounting_journalentry SET state = 'reversed', memo = 'sneaky' WHERE id = %s",
            posted.pk,
        ),
    ):
        assert "it cannot be changed; reverse it instead" in refused(statement[0], (statement[1],))
    assert "it cannot be deleted" in refused(
        "DELETE FROM accounting_journalentry WHERE id = %s", (posted.pk,)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        posted.memo = "changed by the ORM"
        posted.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalLine.objects.filter(entry=posted).delete()
    posted.refresh_from_db()
    assert posted.memo == "Contribution"
    assert posted.lines.count() == 2


def test_a_reversed_entry_cannot_change_at_all(gift_and_draft: GiftAndDraft) -> None:
    alpha, posted = gift_and_draft.tenant, gift_and_draft.posted
    entries.entry_reverse(entry=posted, acting_user=alpha.owner)
    assert "is reversed: it cannot be changed" in refused(
        "UPDATE accounting_journalentry SET state = 'posted' WHERE id = %s", (posted.pk,)
    )


def test_drafts_can_be_changed_and_deleted(gift_and_draft: GiftAndDraft) -> None:
    draft = gift_and_draft.draft
    JournalLine.objects.filter(entry=draft).update(memo="still a draft")
    JournalEntry.objects.filter(pk=draft.pk).update(memo="edited")
    JournalLine.objects.filter(entry=draft).delete()
    JournalEntry.objects.filter(pk=draft.pk).delete()
    assert not JournalEntry.objects.filter(pk=draft.pk).exists()


# --- Closed periods -------------------------------------------------------------------------


def test_nothing_is_posted_in_a_closed_period(gift_and_draft: GiftAndDraft) -> None:
    alpha, draft = gift_and_draft.tenant, gift_and_draft.draft
    period = periods.period_for_date(DAY)
    JournalEntry.objects.filter(pk=draft.pk).delete()  # a draft would block the close
    months_closed_through(DAY, acting_user=alpha.owner)
    other = unbalanced_draft([("1010", "GEN", "5", "0"), ("4010", "GEN", "0", "5")])
    message = refused(
        "UPDATE accounting_journalentry SET state = 'posted', number = 9003,"
        " posted_at = now() WHERE id = %s",
        (other.pk,),
    )
    assert "the period of 2026-10-15 is closed" in message
    message = refused(
        "INSERT INTO accounting_journalentry (date, memo, source, source_reference, state,"
        " number, posted_at, created_at) VALUES ('2026-10-31', '', 'manual', '', 'posted',"
        " 9004, now(), now())"
    )
    assert "the period of 2026-10-31 is closed" in message
    assert "reopen it before changing it" in refused(
        "DELETE FROM accounting_fiscalperiod WHERE id = %s", (period.pk,)
    )
    assert "reopen it before changing it" in refused(
        "UPDATE accounting_fiscalperiod SET \"end\" = '2026-10-14' WHERE id = %s",
        (period.pk,),
    )


def test_periods_cannot_overlap(gift_and_draft: GiftAndDraft) -> None:
    periods.period_for_date(DAY)
    with pytest.raises(IntegrityError, match="fiscalperiod_no_overlap"), transaction.atomic():
        FiscalPeriod.objects.create(
            fiscal_year=2027, start=date(2026, 10, 10), end=date(2026, 11, 9)
        )


# --- At a real commit, on a connection of its own ----------------------------------------------


@pytest.fixture
def raw_connection(committed_tenant: Organization) -> Iterator[Any]:
    """A psycopg2 connection to the test database in a committed tenant's schema."""
    settings = connection.settings_dict
    raw = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
    with raw.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{committed_tenant.schema_name}"')
    raw.commit()
    try:
        yield raw
    finally:
        raw.close()


def _raw_entry(cursor: Any, amounts: list[tuple[str, str, str]]) -> int:
    cursor.execute(
        "INSERT INTO accounting_journalentry (date, memo, source, source_reference, state,"
        " created_at) VALUES (current_date, 'raw', 'manual', '', 'draft', now()) RETURNING id"
    )
    entry_id = cursor.fetchone()[0]
    for code, debit, credit in amounts:
        cursor.execute(
            "INSERT INTO accounting_journalline (entry_id, account_id, fund_id, net_asset_class,"
            " debit, credit, memo) SELECT %s, a.id, f.id, 'without', %s, %s, ''"
            " FROM accounting_account a, accounting_fund f WHERE a.code = %s AND f.code = 'GEN'",
            (entry_id, debit, credit, code),
        )
    return entry_id


def test_the_balance_check_waits_for_commit_and_refuses_it(raw_connection: Any) -> None:
    with raw_connection.cursor() as cursor:
        entry_id = _raw_entry(cursor, [("1010", "100", "0"), ("4010", "0", "60")])
        cursor.execute(
            "UPDATE accounting_journalentry SET state = 'posted', number = 1, posted_at = now()"
            " WHERE id = %s",
            (entry_id,),
        )
        # Inside the transaction the unbalanced posting is accepted: the check is deferred.
        cursor.execute("SELECT state FROM accounting_journalentry WHERE id = %s", (entry_id,))
        assert cursor.fetchone() == ("posted",)
    with pytest.raises(psycopg2.errors.CheckViolation, match="does not balance"):
        raw_connection.commit()
    raw_connection.rollback()
    with raw_connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounting_journalentry")
        assert cursor.fetchone()[0] == 0


def test_a_balanced_entry_commits_and_then_is_frozen(raw_connection: Any) -> None:
    with raw_connection.cursor() as cursor:
        entry_id = _raw_entry(cursor, [("1010", "100", "0"), ("4010", "0", "100")])
        cursor.execute(
            "UPDATE accounting_journalentry SET state = 'posted', number = 1, posted_at = now()"
            " WHERE id = %s",
            (entry_id,),
        )
    raw_connection.commit()
    for statement in (
        "UPDATE accounting_journalline SET credit = 90 WHERE credit > 0",
        "DELETE FROM accounting_journalline",
        "UPDATE accounting_journalentry SET memo = 'x'",
        "DELETE FROM accounting_journalentry",
    ):
        with raw_connection.cursor() as cursor, pytest.raises(psycopg2.errors.CheckViolation):
            cursor.execute(statement)
        raw_connection.rollback()
    with raw_connection.cursor() as cursor:
        cursor.execute("UPDATE accounting_journalentry SET state = 'reversed'")
    raw_connection.commit()
    with raw_connection.cursor() as cursor:
        cursor.execute("SELECT state, memo FROM accounting_journalentry")
        assert cursor.fetchall() == [("reversed", "raw")]
        cursor.execute("SELECT sum(debit), sum(credit) FROM accounting_journalline")
        assert cursor.fetchone() == (Decimal("100.00"), Decimal("100.00"))


def test_the_lines_check_reads_the_tenant_of_the_lines_not_the_current_schema(
    gift_and_draft: GiftAndDraft, beta: Tenant
) -> None:
    posted = gift_and_draft.posted
    (cash,) = ids("1010")
    general = fund_id("GEN")
    with schema_context("beta"):
        # beta has no entry with this id: a check that followed the connection's schema would
        # find no entry for the line and let it into alpha's posted entry
        assert not JournalEntry.objects.filter(pk=posted.pk).exists()
        message = refused(
            LINE_SQL.replace(
                "INSERT INTO accounting_journalline", 'INSERT INTO "alpha".accounting_journalline'
            ),
            (posted.pk, cash, general, "without", "5", "0", None, None),
        )
    assert f"journal entry {posted.pk} is posted: lines cannot be added" in message
    assert posted.lines.count() == 2


def test_the_commit_check_reads_the_tenant_of_the_entry_not_the_current_schema(
    gift_and_draft: GiftAndDraft, beta: Tenant
) -> None:
    with schema_context("alpha"):
        entry = unbalanced_draft([("1010", "GEN", "70", "0"), ("4010", "GEN", "0", "7")])
        with transaction.atomic():
            # beta has no entry with this id: a check that followed the connection's schema
            # would find no lines and complain of that instead
            post_raw(entry)
            with (
                schema_context("beta"),
                pytest.raises(IntegrityError, match="debits 70.00, credits 7.00"),
            ):
                constraints_fire()
            transaction.set_rollback(True)
