"""Writes to the chart: accounts, funds and programs, one at a time (through the API and pages)
or a whole chart at once (when an organization is provisioned)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import date_check
from tenant_apps.accounting.models import (
    NORMAL_BALANCE_OF_TYPE,
    Account,
    AccountType,
    Fund,
    JournalLine,
    Program,
    Restriction,
)
from tenant_apps.accounting.selectors import fund_released
from tenant_apps.core.services import audit_record, changes_save

if TYPE_CHECKING:
    from shared_apps.users.models import User

# Accounts', funds' and programs' codes; the API's lookups and donations' fund codes follow it.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")


# --- Loading a chart ----------------------------------------------------------------------


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


# --- Accounts, funds, programs ------------------------------------------------------------


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
    return changes_save(account, changes, action="account.update", acting_user=acting_user)


def _release_on_check(release_on: date | None, *, restriction: str) -> date | None:
    if release_on is None:
        return None
    if restriction != Restriction.TIME:
        raise ServiceError(
            "Only a time-restricted fund has a release date.",
            fields={"release_on": ["Only for a fund with a time restriction."]},
        )
    return date_check(release_on, field="release_on")


def fund_create(
    *,
    code: str,
    name: str,
    restriction: str,
    acting_user: User | None,
    description: str = "",
    release_on: date | None = None,
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
    release_on = _release_on_check(release_on, restriction=restriction)
    with transaction.atomic():
        fund = Fund.objects.create(
            code=code,
            name=name,
            restriction=restriction,
            description=description or "",
            release_on=release_on,
        )
        audit_record(
            "fund.create",
            acting_user=acting_user,
            obj=fund,
            code=code,
            restriction=restriction,
            release_on=release_on.isoformat() if release_on else None,
        )
    return fund


# Sentinel: "leave the release date as it is" (None clears it).
UNCHANGED: Any = object()


def fund_update(
    *,
    fund: Fund,
    acting_user: User | None,
    name: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    release_on: date | None = UNCHANGED,
) -> Fund:
    """Rename, describe or (de)activate a fund, or move a time-restricted fund's release date
    while it has not been released. Its restriction is fixed: it classifies history."""
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != fund.name:
        changes["name"] = _name_check(name)
    if description is not None and description != fund.description:
        changes["description"] = description
    if is_active is not None and is_active != fund.is_active:
        changes["is_active"] = is_active
    if release_on is not UNCHANGED and release_on != fund.release_on:
        release_on = _release_on_check(release_on, restriction=fund.restriction)
        if fund_released(fund):
            raise ServiceError(
                f"Fund {fund.code} was released from its time restriction on "
                f"{fund.release_on:%B %-d, %Y}; its release date stays.",
                fields={"release_on": ["Already released: the date stays."]},
            )
        changes["release_on"] = release_on
    return changes_save(fund, changes, action="fund.update", acting_user=acting_user)


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
    return changes_save(program, changes, action="program.update", acting_user=acting_user)
