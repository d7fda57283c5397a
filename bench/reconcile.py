"""How long the automatic match of a 2,000-line bank statement takes against a bank account
with 100,000 ledger lines.

    make bench-reconcile    (or: DJANGO_SETTINGS_MODULE=saas_platform.settings.local \
                                 .venv/bin/python bench/reconcile.py [--runs 5] [--reload])

Works in a database of its own, `ifm_bench_reconcile` (created and migrated when missing), with
Redis db 12. The tenant `benchreconcile` gets 100,000 posted two-line entries on 1010 (deposits
and payments over two years, seeded amounts), loaded in SQL as drafts then posted in one
UPDATE; it is reused when it holds them. It imports a statement of 2,000 lines (the
last 2,000 items of the account, each a day or two later at the bank, a few amounts repeated so
that some lines stay ambiguous); each run times `auto_match` and rolls it back, and the
statement is deleted at the end.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

import _setup  # noqa: E402  (bench/ is on the path when run as a script)

_setup.django_start("ifm_bench_reconcile", redis_db=12)

from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.users.models import User  # noqa: E402
from shared_apps.users.roles import Role  # noqa: E402
from tenant_apps.accounting import services as accounting  # noqa: E402
from tenant_apps.accounting.models import (  # noqa: E402
    LEDGER_STATES,
    Account,
    AccountingSettings,
    Fund,
    JournalLine,
)
from tenant_apps.banking.models import BankStatement, Match, Reconciliation  # noqa: E402
from tenant_apps.banking.services.matching import auto_match  # noqa: E402
from tenant_apps.banking.services.statements import statement_import  # noqa: E402
from tenant_apps.banking.statement_files import ParsedLine, ParsedStatement  # noqa: E402

SLUG = "benchreconcile"
SEED = 2026
LEDGER_LINES = 100_000
STATEMENT_LINES = 2_000
FIRST_DAY = date(2025, 1, 1)
DAYS = 700


def _bank_lines() -> int:
    return JournalLine.objects.filter(account__code="1010", entry__state__in=LEDGER_STATES).count()


def ledger_load(_organization: object) -> None:
    with schema_context(SLUG):
        owner = User.objects.get(role=Role.OWNER)
        for year in (2025, 2026, 2027):
            accounting.fiscal_year_open(fiscal_year=year)
        ids = dict(Account.objects.values_list("code", "id"))
        fund = Fund.objects.get(code="GEN").pk
        first_number = accounting.accounting_settings().next_entry_number
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO accounting_journalentry
                       (date, memo, source, source_reference, state, created_by_id, created_at)
                SELECT %(first)s::date + (n * %(days)s / %(count)s),
                       CASE WHEN n %% 3 = 0 THEN 'Deposit ' || n ELSE 'Payment ' || n END,
                       'manual', 'bench:' || n, 'draft', %(owner)s, now()
                  FROM generate_series(1, %(count)s) AS n
                """,
                {"first": FIRST_DAY, "days": DAYS, "count": LEDGER_LINES, "owner": owner.pk},
            )
            # Amounts from a hash of the entry's id: seeded, spread from 1.00 to 5,000.99.
            cursor.execute(
                """
                WITH entries AS (
                    SELECT id, source_reference,
                           (1 + abs(hashtext(source_reference || %(seed)s)) %% 500000) / 100.0
                               AS amount,
                           split_part(source_reference, ':', 2)::int %% 3 = 0 AS deposit
                      FROM accounting_journalentry WHERE source_reference LIKE 'bench:%%'
                )
                INSERT INTO accounting_journalline
                       (entry_id, account_id, fund_id, net_asset_class, debit, credit,
                        function, memo)
                SELECT id, %(bank)s, %(fund)s, 'without',
                       CASE WHEN deposit THEN amount ELSE 0 END,
                       CASE WHEN deposit THEN 0 ELSE amount END, NULL, ''
                  FROM entries
                UNION ALL
                SELECT id, CASE WHEN deposit THEN %(revenue)s ELSE %(expense)s END, %(fund)s,
                       'without', CASE WHEN deposit THEN 0 ELSE amount END,
                       CASE WHEN deposit THEN amount ELSE 0 END,
                       CASE WHEN deposit THEN NULL ELSE 'management_general' END, ''
                  FROM entries
                """,
                {
                    "seed": str(SEED),
                    "bank": ids["1010"],
                    "fund": fund,
                    "revenue": ids["4010"],
                    "expense": ids["8110"],
                },
            )
            cursor.execute(
                """
                UPDATE accounting_journalentry
                   SET state = 'posted', number = id - (SELECT min(id) FROM accounting_journalentry
                                                        WHERE source_reference LIKE 'bench:%%')
                                                 + %(number)s,
                       posted_by_id = %(owner)s, posted_at = now()
                 WHERE source_reference LIKE 'bench:%%'
                """,
                {"number": first_number, "owner": owner.pk},
            )
            AccountingSettings.objects.filter(pk=1).update(
                next_entry_number=first_number + LEDGER_LINES
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) accounting_journalentry")
            cursor.execute("VACUUM (ANALYZE) accounting_journalline")
        print(
            f"loaded {LEDGER_LINES:,} bank-account lines in {time.perf_counter() - started:.1f} s"
        )


