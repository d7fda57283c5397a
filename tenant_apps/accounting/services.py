"""Writes to the books: the chart, funds, programs, periods and journal entries. Other apps post
through these (and the posting rules at the end), never through the models.

Each top-level service owns its transaction and writes its audit row in it. They raise
ServiceError, with nothing written, for input or state they refuse; the database's triggers
(migrations 0003_ledger_rules and 0004_ledger_rules_static) hold the same rules against any
other writer.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import amount_parse, date_check
from saas_platform.lib.singletons import singleton_get
from tenant_apps.accounting.models import (
    LEDGER_STATES,
    NORMAL_BALANCE_OF_TYPE,
    Account,
    AccountingSettings,
    AccountType,
    EntrySource,
    EntryState,
    FiscalPeriod,
    Function,
    Fund,
    JournalEntry,
    JournalLine,
    NetAssetClass,
    PeriodState,
    Program,
    Restriction,
)
from tenant_apps.core.services import actor_of, audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User


@dataclass(frozen=True)
class AccountSpec:
    code: str
    name: str
    type: str
    normal_balance: str
    parent_code: str
    ucoa_code: str


@dataclass(frozen=True)
class FundSpec:
    code: str
    name: str
    restriction: str
    description: str


@dataclass(frozen=True)
class ProgramSpec:
    code: str
    name: str
    description: str


def chart_load(
    *,
    accounts: Iterable[AccountSpec],
    funds: Iterable[FundSpec],
    programs: Iterable[ProgramSpec] = (),
) -> None:
    """Create or update accounts, funds and programs by code, in a fixed number of queries.

    Idempotent: loading the same chart twice changes nothing the second time.
    """
    accounts = list(accounts)
    funds = list(funds)
    programs = list(programs)
    codes = {spec.code for spec in accounts}
    for spec in accounts:
        if spec.type not in AccountType.values:
            raise ValueError(f"Account {spec.code}: unknown type {spec.type!r}.")
        if spec.normal_balance != NORMAL_BALANCE_OF_TYPE[AccountType(spec.type)]:
            raise ValueError(
                f"Account {spec.code}: a {spec.type} account has a "
                f"{NORMAL_BALANCE_OF_TYPE[AccountType(spec.type)]} normal balance."
            )
        if spec.parent_code and spec.parent_code not in codes:
            raise ValueError(f"Account {spec.code}: parent {spec.parent_code} is not in the chart.")
    for fund in funds:
        if fund.restriction not in Restriction.values:
            raise ValueError(f"Fund {fund.code}: unknown restriction {fund.restriction!r}.")

    with transaction.atomic():
        Account.objects.bulk_create(
            [
                Account(
                    code=spec.code,
                    name=spec.name,
                    type=spec.type,
                    normal_balance=spec.normal_balance,
                    ucoa_code=spec.ucoa_code,
                )
                for spec in accounts
            ],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "type", "normal_balance", "ucoa_code"],
        )
        by_code = {account.code: account for account in Account.objects.filter(code__in=codes)}
        with_parents = []
        for spec in accounts:
            account = by_code[spec.code]
            account.parent = by_code.get(spec.parent_code) if spec.parent_code else None
            with_parents.append(account)
        Account.objects.bulk_update(with_parents, ["parent"])
        Fund.objects.bulk_create(
            [
                Fund(
                    code=fund.code,
                    name=fund.name,
                    restriction=fund.restriction,
                    description=fund.description,
                )
                for fund in funds
            ],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "restriction", "description"],
        )
        Program.objects.bulk_create(
            [
                Program(code=spec.code, name=spec.name, description=spec.description)
                for spec in programs
            ],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "description"],
        )


def books_open(*, today: date) -> None:
    """The settings row and the open periods of the current fiscal year (idempotent)."""
    start_month = accounting_settings().fiscal_year_start_month
    fiscal_year_open(fiscal_year=fiscal_year_of(today, start_month=start_month))


# --- Shared helpers ----------------------------------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")

# The release account for each kind of restriction (UCOA 6900s); perpetual funds are not spent.
RELEASE_ACCOUNT_OF_RESTRICTION = {Restriction.PURPOSE: "6910", Restriction.TIME: "6920"}


def _side_given(value: Any) -> bool:
    """Whether a line's debit or credit was given: empty and zero mean the other side."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    try:
        return Decimal(str(value).strip()) != 0
    except (InvalidOperation, ValueError):
        return True  # not a number: amount_parse names the problem


# --- Settings and periods ------------------------------------------------------------------


