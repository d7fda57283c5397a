"""Seed data for a new tenant, read from the files in provisioning/charts/."""

from __future__ import annotations

import csv
import hashlib
from functools import cache
from pathlib import Path

from django.utils import timezone

from tenant_apps.accounting.selectors import account_list
from tenant_apps.accounting.services import (
    AccountSpec,
    FundSpec,
    ProgramSpec,
    books_open,
    chart_load,
)

CHARTS = Path(__file__).resolve().parent / "charts"


@cache
def chart_accounts() -> tuple[AccountSpec, ...]:
    with (CHARTS / "ucoa.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(
            AccountSpec(
                code=row["code"].strip(),
                name=row["name"].strip(),
                type=row["type"].strip(),
                normal_balance=row["normal_balance"].strip(),
                parent_code=row["parent"].strip(),
                ucoa_code=row["ucoa_code"].strip(),
            )
            for row in csv.DictReader(handle)
        )


@cache
def chart_funds() -> tuple[FundSpec, ...]:
    with (CHARTS / "funds.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(
            FundSpec(
                code=row["code"].strip(),
                name=row["name"].strip(),
                restriction=row["restriction"].strip(),
                description=row["description"].strip(),
            )
            for row in csv.DictReader(handle)
        )


@cache
def chart_programs() -> tuple[ProgramSpec, ...]:
    with (CHARTS / "programs.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(
            ProgramSpec(
                code=row["code"].strip(),
                name=row["name"].strip(),
                description=row["description"].strip(),
            )
            for row in csv.DictReader(handle)
        )


@cache
def seed_key() -> str:
    """Names the chart data (the files' contents): a spare seeded with another is not used."""
    digest = hashlib.sha256()
    for path in sorted(CHARTS.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def chart_seed() -> None:
    """Load the chart of accounts, default funds and programs into the current schema, unless
    it has them (idempotent). What a spare schema is given when it is made: its fiscal year is
    opened when an organization claims it, by the day of the signup, not of the refill."""
    if not account_list().exists():
        chart_load(accounts=chart_accounts(), funds=chart_funds(), programs=chart_programs())


def tenant_seed() -> None:
    """Load the chart (chart_seed) and open the current fiscal year (idempotent).

    A schema made from a seeded spare has the chart already, loaded when the spare was made
    (provisioning.spares, with the chart of the same `seed_key`; a seed runs in one
    transaction, so a chart that is there is whole): only the fiscal year of today is opened,
    three queries instead of the chart's comparison and inserts.
    """
    chart_seed()
    books_open(today=timezone.localdate())
