"""Budget versus actual: a worked example computed by hand (to the cent, with the variances,
their percents and the year to date), the favourable sense of revenue and expense variances,
the fund filter, the page with its CSV and PDF, and a fixed number of queries."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from pypdf import PdfReader

from saas_platform.lib.errors import ServiceError
from tenant_apps.accounting.budget_reports import budget_versus_actual
from tenant_apps.accounting.models import Budget
from tenant_apps.accounting.services import postings
from tenant_apps.accounting.services.budgets import (
    BudgetRowSpec,
    budget_amounts_save,
    budget_create,
    spread_evenly,
)
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import JournalEntryFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

REPORT = "/accounting/budgets/report/"


def _expense(day: date, account: str, amount: str, fund: str = "GEN") -> None:
    JournalEntryFactory.create(
        date=day,
        memo="Expense",
        posted=True,
        lines=[
            LineSpec(account=account, fund=fund, debit=amount, function="management_general"),
            LineSpec(account="1010", fund=fund, credit=amount),
        ],
    )


def _gift(day: date, amount: str, fund: str = "GEN") -> None:
    postings.post_contribution(date=day, amount=Decimal(amount), fund=fund, acting_user=None)


def _worked_example() -> Budget:
    """FY2026 (January to December), budgeted: individual contributions (4010) 1,000.00 a
    month; salaries (7020) 2,500.00 a month; supplies (8110) 1,000.00 a year spread evenly
    (83.33 from January to August, 83.34 from September).

    Posted: gifts of 900.00 in January, 1,100.00 in February and 1,250.50 in March; salaries of
    2,400.00, 2,500.00 and 2,600.00 in those months; supplies of 50.00 in February and 100.00
    in March. Outside the year to date of March, and so in no figure: a gift of 777.00 on
    31 December 2025, one of 888.00 and supplies of 99.00 on 1 April 2026."""
    budget = budget_create(name="Operating budget", fiscal_year=2026, acting_user=None)
    budget_amounts_save(
        budget=budget,
        rows=[
            BudgetRowSpec(account="4010", amounts=[Decimal("1000.00")] * 12),
            BudgetRowSpec(account="7020", amounts=[Decimal("2500.00")] * 12),
            BudgetRowSpec(account="8110", amounts=spread_evenly(Decimal("1000.00"))),
        ],
        acting_user=None,
    )
    for month, gift, salaries in ((1, "900.00", "2400.00"), (2, "1100.00", "2500.00"),
                                  (3, "1250.50", "2600.00")):  # fmt: skip
        _gift(date(2026, month, 10), gift)
        _expense(date(2026, month, 25), "7020", salaries)
    _expense(date(2026, 2, 12), "8110", "50.00")
    _expense(date(2026, 3, 31), "8110", "100.00")
    _gift(date(2025, 12, 31), "777.00")
    _gift(date(2026, 4, 1), "888.00")
    _expense(date(2026, 4, 1), "8110", "99.00")
    return budget


def _table(report_rows: list[list[str]]) -> dict[str, list[str]]:
    """Each row's label and its cells as CSV writes them."""
    return {cells[0]: cells[1:] for cells in report_rows}


