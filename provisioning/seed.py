"""Seed data for a new tenant, read from the files in provisioning/charts/."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from django.utils import timezone

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


def tenant_seed() -> None:
    """Load the chart of accounts, default funds and programs into the current schema and open
    the current fiscal year (idempotent)."""
    chart_load(accounts=chart_accounts(), funds=chart_funds(), programs=chart_programs())
    books_open(today=timezone.localdate())