def statement_parsed() -> ParsedStatement:
    """The account's last 2,000 items as the bank reports them, a day or two later."""
    rng = random.Random(SEED)
    items = (
        JournalLine.objects.filter(account__code="1010")
        .order_by("-entry__date", "-entry_id")
        .values_list("entry__date", "debit", "credit")[:STATEMENT_LINES]
    )
    lines = [
        ParsedLine(
            day + timedelta(days=rng.choice((0, 1, 2))),
            debit - credit,
            "Bank line",
            f"B{index}",
        )
        for index, (day, debit, credit) in enumerate(items)
    ]
    last = max(line.date for line in lines)
    return ParsedStatement(lines=lines, closing_balance=Decimal("0"), statement_date=last)


def statement_made(owner: User) -> BankStatement:
    return statement_import(
        account=Account.objects.get(code="1010"),
        parsed=statement_parsed(),
        source_name="bench.ofx",
        acting_user=owner,
    ).statement


def run_once(statement: BankStatement, owner: User) -> tuple[float, int]:
    """One automatic match of the whole statement, rolled back."""
    with transaction.atomic():
        started = time.perf_counter()
        matched = auto_match(statement=statement, acting_user=owner)
        elapsed = time.perf_counter() - started
        assert Match.objects.filter(statement_line__statement=statement).count() == matched
        transaction.set_rollback(True)
    return elapsed, matched


def statement_drop(statement: BankStatement) -> None:
    Reconciliation.objects.filter(statement=statement).delete()
    statement.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reload", action="store_true", help="make the tenant again")
    arguments = parser.parse_args()
    _setup.migrate()

    def loaded(organization: object) -> bool:
        with schema_context(SLUG):
            return _bank_lines() == LEDGER_LINES

    organization = _setup.tenant_ready(
        SLUG, "Bench Reconcile", reload=arguments.reload, loaded=loaded, load=ledger_load
    )
    with schema_context(organization.schema_name):
        owner = User.objects.get(role=Role.OWNER)
        print(f"{_bank_lines():,} ledger lines on 1010; statement of {STATEMENT_LINES:,} lines")
        statement = statement_made(owner)
        timings = []
        try:
            for run in range(arguments.runs):
                elapsed, matched = run_once(statement, owner)
                timings.append(elapsed)
                print(f"  run {run + 1}: auto-match {elapsed * 1000:.0f} ms, {matched:,} matched")
        finally:
            statement_drop(statement)
    print(f"median auto-match: {statistics.median(timings) * 1000:.0f} ms (target: under 2,000 ms)")


if __name__ == "__main__":
    main()
