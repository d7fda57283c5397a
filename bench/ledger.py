"""How long the six accounting reports, budget versus actual, the prior-year comparison and the
general ledger's page (200 lines) of the busiest expense account, first and mid-year, take on a
tenant with a million journal lines (or LINES of them).

    make bench-ledger [LINES=10000000]
        (or: LINES=1000000 DJANGO_SETTINGS_MODULE=saas_platform.settings.local \
             .venv/bin/python bench/ledger.py [--runs 21] [--reload] [--explain])

Targets: every report under 100 ms at up to 1,000,000 lines, under 1 s beyond (10,000,000).
Another line count than a million is loaded into a tenant of its own (benchledger-<LINES>), so
both stay loaded side by side.

Works in a database of its own, `ifm_bench` (created and migrated when missing), with Redis
db 13. The tenant `benchledger` is provisioned with `tenant_provision` and loaded once with
1,000,000 journal lines in about 250,000 balanced entries over three fiscal years (2023 to
2025): gifts by check and card to four funds, card fees, bills through accounts payable and
their payments, expenses by function and program, payroll, Stripe payouts, and the release
from restriction of every expense charged to a restricted fund. A later run reuses the tenant
when it holds exactly that many lines (`--reload` drops and loads it again).

The load goes through PostgreSQL COPY with the ledger's triggers on: entries are copied as
drafts, then their lines, then the entries are posted (numbered) in one UPDATE, and the
per-entry balance check runs at commit. The tables are then vacuumed and analyzed (the posting
UPDATE leaves a dead version of every entry, which autovacuum would otherwise clear in the
middle of the timings). Budget versus actual runs on a budget of the last fiscal year with
every budgetable account (made through the services on the first run that lacks it), for its
last month, so that its year to date is the whole year. Then each report runs once to warm up
and `--runs` times measured,
each time with its JSON data built (what the API answers, short of rendering); a report slower
than the target gets the plan of its slowest query printed
(`--explain` prints the plans of every report).
"""

from __future__ import annotations

import io
import math
import os
import random
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

import _setup  # noqa: E402  (bench/ is on the path when run as a script)

_setup.django_start("ifm_bench", redis_db=13)

from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from saas_platform.lib.report_pages import report_table  # noqa: E402
from shared_apps.tenants.models import Organization  # noqa: E402
from shared_apps.users.models import User  # noqa: E402
from shared_apps.users.roles import Role  # noqa: E402
from tenant_apps.accounting import reports, selectors, services  # noqa: E402
from tenant_apps.accounting.budget_reports import budget_versus_actual  # noqa: E402
from tenant_apps.accounting.models import (  # noqa: E402
    LEDGER_STATES,
    Account,
    AccountingSettings,
    Budget,
    Fund,
    JournalLine,
    Program,
    Restriction,
)

DEFAULT_LINES = 1_000_000


def lines_wanted() -> int:
    """The number of journal lines to load: LINES from the environment (a million unless
    given; underscores and commas allowed)."""
    text = os.environ.get("LINES", "").replace("_", "").replace(",", "").strip()
    if not text:
        return DEFAULT_LINES
    if not text.isdigit() or int(text) < 10_000:
        raise SystemExit(f"LINES={text!r}: give a number of journal lines, 10000 or more.")
    return int(text)


TARGET_LINES = lines_wanted()
SLUG = "benchledger" if TARGET_LINES == DEFAULT_LINES else f"benchledger-{TARGET_LINES}"
# The targets: 100 ms a report at a million lines, 1 s at ten million.
TARGET_MS = 100 if TARGET_LINES <= DEFAULT_LINES else 1000
SEED = 2026
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 12, 31)
FISCAL_YEARS = (2023, 2024, 2025)