def test_the_worked_example_to_the_cent(in_alpha: Tenant) -> None:
    budget = _worked_example()

    report = budget_versus_actual(budget=budget.pk, month=date(2026, 3, 15))

    rows = _table(report.as_table()[1:])
    # Month: actual, budget, variance, %; year to date: actual, budget, variance, %.
    # Revenue above budget is favourable: 1,250.50 - 1,000.00 = 250.50, 25.05% -> 25.1;
    # to date 3,250.50 - 3,000.00 = 250.50, 8.35% -> 8.4.
    assert rows["4010 Individual contributions"] == [
        "1250.50", "1000.00", "250.50", "25.1", "3250.50", "3000.00", "250.50", "8.4",
    ]  # fmt: skip
    # Salaries above budget are unfavourable: 2,500.00 - 2,600.00 = -100.00, -4.0%; to date
    # 7,500.00 against 7,500.00.
    assert rows["7020 Salaries - other staff"] == [
        "2600.00", "2500.00", "-100.00", "-4.0", "7500.00", "7500.00", "0.00", "0.0",
    ]  # fmt: skip
    # Supplies: 83.33 - 100.00 = -16.67, -20.0%; to date 249.99 - 150.00 = 99.99, 40.0%.
    assert rows["8110 Supplies"] == [
        "100.00", "83.33", "-16.67", "-20.0", "150.00", "249.99", "99.99", "40.0",
    ]  # fmt: skip
    assert rows["Total revenue"] == [
        "1250.50", "1000.00", "250.50", "25.1", "3250.50", "3000.00", "250.50", "8.4",
    ]  # fmt: skip
    # 2,583.33 - 2,700.00 = -116.67, -4.516% -> -4.5; 7,749.99 - 7,650.00 = 99.99, 1.290% -> 1.3.
    assert rows["Total expenses"] == [
        "2700.00", "2583.33", "-116.67", "-4.5", "7650.00", "7749.99", "99.99", "1.3",
    ]  # fmt: skip
    # Net: -1,449.50 against -1,583.33 budgeted is 133.83 better, 8.452% -> 8.5 of the budget's
    # size; to date -4,399.50 against -4,749.99: 350.49, 7.379% -> 7.4.
    assert rows["Net (revenue less expenses)"] == [
        "-1449.50", "-1583.33", "133.83", "8.5", "-4399.50", "-4749.99", "350.49", "7.4",
    ]  # fmt: skip
    assert [row.kind for row in report.rows] == [
        "heading", "line", "total", "heading", "line", "line", "total", "total",
    ]  # fmt: skip


def test_an_account_moved_but_not_budgeted_shows_with_no_percent(in_alpha: Tenant) -> None:
    budget = _worked_example()
    _expense(date(2026, 3, 3), "8310", "40.00")

    report = budget_versus_actual(budget=budget.pk, month=date(2026, 3, 1))

    assert _table(report.as_table()[1:])["8310 Travel"] == [
        "40.00", "0.00", "-40.00", "", "40.00", "0.00", "-40.00", "",
    ]  # fmt: skip


def test_a_fund_filter_compares_the_fund_budget_with_the_fund_books(in_alpha: Tenant) -> None:
    budget = budget_create(name="Restricted", fiscal_year=2026, acting_user=None)
    budget_amounts_save(
        budget=budget,
        rows=[
            BudgetRowSpec(account="4010", fund="PRP", amounts=[Decimal("500.00")] * 12),
            BudgetRowSpec(account="4010", amounts=[Decimal("1000.00")] * 12),
        ],
        acting_user=None,
    )
    _gift(date(2026, 5, 2), "450.00", fund="PRP")
    _gift(date(2026, 5, 3), "3000.00", fund="GEN")

    report = budget_versus_actual(budget=budget.pk, month=date(2026, 5, 1), fund="PRP")
    everything = budget_versus_actual(budget=budget.pk, month=date(2026, 5, 1))

    assert _table(report.as_table()[1:])["4010 Individual contributions"][:4] == [
        "450.00", "500.00", "-50.00", "-10.0",
    ]  # fmt: skip
    assert _table(everything.as_table()[1:])["4010 Individual contributions"][:3] == [
        "3450.00", "1500.00", "1950.00",
    ]  # fmt: skip
    with pytest.raises(ServiceError, match="no fund"):
        budget_versus_actual(budget=budget.pk, month=date(2026, 5, 1), fund="NOPE")


