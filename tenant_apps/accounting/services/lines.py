"""The rules a journal entry's lines are checked by, one small check per rule, each with its
message: what the entry services build lines with before anything is written."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse
from saas_platform.lib.plain_reads import plain_objects, plain_objects_with
from tenant_apps.accounting.models import (
    Account,
    AccountType,
    Function,
    Fund,
    JournalLine,
    NetAssetClass,
    Program,
    Restriction,
)
from tenant_apps.accounting.selectors import BooksReference, books_reference


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
        """Inside books_reference_kept(), only what the block has not read yet is read (and
        then kept); a code not found is looked up again the next time."""
        kept = books_reference() or BooksReference()
        accounts = _missing(kept.accounts, {spec.account for spec in specs})
        if accounts:
            kept.accounts.update((account.code, account) for account in _accounts_read(accounts))
        kept.funds.update(funds_by_code(_missing(kept.funds, {spec.fund for spec in specs})))
        programs = _missing(kept.programs, {spec.program for spec in specs if spec.program})
        if programs:
            kept.programs.update(
                (program.code, program) for program in Program.objects.filter(code__in=programs)
            )
        return cls(accounts=kept.accounts, funds=kept.funds, programs=kept.programs)


def _accounts_read(codes: set[str]) -> list[Account]:
    """The accounts of these codes, each with its children counted (`children_count`), in one
    plain statement: every batch of entries reads them."""
    found = []
    for account, (children,) in plain_objects_with(
        Account,
        "SELECT {columns_of_a}, (SELECT count(*) FROM {table} c WHERE c.parent_id = a.id) "
        "FROM {table} a WHERE a.code = ANY(%s)",
        [sorted(codes)],
    ):
        account.children_count = children  # type: ignore[attr-defined]  # as annotate() sets it
        found.append(account)
    return found


def _missing(kept: dict[str, Any], codes: set[str]) -> set[str]:
    return {code for code in codes if code not in kept}


def funds_by_code(codes: set[str]) -> dict[str, Fund]:
    """The funds of these codes, by code (those kept by books_reference_kept() not read
    again)."""
    kept = books_reference()
    missing = codes if kept is None else _missing(kept.funds, codes)
    found = (
        {
            fund.code: fund
            for fund in plain_objects(
                Fund, "SELECT {columns} FROM {table} WHERE code = ANY(%s)", [sorted(missing)]
            )
        }
        if missing
        else {}
    )
    if kept is None:
        return found
    kept.funds.update(found)
    return {code: kept.funds[code] for code in codes if code in kept.funds}


def _lines_count_check(specs: Sequence[LineSpec]) -> None:
    if len(specs) < 2:
        raise ServiceError(
            "A journal entry needs at least two lines.", fields={"lines": ["At least two lines."]}
        )
    if len(specs) > 1000:
        raise ServiceError(
            "A journal entry has at most 1,000 lines.", fields={"lines": ["Too many lines."]}
        )


# --- One check per rule -------------------------------------------------------------------


def _side_given(value: Any) -> bool:
    """Whether a line's debit or credit was given: empty and zero mean the other side."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    try:
        return Decimal(str(value).strip()) != 0
    except (InvalidOperation, ValueError):
        return True  # not a number: amount_parse names the problem


def _account_problem(spec: LineSpec, account: Account | None) -> str | None:
    if account is None:
        return f"There is no account {spec.account!r}."
    if not account.is_active:
        return f"Account {account.code} is inactive."
    # children_count is annotated by _Chart.named_by; the model does not declare it.
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


# --- Lines and entries --------------------------------------------------------------------


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


def chart_named_by(specs: Sequence[LineSpec]) -> _Chart:
    """The accounts, funds and programs the lines name, read once for many entries' lines
    (pass it to lines_build)."""
    return _Chart.named_by(specs)


def lines_build(specs: Sequence[LineSpec], *, chart: _Chart | None = None) -> list[JournalLine]:
    """Validate line specs against the chart and return unsaved lines, or raise with every
    problem named by line number and field. `chart` is what chart_named_by read for these
    lines among others; by default the lines' own accounts, funds and programs are read."""
    _lines_count_check(specs)
    if chart is None:
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
    balance_check(lines)
    return lines


def balance_check(lines: Sequence[JournalLine]) -> None:
    """Debits equal credits, in the entry as a whole and in each fund on its own."""
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


def lines_recheck(lines: Sequence[JournalLine]) -> None:
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
    balance_check(lines)