def accounting_settings() -> AccountingSettings:
    return singleton_get(AccountingSettings)


def fiscal_year_of(day: date, *, start_month: int) -> int:
    """The fiscal year a date falls in, named after the calendar year the fiscal year ends in."""
    if start_month == 1 or day.month < start_month:
        return day.year
    return day.year + 1


def fiscal_year_bounds(fiscal_year: int, *, start_month: int) -> tuple[date, date]:
    start = date(fiscal_year if start_month == 1 else fiscal_year - 1, start_month, 1)
    end_year, end_month = (start.year + 1, start_month - 1) if start_month > 1 else (start.year, 12)
    return start, date(end_year, end_month, monthrange(end_year, end_month)[1])


def fiscal_year_start(day: date) -> date:
    """The first day of the organization's fiscal year that `day` falls in."""
    start_month = accounting_settings().fiscal_year_start_month
    year = fiscal_year_of(day, start_month=start_month)
    return fiscal_year_bounds(year, start_month=start_month)[0]


def fiscal_year_open(*, fiscal_year: int) -> list[FiscalPeriod]:
    """Make sure the twelve monthly periods of a fiscal year exist (open unless already there)."""
    start_month = accounting_settings().fiscal_year_start_month
    first, _ = fiscal_year_bounds(fiscal_year, start_month=start_month)
    months = []
    for offset in range(12):
        year, month = divmod(first.month - 1 + offset, 12)
        start = date(first.year + year, month + 1, 1)
        months.append(
            FiscalPeriod(
                fiscal_year=fiscal_year,
                start=start,
                end=date(start.year, start.month, monthrange(start.year, start.month)[1]),
            )
        )
    FiscalPeriod.objects.bulk_create(months, ignore_conflicts=True)
    return list(FiscalPeriod.objects.filter(fiscal_year=fiscal_year).order_by("start"))


def period_for_date(day: date) -> FiscalPeriod:
    """The monthly period a date is in, created (open) with its fiscal year when missing."""
    date_check(day)
    period = FiscalPeriod.objects.filter(start__lte=day, end__gte=day).first()
    if period is None:
        start_month = accounting_settings().fiscal_year_start_month
        fiscal_year_open(fiscal_year=fiscal_year_of(day, start_month=start_month))
        period = FiscalPeriod.objects.get(start__lte=day, end__gte=day)
    return period


def period_close(*, period: FiscalPeriod, acting_user: User | None) -> FiscalPeriod:
    with transaction.atomic():
        period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.state == PeriodState.CLOSED:
            raise StateConflict(f"{period} is already closed.")
        drafts = JournalEntry.objects.filter(
            state=EntryState.DRAFT, date__gte=period.start, date__lte=period.end
        ).count()
        if drafts:
            raise StateConflict(
                f"{drafts} draft journal {'entry is' if drafts == 1 else 'entries are'} dated in "
                f"{period}; post or delete {'it' if drafts == 1 else 'them'} before closing."
            )
        period.state = PeriodState.CLOSED
        period.closed_at = timezone.now()
        period.closed_by = actor_of(acting_user)
        period.save(update_fields=["state", "closed_at", "closed_by"])
        audit_record("period.close", acting_user=acting_user, obj=period, start=str(period.start))
    return period


def period_reopen(
    *, period: FiscalPeriod, acting_user: User | None, reason: str = ""
) -> FiscalPeriod:
    with transaction.atomic():
        period = FiscalPeriod.objects.select_for_update().get(pk=period.pk)
        if period.state == PeriodState.OPEN:
            raise StateConflict(f"{period} is already open.")
        period.state = PeriodState.OPEN
        period.closed_at = None
        period.closed_by = None
        period.save(update_fields=["state", "closed_at", "closed_by"])
        audit_record(
            "period.reopen",
            acting_user=acting_user,
            obj=period,
            start=str(period.start),
            reason=reason,
        )
    return period