EXTRA_PROGRAMS = [
    ("EDU", "Youth education", "After-school tutoring and summer reading."),
    ("MEAL", "Community meals", "The food pantry and the weekly community dinners."),
    ("HOUS", "Housing assistance", "Rent help and the transitional housing units."),
    ("HLTH", "Health clinic", "The free clinic and its mobile van."),
    ("ARTS", "Arts outreach", "Workshops and exhibitions in the neighbourhood."),
]
EXTRA_FUNDS = [
    ("CAP", "Building campaign", Restriction.PURPOSE, "Gifts restricted to the new building."),
    ("TIME", "Gifts for later years", Restriction.TIME, "Gifts a donor restricted in time."),
]

# Function of a general-fund expense line, then its program when it is a program expense.
PROGRAM_WEIGHTS = {"EDU": 30, "MEAL": 25, "HLTH": 20, "HOUS": 15, "ARTS": 8, "PRG": 2}
# Nature of a bill or direct expense line: account code -> weight.
EXPENSE_WEIGHTS = {
    "8110": 22,
    "8130": 5,
    "8140": 6,
    "8170": 6,
    "8210": 2,
    "8220": 4,
    "8230": 4,
    "8310": 8,
    "8320": 4,
    "8520": 2,
    "8530": 2,
    "8570": 5,
    "8590": 3,
    "7510": 1,
    "7520": 1,
    "7530": 2,
    "7540": 3,
    "7560": 8,
}
FORCED_FUNCTION = {
    "7510": "management_general",
    "7520": "management_general",
    "7530": "fundraising",
}
# What each restricted fund pays for, and with which accounts.
RESTRICTED_USE = {
    "PRP": (["EDU", "HLTH", "MEAL"], ["8110", "8570", "7560", "8310"]),
    "CAP": (["HOUS"], ["8230", "7560", "8110"]),
    "TIME": (["EDU", "MEAL", "HOUS", "HLTH", "ARTS"], ["8110", "7560", "8170", "8310"]),
}
GIFT_FUNDS = {"GEN": 72, "PRP": 14, "CAP": 7, "TIME": 7}


# --- The ledger plan ---------------------------------------------------------------------------


@dataclass
class Entry:
    memo: str
    source: str
    lines: list[tuple[Any, ...]]  # (account, fund, class, debit, credit, function, program, memo)
    origin: int | None = None  # index of the entry this one was generated by
    date: date | None = None


@dataclass
class Ids:
    account: dict[str, int]
    fund: dict[str, int]
    program: dict[str, int]
    restriction: dict[str, str]  # fund code -> restriction


@dataclass
class Ledger:
    """Entries in posting order (a group is an entry and its release, on one date)."""

    entries: list[Entry] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)
    lines: int = 0
    lowest_restricted: dict[str, int] = field(default_factory=dict)  # cents, by fund code
    lowest_cash: dict[str, int] = field(default_factory=dict)  # 1010


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _amount(rng: random.Random, median: float, sigma: float, *, whole: bool = False) -> int:
    """A lognormal amount in cents, at least one dollar."""
    value = max(1.0, rng.lognormvariate(math.log(median), sigma))
    return int(value) * 100 if whole else int(value * 100)


