"""Writes to the chart of accounts and funds. Other apps call these, never the models."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from tenant_apps.accounting.models import (
    NORMAL_BALANCE_OF_TYPE,
    Account,
    AccountType,
    Fund,
    Restriction,
)


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


def chart_load(*, accounts: Iterable[AccountSpec], funds: Iterable[FundSpec]) -> None:
    """Create or update accounts and funds by code, in a fixed number of queries.

    Idempotent: loading the same chart twice changes nothing the second time.
    """
    accounts = list(accounts)
    funds = list(funds)
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