def settings_update(
    *, fiscal_year_start_month: int, acting_user: User | None
) -> AccountingSettings:
    """Change the fiscal year's first month; allowed only before anything is posted."""
    if not 1 <= fiscal_year_start_month <= 12:
        raise ServiceError(
            "The fiscal year starts in a month from 1 to 12.",
            fields={"fiscal_year_start_month": ["A month from 1 to 12."]},
        )
    with transaction.atomic():
        settings_row = AccountingSettings.objects.select_for_update().get(
            pk=accounting_settings().pk
        )
        if settings_row.fiscal_year_start_month == fiscal_year_start_month:
            return settings_row
        if JournalEntry.objects.exclude(state=EntryState.DRAFT).exists():
            raise StateConflict(
                "The fiscal year's first month can be changed only before the first posting."
            )
        previous = settings_row.fiscal_year_start_month
        settings_row.fiscal_year_start_month = fiscal_year_start_month
        settings_row.save(update_fields=["fiscal_year_start_month", "updated_at"])
        periods = list(FiscalPeriod.objects.all())
        for period in periods:
            period.fiscal_year = fiscal_year_of(period.start, start_month=fiscal_year_start_month)
        FiscalPeriod.objects.bulk_update(periods, ["fiscal_year"])
        audit_record(
            "settings.update",
            acting_user=acting_user,
            obj=settings_row,
            fiscal_year_start_month=[previous, fiscal_year_start_month],
        )
    return settings_row


# --- Chart: accounts, funds, programs -----------------------------------------------------


def _code_check(code: str, *, taken: bool, kind: str) -> str:
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise ServiceError(
            f"A {kind} code is 1 to 20 letters, digits, dots, dashes or underscores.",
            fields={"code": ["Use 1 to 20 letters, digits, dots, dashes or underscores."]},
        )
    if taken:
        raise ServiceError(
            f"The {kind} code {code} is already used.", fields={"code": ["Already used."]}
        )
    return code