def ledger_plan(ids: Ids, rng: random.Random, *, target_lines: int) -> Ledger:
    """Every entry of three years of books, balanced per fund, with exactly `target_lines`."""
    ledger = Ledger()
    # To turn "about a month later" into a number of groups.
    expected_groups = 240_000 * target_lines // DEFAULT_LINES
    groups_a_day = expected_groups / ((LAST_DAY - FIRST_DAY).days + 1)
    cash = {code: 0 for code in ids.fund}  # 1010, cents
    clearing = {code: 0 for code in ids.fund}  # 1060
    restricted = {code: 0 for code, kind in ids.restriction.items() if kind != "without"}
    payable: deque[tuple[int, str, int]] = deque()  # (due group, liability account, cents)
    accounts, funds, programs = ids.account, ids.fund, ids.program
    expense_codes, expense_weights = (
        list(EXPENSE_WEIGHTS),
        list(accumulate(EXPENSE_WEIGHTS.values())),
    )
    program_codes, program_weights = (
        list(PROGRAM_WEIGHTS),
        list(accumulate(PROGRAM_WEIGHTS.values())),
    )
    gift_funds, gift_weights = list(GIFT_FUNDS), list(accumulate(GIFT_FUNDS.values()))
    functions, function_weights = ["program", "management_general", "fundraising"], [62, 88, 100]

    def klass(fund: str, *, expense: bool = False) -> str:
        return "without" if expense or ids.restriction[fund] == "without" else "with"

    def line(account: str, fund: str, debit: int = 0, credit: int = 0, **extra: Any) -> tuple:
        expense = extra.get("function") is not None
        return (
            accounts[account],
            funds[fund],
            extra.get("net_asset_class") or klass(fund, expense=expense),
            debit,
            credit,
            extra.get("function"),
            programs[extra["program"]] if extra.get("program") else None,
            extra.get("memo", ""),
        )

    def emit(*entries: Entry) -> None:
        group = []
        for entry in entries:
            if entry.origin is not None:
                entry.origin = len(ledger.entries) - 1
            group.append(len(ledger.entries))
            ledger.entries.append(entry)
            ledger.lines += len(entry.lines)
        ledger.groups.append(group)

    def general_expense_line(code: str, amount: int) -> tuple:
        function = (
            FORCED_FUNCTION.get(code) or rng.choices(functions, cum_weights=function_weights)[0]
        )
        program = None
        if function == "program":
            program = rng.choices(program_codes, cum_weights=program_weights)[0]
        return line(code, "GEN", debit=amount, function=function, program=program)

    def expense_lines(count: int, median: float) -> list[tuple]:
        codes = rng.choices(expense_codes, cum_weights=expense_weights, k=count)
        return [general_expense_line(code, _amount(rng, median, 1.0)) for code in codes]

    # Opening balances on the first day: cash and savings, against net assets.
    emit(
        Entry(
            "Opening balances",
            "manual",
            [
                line("1010", "GEN", debit=150_000_000),
                line("1020", "GEN", debit=50_000_000),
                line("3010", "GEN", credit=200_000_000),
                line("1010", "PRP", debit=30_000_000),
                line("3110", "PRP", credit=30_000_000),
            ],
        )
    )
    cash["GEN"], cash["PRP"], restricted["PRP"] = 150_000_000, 30_000_000, 30_000_000
    lowest, lowest_cash = dict(restricted), dict(cash)

    def spend(fund: str, amount: int) -> None:
        cash[fund] -= amount
        lowest_cash[fund] = min(lowest_cash[fund], cash[fund])

    def gift_check() -> None:
        fund = rng.choices(gift_funds, cum_weights=gift_weights)[0]
        corporate = rng.random() < 0.15
        amount = _amount(rng, 2000 if corporate else 150, 1.2, whole=True)
        revenue = "4020" if corporate else "4010"
        emit(
            Entry(
                "Gift by check",
                "donation",
                [line("1010", fund, debit=amount), line(revenue, fund, credit=amount)],
            )
        )
        cash[fund] += amount
        if fund in restricted:
            restricted[fund] += amount

    def gift_card() -> None:
        fund = rng.choices(gift_funds, cum_weights=gift_weights)[0]
        amount = _amount(rng, 50, 1.0, whole=True)
        fee = amount * 22 // 1000 + 30
        emit(
            Entry(
                "Online gift",
                "donation",
                [
                    line("1060", fund, debit=amount),
                    line("4010", fund, credit=amount),
                    line("8550", "GEN", debit=fee, function="management_general"),
                    line("1060", "GEN", credit=fee),
                ],
            )
        )
        clearing[fund] += amount
        clearing["GEN"] -= fee
        if fund in restricted:
            restricted[fund] += amount

    def bill(index: int) -> None:
        items = expense_lines(rng.randint(2, 12), 45)
        total = sum(item[3] for item in items)
        emit(Entry("Vendor invoice", "manual", [*items, line("2010", "GEN", credit=total)]))
        payable.append((index + int(rng.uniform(20, 40) * groups_a_day), "2010", total))

    def expense_paid() -> None:
        items = expense_lines(rng.randint(1, 8), 40)
        total = sum(item[3] for item in items)
        emit(Entry("Card and cash expenses", "manual", [*items, line("1010", "GEN", credit=total)]))
        spend("GEN", total)

    def expense_restricted() -> None:
        fund = rng.choices(list(RESTRICTED_USE), [50, 25, 25])[0]
        uses, codes = RESTRICTED_USE[fund]
        available = min(restricted[fund], cash[fund]) // 2
        count = rng.randint(1, 6)
        amounts = [_amount(rng, 400, 1.0) for _ in range(count)]
        if sum(amounts) > available:
            expense_paid()  # the restricted money is spent for now: the general fund pays
            return
        items = []
        for amount in amounts:
            function = "program" if fund != "TIME" or rng.random() < 0.8 else "management_general"
            program = rng.choice(uses) if function == "program" else None
            items.append(
                line(rng.choice(codes), fund, debit=amount, function=function, program=program)
            )
        total = sum(amounts)
        release = "6920" if ids.restriction[fund] == Restriction.TIME else "6910"
        memo = "Released from restriction"
        emit(
            Entry(
                f"Expenses paid from {fund}", "manual", [*items, line("1010", fund, credit=total)]
            ),
            Entry(
                "Release from restriction",
                "release",
                [
                    line(release, fund, debit=total, net_asset_class="with", memo=memo),
                    line(release, fund, credit=total, net_asset_class="without", memo=memo),
                ],
                origin=-1,
            ),
        )
        spend(fund, total)
        restricted[fund] -= total
        lowest[fund] = min(lowest[fund], restricted[fund])

    def payroll(index: int) -> None:
        items = []
        split = [("program", code) for code in ("EDU", "MEAL", "HLTH", "HOUS", "ARTS")]
        split += [("management_general", None), ("fundraising", None)]
        for code, median in (("7020", 9000), ("7220", 1800), ("7250", 800)):
            for function, program in split:
                amount = _amount(rng, median, 0.25)
                items.append(line(code, "GEN", debit=amount, function=function, program=program))
        for function, program in (("management_general", None), ("program", "EDU")):
            items.append(
                line(
                    "7010", "GEN", debit=_amount(rng, 7000, 0.1), function=function, program=program
                )
            )
            items.append(
                line(
                    "7210", "GEN", debit=_amount(rng, 900, 0.2), function=function, program=program
                )
            )
        total = sum(item[3] for item in items)
        taxes = total * 22 // 100
        emit(
            Entry(
                "Payroll",
                "payroll",
                [
                    *items,
                    line("1010", "GEN", credit=total - taxes),
                    line("2030", "GEN", credit=taxes),
                ],
            )
        )
        spend("GEN", total - taxes)
        payable.append((index + int(5 * groups_a_day), "2030", taxes))

    def payout() -> None:
        items = []
        for fund in ids.fund:
            if clearing[fund] > 0:
                items += [
                    line("1010", fund, debit=clearing[fund]),
                    line("1060", fund, credit=clearing[fund]),
                ]
                cash[fund] += clearing[fund]
                clearing[fund] = 0
        if items:
            emit(Entry("Stripe payout", "manual", items))

    def pay(liability: str, amount: int) -> None:
        memo = "Payment to vendor" if liability == "2010" else "Payroll taxes remitted"
        emit(
            Entry(
                memo,
                "manual",
                [line(liability, "GEN", debit=amount), line("1010", "GEN", credit=amount)],
            )
        )
        spend("GEN", amount)

    def filler(count: int) -> None:
        items = expense_lines(count - 1, 40)
        total = sum(item[3] for item in items)
        emit(Entry("Year-end accruals", "manual", [*items, line("2010", "GEN", credit=total)]))

    kinds: list[tuple[Callable[[], None] | str, int]] = [
        (gift_check, 25),
        (gift_card, 35),
        ("bill", 20),
        (expense_paid, 12),
        (expense_restricted, 3),
    ]
    actions = [kind for kind, _ in kinds]
    cumulative = list(accumulate(weight for _, weight in kinds))
    payroll_every, next_payroll = expected_groups // 78, 1  # every other week
    payout_every, next_payout = expected_groups // 156, 1  # weekly
    while True:
        remaining = target_lines - ledger.lines
        if remaining <= 60:  # every group has fewer lines: one last entry makes the count
            filler(remaining)
            break
        index = len(ledger.groups)
        if payable and payable[0][0] <= index:
            _, liability, amount = payable.popleft()
            pay(liability, amount)
        elif index >= next_payroll:
            payroll(index)
            next_payroll += payroll_every
        elif index >= next_payout:
            payout()
            next_payout += payout_every
        else:
            action = actions[bisect_left(cumulative, rng.random() * cumulative[-1])]
            if action == "bill":
                bill(index)
            else:
                action()
    ledger.lowest_restricted, ledger.lowest_cash = lowest, lowest_cash
    _dates_assign(ledger, rng)
    return ledger


