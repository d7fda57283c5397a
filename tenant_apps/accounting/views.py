"""Pages of the accounting reports: an index, and one page per report with its parameters as a
form, the report as a table and a link to the same report as CSV (served by the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from saas_platform.lib.report_pages import (
    PeriodForm,
    date_field,
    day_text,
    period_text,
    reader_required,
    render_report,
)
from shared_apps.users.roles import Capability
from tenant_apps.accounting import reports, selectors
from tenant_apps.accounting.models import AccountType
from tenant_apps.accounting.reports import REPORTS, Report

# --- Parameters --------------------------------------------------------------------------------


def _fund_field() -> forms.ChoiceField:
    return forms.ChoiceField(label="Fund", required=False)


def _fund_choices() -> list[tuple[str, str]]:
    return [("", "All funds")] + [
        (fund.code, f"{fund.code} {fund.name}{'' if fund.is_active else ' (inactive)'}")
        for fund in selectors.fund_list()
    ]


def _account_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Accounts that can hold postings (summary accounts never do), grouped by type."""
    accounts = list(selectors.account_list())
    parents = {account.parent_id for account in accounts}
    groups: dict[str, list[tuple[str, str]]] = {label: [] for label in AccountType.labels}
    for account in accounts:
        if account.pk in parents:
            continue
        label = f"{account.code} {account.name}{'' if account.is_active else ' (inactive)'}"
        groups[AccountType(account.type).label].append((account.code, label))
    return [(group, choices) for group, choices in groups.items() if choices]


class AsOfForm(forms.Form):
    as_of = date_field("As of")


def _compare_field(comparisons: dict[str, str]) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Compare with",
        required=False,
        choices=[("", "Nothing"), *comparisons.items()],
    )


class ComparedAsOfForm(AsOfForm):
    # No budget plans balances on a date: a balance is compared with earlier ones only.
    compare = _compare_field(reports.PRIOR_COMPARISONS)


class ComparedPeriodForm(PeriodForm):
    compare = _compare_field(reports.COMPARISONS)


class TrialBalanceForm(AsOfForm):
    fund = _fund_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["fund"]).choices = _fund_choices()


class GeneralLedgerForm(PeriodForm):
    account = forms.ChoiceField(label="Account")
    fund = _fund_field()

    field_order = ["account", "start", "end", "fund"]
    # Without an account there is no ledger to show: a first visit gets the form only.
    required_choices = ("account",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["account"]).choices = _account_choices()
        cast(forms.ChoiceField, self.fields["fund"]).choices = _fund_choices()


@dataclass(frozen=True)
class ReportPage:
    name: str
    title: str
    summary: str
    form_class: type[forms.Form]


PAGES = {
    page.name: page
    for page in (
        ReportPage(
            "trial-balance",
            "Trial balance",
            "Every account's debit or credit balance on a date, for all funds or one.",
            TrialBalanceForm,
        ),
        ReportPage(
            "financial-position",
            "Statement of financial position",
            "Assets, liabilities and net assets with and without donor restrictions on a date.",
            ComparedAsOfForm,
        ),
        ReportPage(
            "activities",
            "Statement of activities",
            "Revenue, support, releases from restriction and expenses over a period.",
            ComparedPeriodForm,
        ),
        ReportPage(
            "functional-expenses",
            "Statement of functional expenses",
            "Expenses by nature and function (programs, management and general, fundraising).",
            ComparedPeriodForm,
        ),
        ReportPage(
            "fund-balances",
            "Fund balances",
            "Each fund's assets, liabilities and net assets on a date.",
            AsOfForm,
        ),
        ReportPage(
            "general-ledger",
            "General ledger",
            "Every line of one account over a period, with its running balance.",
            GeneralLedgerForm,
        ),
    )
}


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _form_data(form_class: type[forms.Form], query: QueryDict) -> dict[str, str]:
    """The query's parameters, with today for a missing date and the start of the fiscal year
    (of the end date) for a missing start."""
    data = {name: query.get(name, "").strip() for name in form_class.base_fields}
    today = timezone.localdate()
    for name in ("as_of", "end"):
        if name in data and not data[name]:
            data[name] = today.isoformat()
    if "start" in data and not data["start"]:
        start_month = selectors.accounting_settings().fiscal_year_start_month
        data["start"] = _fiscal_year_start(_iso_date(data["end"]) or today, start_month).isoformat()
    return data


def _fiscal_year_start(day: date, start_month: int) -> date:
    try:
        fiscal_year = selectors.fiscal_year_of(day, start_month=start_month)
        start, _ = selectors.fiscal_year_bounds(fiscal_year, start_month=start_month)
    except ValueError:  # a fiscal year reaching past year 1 or 9999: start from today's
        return _fiscal_year_start(timezone.localdate(), start_month)
    return start


def _report_arguments(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (value or None) if name in ("fund", "compare") else value
        for name, value in cleaned.items()
    }


# --- Views -------------------------------------------------------------------------------------


accounting_reader_required = reader_required(
    Capability.ACCOUNTING_READ, "Your role does not allow reading the books."
)


@accounting_reader_required
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "accounting/index.html", {"pages": PAGES.values()})


def _caption(report: Report, parameters: dict[str, Any]) -> str:
    if parameters.get("as_of"):
        text = f"as of {day_text(parameters['as_of'])}"
    else:
        text = period_text(parameters["start"], parameters["end"])
    if parameters.get("fund"):
        text += f", fund {parameters['fund']}"
    if parameters.get("compare") == reports.BUDGET:
        text += f", beside {reports.budgets_text(report)}"
    elif parameters.get("compare"):
        dated = {name: parameters[name] for name in ("as_of", "start", "end") if name in parameters}
        prior = reports.prior_dates(parameters["compare"], **dated)
        label = reports.COMPARISONS[parameters["compare"]].lower()
        if "as_of" in prior:
            text += f", beside the {label} ({day_text(prior['as_of'])})"
        else:
            text += f", beside the {label} ({period_text(prior['start'], prior['end'])})"
    return text


def _run(name: str, query: QueryDict, arguments: dict[str, Any]) -> Report:
    if name == "general-ledger":
        # A busy account has tens of thousands of lines a year: the page shows them a page
        # at a time, from the place in the ledger its address names.
        return reports.general_ledger_page(
            **arguments, after=query.get("after", ""), before=query.get("before", "")
        )
    return REPORTS[name](**arguments)


@accounting_reader_required
def report_detail(request: HttpRequest, name: str) -> HttpResponse:
    page = PAGES.get(name)
    if page is None:
        raise Http404("There is no such report.")
    required = getattr(page.form_class, "required_choices", ())
    data = _form_data(page.form_class, request.GET)
    if any(field not in request.GET for field in required):
        form = page.form_class(initial=data)
    else:
        form = page.form_class(data)
    return render_report(
        request,
        form=form,
        run=lambda cleaned: _run(name, request.GET, _report_arguments(cleaned)),
        title=page.title,
        index=(reverse("accounting:index"), "Financial reports"),
        csv_path=f"/api/v1/accounting/reports/{name}/",
        caption=_caption,
        subnav="accounting/_subnav.html",
    )