def _name_check(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError("A name is required.", fields={"name": ["Required."]})
    if len(name) > 200:
        raise ServiceError("A name has at most 200 characters.", fields={"name": ["Too long."]})
    return name


def account_create(
    *,
    code: str,
    name: str,
    type: str,
    acting_user: User | None,
    parent_code: str = "",
    ucoa_code: str = "",
) -> Account:
    if type not in AccountType.values:
        raise ServiceError(
            f"An account's type is one of {', '.join(AccountType.values)}.",
            fields={"type": [f"Unknown type {type!r}."]},
        )
    code = _code_check(
        code, taken=Account.objects.filter(code=(code or "").strip()).exists(), kind="account"
    )
    name = _name_check(name)
    parent = None
    if parent_code:
        parent = Account.objects.filter(code=parent_code).first()
        if parent is None:
            raise ServiceError(
                f"There is no account {parent_code}.", fields={"parent": ["Unknown account."]}
            )
        if parent.type != type:
            raise ServiceError(
                f"Account {parent.code} is a {parent.type} account; "
                f"a {type} account cannot sit under it.",
                fields={"parent": ["The parent must be of the same type."]},
            )
        if JournalLine.objects.filter(account=parent).exists():
            raise ServiceError(
                f"Account {parent.code} has postings; a summary account must have none.",
                fields={"parent": ["This account has postings."]},
            )
    with transaction.atomic():
        account = Account.objects.create(
            code=code,
            name=name,
            type=type,
            normal_balance=NORMAL_BALANCE_OF_TYPE[AccountType(type)],
            parent=parent,
            ucoa_code=(ucoa_code or "").strip()[:20],
        )
        audit_record("account.create", acting_user=acting_user, obj=account, code=code)
    return account


def _changes_save[Named: (Account, Fund, Program)](
    obj: Named, changes: dict[str, Any], *, action: str, acting_user: User | None
) -> Named:
    """Apply field changes (if any) and audit them, in one transaction."""
    if not changes:
        return obj
    with transaction.atomic():
        for field, value in changes.items():
            setattr(obj, field, value)
        obj.save(update_fields=[*changes, "updated_at"])
        audit_record(action, acting_user=acting_user, obj=obj, **changes)
    return obj


def account_update(
    *,
    account: Account,
    acting_user: User | None,
    name: str | None = None,
    is_active: bool | None = None,
) -> Account:
    """Rename or (de)activate an account. Its code and type are fixed once it exists."""
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != account.name:
        changes["name"] = _name_check(name)
    if is_active is not None and is_active != account.is_active:
        changes["is_active"] = is_active
    return _changes_save(account, changes, action="account.update", acting_user=acting_user)


def fund_create(
    *, code: str, name: str, restriction: str, acting_user: User | None, description: str = ""
) -> Fund:
    if restriction not in Restriction.values:
        raise ServiceError(
            f"A fund's restriction is one of {', '.join(Restriction.values)}.",
            fields={"restriction": [f"Unknown restriction {restriction!r}."]},
        )
    code = _code_check(
        code, taken=Fund.objects.filter(code=(code or "").strip()).exists(), kind="fund"
    )
    name = _name_check(name)
    with transaction.atomic():
        fund = Fund.objects.create(
            code=code, name=name, restriction=restriction, description=description or ""
        )
        audit_record(
            "fund.create", acting_user=acting_user, obj=fund, code=code, restriction=restriction
        )
    return fund


def fund_update(
    *,
    fund: Fund,
    acting_user: User | None,
    name: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Fund:
    """Rename, describe or (de)activate a fund. Its restriction is fixed: it classifies history."""
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != fund.name:
        changes["name"] = _name_check(name)
    if description is not None and description != fund.description:
        changes["description"] = description
    if is_active is not None and is_active != fund.is_active:
        changes["is_active"] = is_active
    return _changes_save(fund, changes, action="fund.update", acting_user=acting_user)


def program_create(
    *, code: str, name: str, acting_user: User | None, description: str = ""
) -> Program:
    code = _code_check(
        code, taken=Program.objects.filter(code=(code or "").strip()).exists(), kind="program"
    )
    name = _name_check(name)
    with transaction.atomic():
        program = Program.objects.create(code=code, name=name, description=description or "")
        audit_record("program.create", acting_user=acting_user, obj=program, code=code)
    return program


def program_update(
    *,
    program: Program,
    acting_user: User | None,
    name: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> Program:
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != program.name:
        changes["name"] = _name_check(name)
    if description is not None and description != program.description:
        changes["description"] = description
    if is_active is not None and is_active != program.is_active:
        changes["is_active"] = is_active
    return _changes_save(program, changes, action="program.update", acting_user=acting_user)


# --- Journal entries -------------------------------------------------------------------------


@dataclass(frozen=True)
class LineSpec:
    """One line as other apps and the API describe it: accounts, funds and programs by code."""

    account: str
    fund: str
    debit: Decimal | str | int | None = None
    credit: Decimal | str | int | None = None
    function: str | None = None
    program: str | None = None
    memo: str = ""
    net_asset_class: str | None = None


LineProblems = dict[str, list[str]]  # field -> messages, in the order the checks found them


@dataclass(frozen=True)
class _Chart:
    """The accounts, funds and programs that a set of lines names: three queries in all."""

    accounts: dict[str, Account]
    funds: dict[str, Fund]
    programs: dict[str, Program]

    @classmethod
    def named_by(cls, specs: Sequence[LineSpec]) -> _Chart:
        accounts = Account.objects.filter(code__in={spec.account for spec in specs})
        return cls(
            accounts={
                account.code: account
                for account in accounts.annotate(children_count=Count("children"))
            },
            funds={
                fund.code: fund
                for fund in Fund.objects.filter(code__in={spec.fund for spec in specs})
            },
            programs={
                program.code: program
                for program in Program.objects.filter(
                    code__in={spec.program for spec in specs if spec.program}
                )
            },
        )


def _lines_count_check(specs: Sequence[LineSpec]) -> None:
    if len(specs) < 2:
        raise ServiceError(
            "A journal entry needs at least two lines.", fields={"lines": ["At least two lines."]}
        )
    if len(specs) > 1000:
        raise ServiceError(
            "A journal entry has at most 1,000 lines.", fields={"lines": ["Too many lines."]}
        )


def _account_problem(spec: LineSpec, account: Account | None) -> str | None:
    if account is None:
        return f"There is no account {spec.account!r}."
    if not account.is_active:
        return f"Account {account.code} is inactive."
    if account.children_count:  # type: ignore[attr-defined]
        return f"Account {account.code} is a summary account; post to one of its sub-accounts."
    return None


def _fund_problem(spec: LineSpec, fund: Fund | None) -> str | None:
    if fund is None:
        return f"There is no fund {spec.fund!r}."
    if not fund.is_active:
        return f"Fund {fund.code} is inactive."
    return None


def _amounts(spec: LineSpec, problems: LineProblems) -> tuple[Decimal, Decimal]:
    """The line's debit and credit: exactly one side given, and a valid amount."""
    has_debit, has_credit = _side_given(spec.debit), _side_given(spec.credit)
    if has_debit and has_credit:
        problems.setdefault("amount", []).append("Give a debit or a credit, not both.")
    elif not (has_debit or has_credit):
        problems.setdefault("amount", []).append("Give a debit or a credit.")
    else:
        field = "debit" if has_debit else "credit"
        try:
            value = amount_parse(spec.debit if has_debit else spec.credit, field=field)
        except ServiceError as error:
            problems.setdefault(field, []).append(error.message.split(": ", 1)[-1])
        else:
            return (value, Decimal("0")) if has_debit else (Decimal("0"), value)
    return Decimal("0"), Decimal("0")


def _function_problem(spec: LineSpec, account: Account | None, *, is_expense: bool) -> str | None:
    """Expense lines, and only they, carry a function (ASC 958's functional expenses)."""
    if spec.function and spec.function not in Function.values:
        return f"A function is one of {', '.join(Function.values)}."
    if is_expense and not spec.function:
        return "An expense line needs a function: program, management_general or fundraising."
    if account is not None and not is_expense and spec.function:
        return "Only expense lines have a function."
    return None


def _program_problem(spec: LineSpec, program: Program | None) -> str | None:
    """Program expenses, and only they, name an active program."""
    if spec.function == Function.PROGRAM and not spec.program:
        return "A program expense names its program."
    if spec.program and spec.function != Function.PROGRAM:
        return "Only program expenses name a program."
    if spec.program and program is None:
        return f"There is no program {spec.program!r}."
    if program is not None and not program.is_active:
        return f"Program {program.code} is inactive."
    return None


def _endowment_problem(fund: Fund | None, *, is_expense: bool) -> str | None:
    if is_expense and fund is not None and fund.restriction == Restriction.PERPETUAL:
        return (
            f"Fund {fund.code} is a perpetual endowment: its corpus is not spent. Charge the "
            "expense to the fund that holds the endowment's appropriated earnings."
        )
    return None


def _net_asset_class(
    spec: LineSpec, fund: Fund | None, problems: LineProblems, *, is_expense: bool
) -> str | None:
    """The class the line's caller gave, checked against its fund; else the fund's own:
    restricted funds' revenue is with donor restrictions, their expenses without (a release)."""
    given = spec.net_asset_class
    if given is not None:
        if given not in NetAssetClass.values:
            problems.setdefault("net_asset_class", []).append(
                f"A net-asset class is one of {', '.join(NetAssetClass.values)}."
            )
        elif fund is not None and not fund.is_restricted and given != "without":
            problems.setdefault("net_asset_class", []).append(
                "A fund without donor restrictions has only the without-restrictions class."
            )
        return given
    if fund is None:
        return None
    restricted = fund.restriction != Restriction.WITHOUT and not is_expense
    return NetAssetClass.WITH if restricted else NetAssetClass.WITHOUT


def _line_build(spec: LineSpec, chart: _Chart) -> tuple[JournalLine | None, LineProblems]:
    """One line checked rule by rule: the unsaved line, or None with what is wrong, by field."""
    problems: LineProblems = {}

    def add(field: str, message: str | None) -> None:
        if message is not None:
            problems.setdefault(field, []).append(message)

    account = chart.accounts.get(spec.account)
    fund = chart.funds.get(spec.fund)
    program = chart.programs.get(spec.program) if spec.program else None
    is_expense = account is not None and account.type == AccountType.EXPENSE
    add("account", _account_problem(spec, account))
    add("fund", _fund_problem(spec, fund))
    debit, credit = _amounts(spec, problems)
    add("function", _function_problem(spec, account, is_expense=is_expense))
    add("program", _program_problem(spec, program))
    add("fund", _endowment_problem(fund, is_expense=is_expense))
    net_asset_class = _net_asset_class(spec, fund, problems, is_expense=is_expense)
    if problems or account is None or fund is None or net_asset_class is None:
        return None, problems
    line = JournalLine(
        account=account,
        fund=fund,
        net_asset_class=net_asset_class,
        debit=debit,
        credit=credit,
        function=spec.function or None,
        program=program,
        memo=(spec.memo or "")[:500],
    )
    return line, problems


def _lines_build(specs: Sequence[LineSpec]) -> list[JournalLine]:
    """Validate line specs against the chart and return unsaved lines, or raise with every
    problem named by line number and field."""
    _lines_count_check(specs)
    chart = _Chart.named_by(specs)
    lines: list[JournalLine] = []
    problems: dict[int, LineProblems] = {}
    for index, spec in enumerate(specs):
        line, line_problems = _line_build(spec, chart)
        if line_problems:
            problems[index] = line_problems
        if line is not None:
            lines.append(line)
    if problems:
        first_index, first = next(iter(problems.items()))
        first_field, first_messages = next(iter(first.items()))
        raise ServiceError(
            f"Line {first_index + 1}, {first_field}: {first_messages[0]}",
            fields={"lines": [problems.get(index, {}) for index in range(len(specs))]},
        )
    _balance_check(lines)
    return lines


def _balance_check(lines: Sequence[JournalLine]) -> None:
    debits: dict[str, Decimal] = defaultdict(Decimal)
    credits: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        debits[line.fund.code] += line.debit
        credits[line.fund.code] += line.credit
    total_debits, total_credits = sum(debits.values()), sum(credits.values())
    if total_debits != total_credits:
        raise ServiceError(
            f"The entry does not balance: debits {total_debits:.2f}, credits {total_credits:.2f}.",
            fields={"lines": ["Debits and credits must be equal."]},
        )
    for code in sorted(debits):
        if debits[code] != credits[code]:
            raise ServiceError(
                f"The entry does not balance in fund {code}: debits {debits[code]:.2f}, "
                f"credits {credits[code]:.2f}. Each fund balances on its own; move money "
                "between funds with a due-to/due-from pair.",
                fields={"lines": [f"Fund {code} does not balance."]},
            )


def _memo_check(memo: str) -> str:
    memo = (memo or "").strip()
    if len(memo) > 500:
        raise ServiceError("A memo has at most 500 characters.", fields={"memo": ["Too long."]})
    return memo


def entry_create(
    *,
    date: date,
    memo: str,
    lines: Sequence[LineSpec],
    acting_user: User | None,
    source: str = EntrySource.MANUAL,
    source_reference: str = "",
) -> JournalEntry:
    """A draft entry with its lines, checked and balanced; `entry_post` puts it in the books."""
    if source not in EntrySource.values:
        raise ServiceError(f"Unknown source {source!r}.", fields={"source": ["Unknown source."]})
    date = date_check(date)
    memo = _memo_check(memo)
    with transaction.atomic():
        period_open_check(date, action="drafted")
        built = _lines_build(lines)
        entry = JournalEntry.objects.create(
            date=date,
            memo=memo,
            source=source,
            source_reference=(source_reference or "")[:100],
            created_by=actor_of(acting_user),
        )
        for line in built:
            line.entry = entry
        JournalLine.objects.bulk_create(built)
        audit_record("entry.create", acting_user=acting_user, obj=entry, source=source)
    return entry


def entry_delete(*, entry: JournalEntry, acting_user: User | None) -> None:
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != EntryState.DRAFT:
            raise StateConflict(
                f"Journal entry {entry.number} is {entry.state}; only drafts can be deleted. "
                "Reverse it instead."
            )
        audit_record(
            "entry.delete",
            acting_user=acting_user,
            obj=entry,
            date=str(entry.date),
            memo=entry.memo,
        )
        JournalLine.objects.filter(entry=entry).delete()
        entry.delete()


def _number_next() -> int:
    settings_row = AccountingSettings.objects.select_for_update().get(pk=accounting_settings().pk)
    number = settings_row.next_entry_number
    settings_row.next_entry_number = number + 1
    settings_row.save(update_fields=["next_entry_number", "updated_at"])
    return number


def period_open_check(day: date, *, action: str = "posted") -> FiscalPeriod:
    """The open period `day` is in, or a StateConflict saying it is closed. A draft is refused
    there too, not only a posting: a draft dated in a closed period could never be posted, and
    it would keep that period from being closed again once reopened."""
    # Locked until commit, so that period_close (which locks the row too) either sees this
    # entry or has closed the period first: never a draft counted out of a closing period.
    # Writers of one period wait on each other briefly; posting already waits on the number.
    period = FiscalPeriod.objects.select_for_update(no_key=True).get(pk=period_for_date(day).pk)
    if period.state == PeriodState.CLOSED:
        raise StateConflict(
            f"{period} is closed: nothing can be {action} on {day}. Date the entry in an "
            "open period, or reopen the period.",
        )
    return period


def _post(entry: JournalEntry, *, acting_user: User | None) -> JournalEntry:
    period_open_check(entry.date)
    entry.number = _number_next()
    entry.state = EntryState.POSTED
    entry.posted_by = actor_of(acting_user)
    entry.posted_at = timezone.now()
    entry.save(update_fields=["number", "state", "posted_by", "posted_at"])
    audit_record("entry.post", acting_user=acting_user, obj=entry, number=entry.number)
    return entry


def entry_post(*, entry: JournalEntry, acting_user: User | None) -> JournalEntry:
    """Post a draft: it gets the next number, and an expense charged to a restricted fund
    releases that much from restriction in a second entry, both in this transaction."""
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != EntryState.DRAFT:
            raise StateConflict(f"Journal entry {entry.number} is already {entry.state}.")
        lines = list(entry.lines.select_related("account", "fund", "program"))
        _lines_recheck(lines)
        _post(entry, acting_user=acting_user)
        if entry.source not in (EntrySource.RELEASE, EntrySource.REVERSAL):
            _release_for(entry, lines, acting_user=acting_user)
    return entry


def _lines_recheck(lines: Sequence[JournalLine]) -> None:
    """A draft may wait while the chart changes: post only to what is still active."""
    for line in lines:
        for kind, item in (
            ("account", line.account),
            ("fund", line.fund),
            ("program", line.program),
        ):
            if item is not None and not item.is_active:
                raise ServiceError(
                    f"{kind.capitalize()} {item.code} has been made inactive since this draft was "
                    "written; change the draft before posting it.",
                    fields={"lines": [f"{kind.capitalize()} {item.code} is inactive."]},
                )
    _balance_check(lines)


def _release_for(
    entry: JournalEntry, lines: Sequence[JournalLine], *, acting_user: User | None
) -> JournalEntry | None:
    """Expenses charged to a purpose- or time-restricted fund satisfy the restriction: the
    with-restrictions class gives that amount and the without-restrictions class receives it,
    on the fund's 6900 release account (ASC 958-205-45)."""
    spent: dict[int, Decimal] = defaultdict(Decimal)
    funds: dict[int, Fund] = {}
    for line in lines:
        if (
            line.account.type == AccountType.EXPENSE
            and line.fund.restriction in RELEASE_ACCOUNT_OF_RESTRICTION
        ):
            spent[line.fund_id] += line.debit - line.credit
            funds[line.fund_id] = line.fund
    spent = {fund_id: amount for fund_id, amount in spent.items() if amount}
    if not spent:
        return None
    restricted = dict(
        JournalLine.objects.filter(
            fund_id__in=spent,
            net_asset_class=NetAssetClass.WITH,
            account__type__in=[AccountType.NET_ASSETS, AccountType.REVENUE, AccountType.EXPENSE],
            entry__state__in=LEDGER_STATES,
            entry__date__lte=entry.date,
        )
        .values_list("fund_id")
        .annotate(balance=Sum("credit") - Sum("debit"))
    )
    release_accounts = {
        a.code: a for a in Account.objects.filter(code__in=RELEASE_ACCOUNT_OF_RESTRICTION.values())
    }
    release_lines = []
    for fund_id, amount in sorted(spent.items()):
        fund = funds[fund_id]
        available = restricted.get(fund_id) or Decimal("0")
        if amount > available:
            raise ServiceError(
                f"Fund {fund.code} holds {available:.2f} with donor restrictions on "
                f"{entry.date}; this entry would release {amount:.2f}. Charge the excess to a "
                "fund without donor restrictions.",
                fields={"lines": [f"Fund {fund.code} has too little restricted net assets."]},
            )
        release_code = RELEASE_ACCOUNT_OF_RESTRICTION[Restriction(fund.restriction)]
        account = release_accounts.get(release_code)
        if account is None:
            raise ServiceError(
                f"The release account {release_code} is missing from the chart of accounts."
            )
        # A net credit (an expense refund) puts the restriction back: the same pair, reversed.
        given, received = (amount, Decimal("0")) if amount > 0 else (Decimal("0"), -amount)
        release_lines += [
            JournalLine(
                account=account,
                fund=fund,
                net_asset_class=NetAssetClass.WITH,
                debit=given,
                credit=received,
                memo="Released from restriction",
            ),
            JournalLine(
                account=account,
                fund=fund,
                net_asset_class=NetAssetClass.WITHOUT,
                debit=received,
                credit=given,
                memo="Released from restriction",
            ),
        ]
    release = JournalEntry.objects.create(
        date=entry.date,
        memo=f"Release from restriction for entry {entry.number}",
        source=EntrySource.RELEASE,
        source_reference=str(entry.number),
        origin=entry,
        created_by=actor_of(acting_user),
    )
    for line in release_lines:
        line.entry = release
    JournalLine.objects.bulk_create(release_lines)
    return _post(release, acting_user=acting_user)


def entry_reverse(
    *, entry: JournalEntry, acting_user: User | None, date: date | None = None, memo: str = ""
) -> JournalEntry:
    """Reverse a posted entry with a new entry of the opposite sides, dated `date` (the
    original's date by default). Releases the entry generated are reversed with it."""
    if date is not None:
        date_check(date)
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != EntryState.POSTED:
            raise StateConflict(
                f"Journal entry {entry.number or entry.pk} is {entry.state}; only posted entries "
                "can be reversed."
            )
        if date is not None and date < entry.date:
            # Dated earlier, the reversal would take the amounts out of the books before they
            # were in: a period (even a fiscal year) would open with negative balances.
            raise ServiceError(
                "A reversal cannot be dated before the entry it reverses "
                f"({entry.date.isoformat()}).",
                fields={"date": [f"On or after {entry.date.isoformat()}."]},
            )
        if entry.source == EntrySource.REVERSAL:
            raise StateConflict(
                f"Journal entry {entry.number} is itself a reversal; post a new entry instead."
            )
        if entry.source == EntrySource.RELEASE and entry.origin is not None:
            raise StateConflict(
                f"Journal entry {entry.number} is a release generated by entry "
                f"{entry.origin.number}; reverse that entry and its release goes with it."
            )
        reversal = _reverse_one(entry, acting_user=acting_user, day=date or entry.date, memo=memo)
        for generated in JournalEntry.objects.select_for_update().filter(
            origin=entry, state=EntryState.POSTED
        ):
            _reverse_one(generated, acting_user=acting_user, day=date or entry.date, memo="")
    return reversal


def _reverse_one(
    entry: JournalEntry, *, acting_user: User | None, day: date, memo: str
) -> JournalEntry:
    memo = _memo_check(memo) or f"Reversal of entry {entry.number}"
    reversal = JournalEntry.objects.create(
        date=day,
        memo=memo,
        source=EntrySource.REVERSAL,
        source_reference=str(entry.number),
        reverses=entry,
        created_by=actor_of(acting_user),
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                entry=reversal,
                account_id=line.account_id,
                fund_id=line.fund_id,
                net_asset_class=line.net_asset_class,
                debit=line.credit,
                credit=line.debit,
                function=line.function,
                program_id=line.program_id,
                memo=line.memo,
            )
            for line in entry.lines.all()
        ]
    )
    _post(reversal, acting_user=acting_user)
    entry.state = EntryState.REVERSED
    entry.save(update_fields=["state"])
    audit_record("entry.reverse", acting_user=acting_user, obj=entry, reversal=reversal.number)
    return reversal


# --- Posting rules other apps call -------------------------------------------------------------


def entry_record(
    *,
    date: date,
    memo: str,
    lines: Sequence[LineSpec],
    source: str,
    source_reference: str = "",
    acting_user: User | None,
) -> JournalEntry:
    """Create and post an entry in one transaction (what other apps' posting rules use)."""
    with transaction.atomic():
        # Refused as a posting, which is what the caller asked for, not as a draft.
        period_open_check(date_check(date))
        entry = entry_create(
            date=date,
            memo=memo,
            lines=lines,
            acting_user=acting_user,
            source=source,
            source_reference=source_reference,
        )
        return entry_post(entry=entry, acting_user=acting_user)


def post_contribution(
    *,
    date: date,
    amount: Decimal,
    fund: str,
    acting_user: User | None,
    debit_account: str = "1010",
    revenue_account: str = "4010",
    memo: str = "",
    source: str = EntrySource.DONATION,
    source_reference: str = "",
) -> JournalEntry:
    """Dr cash (or a clearing account: 1050 undeposited checks, 1060 Stripe) and Cr the
    contribution revenue account, both in `fund`; the fund's restriction decides whether the
    revenue is with or without donor restrictions."""
    amount = amount_parse(amount, field="amount")
    return entry_record(
        date=date,
        memo=memo or "Contribution",
        lines=[
            LineSpec(account=debit_account, fund=fund, debit=amount),
            LineSpec(account=revenue_account, fund=fund, credit=amount),
        ],
        source=source,
        source_reference=source_reference,
        acting_user=acting_user,
    )


def post_fee(
    *,
    date: date,
    amount: Decimal,
    acting_user: User | None,
    fund: str = "GEN",
    expense_account: str = "8550",
    credit_account: str = "1060",
    function: str = Function.MANAGEMENT_GENERAL,
    program: str | None = None,
    memo: str = "",
    source_reference: str = "",
) -> JournalEntry:
    """A processing fee: Dr the fee expense (8550 by default), Cr the account it was taken
    from (1060 Stripe clearing by default)."""
    amount = amount_parse(amount, field="amount")
    return entry_record(
        date=date,
        memo=memo or "Processing fee",
        lines=[
            LineSpec(
                account=expense_account, fund=fund, debit=amount, function=function, program=program
            ),
            LineSpec(account=credit_account, fund=fund, credit=amount),
        ],
        source=EntrySource.FEE,
        source_reference=source_reference,
        acting_user=acting_user,
    )