def _dates_assign(ledger: Ledger, rng: random.Random) -> None:
    """Spread the groups over the three years in order: fewer on weekends, more in December."""
    days = [FIRST_DAY + timedelta(days=n) for n in range((LAST_DAY - FIRST_DAY).days + 1)]
    weights = []
    for day in days:
        weight = {5: 0.35, 6: 0.25}.get(day.weekday(), 1.0)
        if day.month == 12:
            weight *= 1.6 if day.day < 20 else 2.4
        weights.append(weight)
    picks = sorted(rng.choices(range(len(days)), weights, k=len(ledger.groups) - 1))
    for group, pick in zip(ledger.groups, [0, *picks], strict=True):
        for index in group:
            ledger.entries[index].date = days[pick]


# --- Loading -----------------------------------------------------------------------------------


def _copy(cursor: Any, table: str, columns: list[str], buffer: io.StringIO) -> None:
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _timed(phases: list[tuple[str, float]], name: str, started: float) -> float:
    now = time.perf_counter()
    phases.append((name, now - started))
    print(f"  {name:<34} {(now - started) * 1000:9.0f} ms", flush=True)
    return now


def _chart_extend(owner: User) -> None:
    for code, name, description in EXTRA_PROGRAMS:
        if not Program.objects.filter(code=code).exists():
            services.program_create(
                code=code, name=name, description=description, acting_user=owner
            )
    for code, name, restriction, description in EXTRA_FUNDS:
        if not Fund.objects.filter(code=code).exists():
            services.fund_create(
                code=code,
                name=name,
                restriction=restriction,
                description=description,
                acting_user=owner,
            )
    for fiscal_year in FISCAL_YEARS:
        services.fiscal_year_open(fiscal_year=fiscal_year)


