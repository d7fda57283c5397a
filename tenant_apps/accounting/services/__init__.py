"""Accounting's interface to the rest of the project: the writes to the books (and the few reads
of the fiscal calendar) that other apps, provisioning and the benchmarks call, as
`from tenant_apps.accounting import services as accounting`. Other apps post through these,
never through the models.

The writes live in one module per domain object: `periods` (fiscal years, periods, settings),
`chart` (accounts, funds, programs), `lines` (the rules an entry's lines are checked by),
`entries` (draft, post, reverse, delete), `postings` (the posting rules other apps call) and
`budgets` (a fiscal year's amounts by account and month).
Accounting's own code imports from those modules, and its reads from `selectors`.
"""

from tenant_apps.accounting.selectors import (
    accounting_settings,
    books_reference_kept,
    fiscal_year_bounds,
    fiscal_year_of,
    fiscal_year_start,
)
from tenant_apps.accounting.services.budgets import (
    BudgetRowSpec,
    budget_amounts_save,
    budget_approve,
    budget_create,
    spread_evenly,
)
from tenant_apps.accounting.services.chart import (
    CODE_PATTERN,
    AccountSpec,
    FundSpec,
    ProgramSpec,
    chart_load,
    fund_create,
    program_create,
)
from tenant_apps.accounting.services.entries import EntrySpec, entry_reverse
from tenant_apps.accounting.services.lines import LineSpec, funds_by_code
from tenant_apps.accounting.services.periods import (
    books_open,
    fiscal_year_open,
    period_close,
    period_for_date,
    settings_update,
)
from tenant_apps.accounting.services.postings import (
    entries_record,
    entry_record,
    fee_entry,
    post_contribution,
    post_fee,
)

__all__ = [
    "CODE_PATTERN",
    "AccountSpec",
    "BudgetRowSpec",
    "EntrySpec",
    "FundSpec",
    "LineSpec",
    "ProgramSpec",
    "accounting_settings",
    "books_open",
    "books_reference_kept",
    "budget_amounts_save",
    "budget_approve",
    "budget_create",
    "chart_load",
    "entries_record",
    "entry_record",
    "entry_reverse",
    "fee_entry",
    "fiscal_year_bounds",
    "fiscal_year_of",
    "fiscal_year_open",
    "fiscal_year_start",
    "fund_create",
    "funds_by_code",
    "period_close",
    "period_for_date",
    "post_contribution",
    "post_fee",
    "program_create",
    "settings_update",
    "spread_evenly",
]