def test_a_month_outside_the_budget_year_is_refused(in_alpha: Tenant) -> None:
    budget = budget_create(name="Operating", fiscal_year=2026, acting_user=None)

    with pytest.raises(ServiceError, match="January 2027 is not in FY2026"):
        budget_versus_actual(budget=budget.pk, month=date(2027, 1, 1))
    with pytest.raises(ServiceError, match="no such budget"):
        budget_versus_actual(budget=budget.pk + 1000, month=date(2026, 1, 1))


# --- The page ----------------------------------------------------------------------------------


def test_the_page_prints_money_with_parentheses_and_offers_csv_and_pdf(alpha: Tenant) -> None:
    with schema_context("alpha"):
        budget = _worked_example()
    client = alpha.client(alpha.user("viewer"))

    response = client.get(REPORT, {"budget": str(budget.pk), "month": "2026-03"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="num">$1,000.00</td>' in html
    assert '<td class="num">($1,449.50)</td>' in html
    assert '<td class="num">($16.67)</td>' in html
    assert '<td class="num">25.1%</td>' in html
    assert "March 2026 and the year to date" in html
    assert f"?format=pdf&amp;budget={budget.pk}&amp;month=2026-03" in html

    download = client.get(REPORT, {"budget": str(budget.pk), "month": "2026-03", "format": "csv"})
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.getvalue().decode())))
    assert rows[0][:3] == ["Account", "Month actual", "Month budget"]
    net = ["Net (revenue less expenses)", "-1449.50", "-1583.33", "133.83", "8.5"]
    assert rows[-1][:5] == net

    pdf = client.get(REPORT, {"budget": str(budget.pk), "month": "2026-03", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Budget versus actual: Operating budget" in text
    assert "($1,449.50)" in text


def test_a_first_visit_shows_the_latest_budget_and_bad_input_is_a_clear_400(
    alpha: Tenant,
) -> None:
    client = alpha.client(alpha.user("bookkeeper"))
    assert "no budget yet" in client.get(REPORT).content.decode()
    with schema_context("alpha"):
        budget = _worked_example()

    first = client.get(REPORT)
    assert first.status_code == 200
    assert "Budget versus actual: Operating budget" in first.content.decode()
    # From the budget's page: its budget, this month if in its year, else the nearest.
    chosen = client.get(REPORT, {"budget": str(budget.pk)})
    assert chosen.status_code == 200
    assert "and the year to date" in chosen.content.decode()

    queries: list[dict[str, str]] = [
        {"budget": str(budget.pk), "month": "2027-01"},
        {"budget": str(budget.pk), "month": "March"},
        {"budget": "x", "month": "2026-03"},
        {"budget": str(budget.pk), "month": "2027-01", "format": "csv"},
    ]
    for query in queries:
        response = client.get(REPORT, query)
        assert response.status_code == 400, query
        assert 'role="alert"' in response.content.decode()


def test_roles_without_the_books_are_refused(alpha: Tenant) -> None:
    client = alpha.client(alpha.user("volunteer_coordinator"))
    assert client.get(REPORT).status_code == 403


def test_the_report_page_runs_a_fixed_number_of_queries(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.owner)
    with schema_context("alpha"):
        budget = _worked_example()
    query = {"budget": str(budget.pk), "month": "2026-03"}
    client.get(REPORT, query)  # warms the routing cache
    with count_queries() as few:
        assert client.get(REPORT, query).status_code == 200

    with schema_context("alpha"):
        for account in ("8130", "8140", "8170", "8210", "8220"):
            _expense(date(2026, 3, 5), account, "12.00")
        budget_amounts_save(
            budget=budget,
            rows=[
                BudgetRowSpec(account=code, amounts=[Decimal("10.00")] * 12)
                for code in ("4010", "4020", "4030", "7020", "7220", "8110", "8310", "8320")
            ],
            acting_user=None,
        )
    with count_queries() as many:
        response = client.get(REPORT, query)

    assert response.status_code == 200
    assert "8320 Conferences and meetings" in response.content.decode()
    assert len(many) == len(few), [item["sql"] for item in many]