TRIGGER_FUNCTIONS = [
    "accounting_lines_check",
    "accounting_entry_guard",
    "accounting_entry_balanced",
    "accounting_balances_post",
]


def _trigger_stats_start(cursor: Any) -> bool:
    """Count the time spent in the ledger's trigger functions (needs a superuser: else skip)."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SET track_functions = 'pl'")
    cursor.execute(
        "SELECT pg_stat_reset_single_function_counters(oid) FROM pg_proc"
        " WHERE pronamespace = current_schema()::regnamespace AND proname = ANY(%s)",
        [TRIGGER_FUNCTIONS],
    )
    return True


def _trigger_stats_print(cursor: Any) -> None:
    cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute(
        "SELECT funcname, calls, total_time FROM pg_stat_user_functions"
        " WHERE schemaname = current_schema() AND funcname = ANY(%s) ORDER BY funcname",
        [TRIGGER_FUNCTIONS],
    )
    for name, calls, total in cursor.fetchall():
        print(f"  trigger {name:<26} {calls:>9,} calls {total:9.0f} ms")
    cursor.execute("RESET track_functions")


def ledger_load(owner: User) -> None:
    """COPY the plan into the current schema: drafts, lines, one UPDATE to post, commit."""
    phases: list[tuple[str, float]] = []
    started = time.perf_counter()
    ids = Ids(
        account=dict(Account.objects.values_list("code", "id")),
        fund=dict(Fund.objects.values_list("code", "id")),
        program=dict(Program.objects.values_list("code", "id")),
        restriction=dict(Fund.objects.values_list("code", "restriction")),
    )
    ledger = ledger_plan(ids, random.Random(SEED), target_lines=TARGET_LINES)
    started = _timed(phases, "plan (Python)", started)

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM accounting_journalentry")
        first_entry = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM accounting_journalline")
        first_line = cursor.fetchone()[0] + 1
    first_number = services.accounting_settings().next_entry_number

    entries, lines = io.StringIO(), io.StringIO()
    line_id = first_line
    for index, entry in enumerate(ledger.entries):
        entry_id = first_entry + index
        memo, reference, origin = entry.memo, "", "\\N"
        if entry.origin is not None:
            memo = f"Release from restriction for entry {first_number + entry.origin}"
            reference, origin = str(first_number + entry.origin), str(first_entry + entry.origin)
        entries.write(
            f"{entry_id}\t{entry.date}\t{memo}\t{entry.source}\t{reference}\tdraft\t{origin}\t"
            f"{owner.pk}\t{entry.date} 16:00:00+00\n"
        )
        for account, fund, klass, debit, credit, function, program, line_memo in entry.lines:
            lines.write(
                f"{line_id}\t{entry_id}\t{account}\t{fund}\t{klass}\t{_cents(debit)}\t"
                f"{_cents(credit)}\t{function or '\\N'}\t{program or '\\N'}\t{line_memo}\n"
            )
            line_id += 1
    started = _timed(phases, "COPY buffers (Python)", started)
    last_entry = first_entry + len(ledger.entries) - 1

    load_started = started
    with connection.cursor() as cursor:
        tracked = _trigger_stats_start(cursor)
    with transaction.atomic(), connection.cursor() as cursor:
        _copy(
            cursor,
            "accounting_journalentry",
            [
                "id",
                "date",
                "memo",
                "source",
                "source_reference",
                "state",
                "origin_id",
                "created_by_id",
                "created_at",
            ],
            entries,
        )
        started = _timed(phases, f"COPY {len(ledger.entries):,} entries (draft)", started)
        _copy(
            cursor,
            "accounting_journalline",
            [
                "id",
                "entry_id",
                "account_id",
                "fund_id",
                "net_asset_class",
                "debit",
                "credit",
                "function",
                "program_id",
                "memo",
            ],
            lines,
        )
        started = _timed(phases, f"COPY {ledger.lines:,} lines", started)
        cursor.execute(
            """
            UPDATE accounting_journalentry
               SET state = 'posted', number = id - %(first)s + %(number)s, posted_by_id = %(owner)s,
                   posted_at = (date + time '17:00') AT TIME ZONE 'UTC'
             WHERE id BETWEEN %(first)s AND %(last)s
            """,
            {"first": first_entry, "last": last_entry, "number": first_number, "owner": owner.pk},
        )
        AccountingSettings.objects.filter(pk=1).update(
            next_entry_number=first_number + len(ledger.entries)
        )
        for table in ("accounting_journalentry", "accounting_journalline"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"  # noqa: S608
            )
        started = _timed(phases, "UPDATE entries to posted", started)
    started = _timed(phases, "COMMIT (deferred checks)", started)
    phases.append(("load total (COPY to COMMIT)", started - load_started))
    print(f"  {'load total (COPY to COMMIT)':<34} {(started - load_started) * 1000:9.0f} ms")

    with connection.cursor() as cursor:
        # The monthly balances too: the posting UPDATE filled them, and without statistics
        # (autovacuum off, or not come round yet) the planner takes them for a few rows.
        for table in ("accounting_journalentry", "accounting_journalline", "accounting_balance"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE accounting_account, accounting_fund, accounting_program")
    _timed(phases, "VACUUM (ANALYZE)", started)
    if tracked:
        with connection.cursor() as cursor:
            _trigger_stats_print(cursor)
    lowest = ", ".join(
        f"{code} {_cents(cents)}" for code, cents in ledger.lowest_restricted.items()
    )
    print(f"  lowest restricted net assets: {lowest}")
    print(f"  lowest general-fund cash (1010): {_cents(ledger.lowest_cash['GEN'])}")


# --- The tenant ----------------------------------------------------------------------------------


def _line_count(organization: Organization) -> int:
    with schema_context(organization.schema_name):
        return JournalLine.objects.filter(entry__state__in=LEDGER_STATES).count()


def tenant_load(organization: Organization) -> None:
    print("loading the ledger:")
    with schema_context(organization.schema_name):
        owner = User.objects.get(role=Role.OWNER)
        _chart_extend(owner)
        ledger_load(owner)


def tenant_ready(*, reload: bool) -> Organization:
    """The loaded tenant: reused when it holds the right number of lines, else made again."""
    return _setup.tenant_ready(
        SLUG,
        "Bench Ledger Foundation",
        reload=reload,
        loaded=lambda organization: _line_count(organization) == TARGET_LINES,
        load=tenant_load,
    )


# --- The reports -------------------------------------------------------------------------------


def report_cases() -> list[tuple[str, str, dict[str, Any]]]:
    start, end = services.fiscal_year_bounds(FISCAL_YEARS[-1], start_month=1)
    month = date(LAST_DAY.year, LAST_DAY.month, 1)
    return [
        ("trial-balance", "as of the last day", {"as_of": LAST_DAY}),
        ("financial-position", "as of the last day", {"as_of": LAST_DAY}),
        ("activities", "last fiscal year", {"start": start, "end": end}),
        ("functional-expenses", "last fiscal year", {"start": start, "end": end}),
        ("fund-balances", "as of the last day", {"as_of": LAST_DAY}),
        ("general-ledger", "1010, last month", {"account": "1010", "start": month, "end": end}),
        (
            "general-ledger",
            "8110, year, first 200",
            {"account": "8110", "start": start, "end": end},
        ),
        (
            "activities",
            "last year, prior year beside",
            {"start": start, "end": end, "compare": "prior-year"},
        ),
        (
            "activities",
            "mid-month to mid-month",
            {"start": date(LAST_DAY.year, 2, 14), "end": date(LAST_DAY.year, 11, 17)},
        ),
        (
            "financial-position",
            "mid-month, prior year beside",
            {"as_of": date(LAST_DAY.year, 11, 17), "compare": "prior-year"},
        ),
        (
            "functional-expenses",
            "last year, prior year beside",
            {"start": start, "end": end, "compare": "prior-year"},
        ),
        (
            "trial-balance",
            "mid-month, fund GEN",
            {"as_of": date(LAST_DAY.year, 11, 17), "fund": "GEN"},
        ),
    ]


BUDGET_NAME = "Bench budget"


def bench_budget() -> Budget:
    """The last fiscal year's budget: 1,000.00 a month on every budgetable account, and the
    same again for the general fund (made once, through the services)."""
    budget = Budget.objects.filter(name=BUDGET_NAME, fiscal_year=FISCAL_YEARS[-1]).first()
    if budget is not None:
        if budget.state != "approved":  # the statement of activities compares approved ones
            budget = services.budget_approve(budget=budget, acting_user=None)
        return budget
    budget = services.budget_create(
        name=BUDGET_NAME, fiscal_year=FISCAL_YEARS[-1], acting_user=None
    )
    monthly = [Decimal("1000.00")] * 12
    codes = sorted(selectors.budgetable_accounts())
    services.budget_amounts_save(
        budget=budget,
        rows=[services.BudgetRowSpec(account=code, amounts=monthly) for code in codes]
        + [services.BudgetRowSpec(account=code, fund="GEN", amounts=monthly) for code in codes],
        acting_user=None,
    )
    return services.budget_approve(budget=budget, acting_user=None)


def _report(name: str, parameters: dict[str, Any]) -> Callable[[], int]:
    def run() -> int:
        # What the API does for a JSON answer: the report and its figures as JSON data.
        report = reports.REPORTS[name](**parameters)
        data = report.as_json()
        # The general ledger reads its lines for JSON (or a streamed CSV), not as page rows.
        return len(report.rows) or len(data.get("lines", ()))

    return run


def _ledger_page(parameters: dict[str, Any], after: str = "") -> Callable[[], int]:
    def run() -> int:
        # What the general ledger's page does short of the template: a page of lines after a
        # place, with its balance brought forward, as the table's cells.
        report = reports.general_ledger_page(**parameters, after=after)
        report_table(report)
        return len(report.rows)

    return run


def _budget_versus_actual(parameters: dict[str, Any]) -> Callable[[], int]:
    def run() -> int:
        report = budget_versus_actual(**parameters)
        report.as_json()
        return len(report.rows)

    return run


def budget_cases() -> list[_setup.Case]:
    budget = bench_budget().pk
    month = date(LAST_DAY.year, LAST_DAY.month, 1)
    return [
        (
            "budget-versus-actual",
            "last fiscal year, its last month",
            _budget_versus_actual({"budget": budget, "month": month}),
        ),
        (
            "budget-versus-actual",
            "the same, fund GEN",
            _budget_versus_actual({"budget": budget, "month": month, "fund": "GEN"}),
        ),
        (
            "activities",
            "last year, budget beside",
            _report(
                "activities",
                {"start": date(LAST_DAY.year, 1, 1), "end": LAST_DAY, "compare": "budget"},
            ),
        ),
    ]


def ledger_page_cases() -> list[_setup.Case]:
    """The busy account's year a page at a time: its first page and a page in the middle of
    the year, reached by the place of the line before it (as the page's next link is)."""
    start, end = services.fiscal_year_bounds(FISCAL_YEARS[-1], start_month=1)
    parameters = {"account": "8110", "start": start, "end": end}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.date, e.number, l.id
              FROM accounting_journalline l
              JOIN accounting_journalentry e ON e.id = l.entry_id
              JOIN accounting_account a ON a.id = l.account_id
             WHERE a.code = '8110' AND e.state IN ('posted', 'reversed')
               AND e.date BETWEEN %s AND %s
             ORDER BY e.date, e.number, l.id
             OFFSET (SELECT count(*) / 2
                       FROM accounting_journalline l
                       JOIN accounting_journalentry e ON e.id = l.entry_id
                       JOIN accounting_account a ON a.id = l.account_id
                      WHERE a.code = '8110' AND e.date BETWEEN %s AND %s)
             LIMIT 1
            """,
            [start, end, start, end],
        )
        middle = str(reports.LedgerKey(*cursor.fetchone()))
    return [
        ("general-ledger page", "8110, first page", _ledger_page(parameters)),
        ("general-ledger page", "8110, mid-year page", _ledger_page(parameters, middle)),
    ]


def cases() -> list[_setup.Case]:
    return [
        *((name, label, _report(name, values)) for name, label, values in report_cases()),
        *budget_cases(),
        *ledger_page_cases(),
    ]


def sizes_print() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM accounting_journalentry),"
            " (SELECT count(*) FROM accounting_journalline)"
        )
        entries, lines = cursor.fetchone()
        print(f"\n{entries:,} journal entries, {lines:,} journal lines")
        for table in ("accounting_journalentry", "accounting_journalline"):
            cursor.execute(
                "SELECT pg_size_pretty(pg_table_size(%s)), pg_size_pretty(pg_indexes_size(%s)),"
                " pg_size_pretty(pg_total_relation_size(%s))",
                [table, table, table],
            )
            heap, indexes, total = cursor.fetchone()
            print(f"  {table:<24} table {heap:>8}  indexes {indexes:>8}  total {total:>8}")


def main() -> None:
    print(f"{TARGET_LINES:,} journal lines in tenant {SLUG}; target {TARGET_MS} ms a report")
    _setup.cases_main(
        runs=21,
        what="report",
        tenant_ready=tenant_ready,
        sizes_print=sizes_print,
        cases=cases,
        target_ms=lambda name: TARGET_MS,
    )


if __name__ == "__main__":
    main()
