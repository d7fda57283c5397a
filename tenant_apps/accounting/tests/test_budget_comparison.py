"""The approved budget beside the statements of activities and functional expenses: a worked
example computed by hand (to the cent), the months a budget plans (whole months, across fiscal
years, only approved budgets), the statements that refuse a budget, the API with its CSV, the
page with its caption and a fixed number of queries, and the board packet."""

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
from rest_framework.test import APIClient

from saas_platform.lib.errors import ServiceError
from tenant_apps.accounting import reports
from tenant_apps.accounting.board_packet import board_packet_render
from tenant_apps.accounting.models import Budget
from tenant_apps.accounting.services import postings
from tenant_apps.accounting.services.budgets import (
    BudgetRowSpec,
    budget_amounts_save,
    budget_approve,
    budget_create,
    spread_evenly,
)
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import JournalEntryFactory
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/accounting/reports"
PAGE = "/accounting/reports"
FIRST_QUARTER = {"start": date(2026, 1, 1), "end": date(2026, 3, 31)}


def _expense(day: date, account: str, amount: str) -> None:
    JournalEntryFactory.create(
        date=day,
        memo="Expense",
        posted=True,
        lines=[
            LineSpec(account=account, fund="GEN", debit=amount, function="management_general"),
            LineSpec(account="1010", fund="GEN", credit=amount),
        ],
    )


def _gift(day: date, amount: str) -> None:
    postings.post_contribution(date=day, amount=Decimal(amount), fund="GEN", acting_user=None)


def _budget(name: str, fiscal_year: int, rows: list[BudgetRowSpec], *, approve: bool) -> Budget:
    budget = budget_create(name=name, fiscal_year=fiscal_year, acting_user=None)
    budget_amounts_save(budget=budget, rows=rows, acting_user=None)
    if approve:
        budget_approve(budget=budget, acting_user=None)
    return budget


def _worked_example() -> Budget:
    """FY2026 (January to December), approved: individual contributions (4010) 1,000.00 a
    month; corporate contributions (4020) 500.00 in March only; salaries (7020) 2,500.00 a
    month for every program and 200.00 a month more for program services (PRG); supplies
    (8110) 1,000.00 a year spread evenly (83.33 from January to August). A draft of the same
    year budgets 9,999.00 a month of individual contributions, and counts for nothing.

    Posted in the first quarter: gifts of 900.00, 1,100.00 and 1,250.50; salaries (management
    and general) of 2,400.00, 2,500.00 and 2,600.00; supplies of 50.00 and 100.00; travel
    (8310, not budgeted) of 40.00. Outside it: a gift of 777.00 on 31 December 2025 (the net
    assets at the start), one of 888.00 and supplies of 99.00 on 1 April 2026."""
    approved = _budget(
        "Operating budget",
        2026,
        [
            BudgetRowSpec(account="4010", amounts=[Decimal("1000.00")] * 12),
            BudgetRowSpec(
                account="4020",
                amounts=[*[Decimal("0")] * 2, Decimal("500.00"), *[Decimal("0")] * 9],
            ),  # fmt: skip
            BudgetRowSpec(account="7020", amounts=[Decimal("2500.00")] * 12),
            BudgetRowSpec(account="7020", program="PRG", amounts=[Decimal("200.00")] * 12),
            BudgetRowSpec(account="8110", amounts=spread_evenly(Decimal("1000.00"))),
        ],
        approve=True,
    )
    _budget(
        "Hopeful revision",
        2026,
        [BudgetRowSpec(account="4010", amounts=[Decimal("9999.00")] * 12)],
        approve=False,
    )
    for month, gift, salaries in ((1, "900.00", "2400.00"), (2, "1100.00", "2500.00"),
                                  (3, "1250.50", "2600.00")):  # fmt: skip
        _gift(date(2026, month, 10), gift)
        _expense(date(2026, month, 25), "7020", salaries)
    _expense(date(2026, 2, 12), "8110", "50.00")
    _expense(date(2026, 3, 31), "8110", "100.00")
    _expense(date(2026, 3, 3), "8310", "40.00")
    _gift(date(2025, 12, 31), "777.00")
    _gift(date(2026, 4, 1), "888.00")
    _expense(date(2026, 4, 1), "8110", "99.00")
    return approved


def _table(report: reports.Report) -> dict[str, list[str]]:
    """Each row's label and its cells as CSV writes them."""
    return {cells[0]: cells[1:] for cells in report.as_table()[1:]}


def test_the_statement_of_activities_beside_the_budget_to_the_cent(in_alpha: Tenant) -> None:
    _worked_example()

    report = reports.activities(**FIRST_QUARTER, compare="budget")

    rows = _table(report)
    assert report.as_table()[0][-2:] == ["Budget", "Over (under) budget"]
    # Without, with, total; then the budget and the actual over (under) it.
    # Individual: 900.00 + 1,100.00 + 1,250.50 = 3,250.50 against 3 x 1,000.00.
    assert rows["4010 Individual contributions"] == [
        "3250.50", "0.00", "3250.50", "3000.00", "250.50",
    ]  # fmt: skip
    # Budgeted but nothing given: shown at zero, 500.00 under.
    assert rows["4020 Corporate contributions"] == ["0.00", "0.00", "0.00", "500.00", "-500.00"]
    # No budget plans releases, functions or net assets: nothing beside them.
    assert rows["Net assets released from restrictions"][-2:] == ["", ""]
    assert rows["Management and general"] == ["7690.00", "0.00", "7690.00", "", ""]
    assert rows["Net assets, beginning of period"] == ["777.00", "0.00", "777.00", "", ""]
    assert rows["Net assets, end of period"][-2:] == ["", ""]
    # 3,250.50 against 3,000.00 + 500.00 = 3,500.00.
    assert rows["Total revenue and support"] == [
        "3250.50", "0.00", "3250.50", "3500.00", "-249.50",
    ]  # fmt: skip
    # Salaries 3 x (2,500.00 + 200.00) = 8,100.00, supplies 3 x 83.33 = 249.99: 8,349.99
    # against 7,500.00 + 150.00 + 40.00 = 7,690.00.
    assert rows["Total expenses"] == ["7690.00", "0.00", "7690.00", "8349.99", "-659.99"]
    # 3,250.50 - 7,690.00 = -4,439.50 against 3,500.00 - 8,349.99 = -4,849.99.
    assert rows["Change in net assets"] == [
        "-4439.50", "0.00", "-4439.50", "-4849.99", "410.49",
    ]  # fmt: skip
    labels = [row.cells[0] for row in report.rows]
    assert labels.index("4010 Individual contributions") < labels.index(
        "4020 Corporate contributions"
    ) < labels.index("Net assets released from restrictions")  # fmt: skip

    data = report.as_json()
    assert data["parameters"]["compare"] == "budget"
    comparison = data["comparison"]
    assert [budget["name"] for budget in comparison["budgets"]] == ["Operating budget"]
    assert comparison["total_revenue_and_support"] == "3500.00"
    assert comparison["total_expenses"] == "8349.99"
    assert comparison["change_in_net_assets"] == "-4849.99"


def test_the_statement_of_functional_expenses_beside_the_budget_to_the_cent(
    in_alpha: Tenant,
) -> None:
    _worked_example()

    report = reports.functional_expenses(**FIRST_QUARTER, compare="budget")

    rows = _table(report)
    header = report.as_table()[0]
    assert header[-4:] == ["Fundraising", "Total expenses", "Budget", "Over (under) budget"]
    # The program's salaries line and the line for every program add up: 8,100.00.
    assert rows["7020"][-3:] == ["7500.00", "8100.00", "-600.00"]
    assert rows["8110"][-3:] == ["150.00", "249.99", "-99.99"]
    assert rows["8310"][-3:] == ["40.00", "0.00", "40.00"]  # spent, not budgeted
    assert rows["Total"][-3:] == ["7690.00", "8349.99", "-659.99"]
    assert report.as_json()["comparison"]["expenses"][0] == {
        "account": "7020",
        "name": "Salaries - other staff",
        "budget": "8100.00",
    }


def test_a_period_across_two_fiscal_years_sums_each_years_budget(in_alpha: Tenant) -> None:
    _worked_example()
    _budget(
        "Operating 2025",
        2025,
        [BudgetRowSpec(account="4010", amounts=[Decimal("100.00")] * 12)],
        approve=True,
    )

    report = reports.activities(start=date(2025, 11, 1), end=date(2026, 1, 31), compare="budget")

    # November and December 2025 at 100.00, January 2026 at 1,000.00; given 777.00 and 900.00.
    assert _table(report)["4010 Individual contributions"] == [
        "1677.00", "0.00", "1677.00", "1200.00", "477.00",
    ]  # fmt: skip
    assert reports.budgets_text(report) == (
        "the approved budgets “Operating 2025” (FY2025) and “Operating budget” (FY2026)"
    )


def test_months_no_approved_budget_plans_are_refused_by_fiscal_year(in_alpha: Tenant) -> None:
    _budget(
        "Draft only",
        2026,
        [BudgetRowSpec(account="4010", amounts=[Decimal("10.00")] * 12)],
        approve=False,
    )

    with pytest.raises(ServiceError, match="No approved budget for FY2026") as refused:
        reports.activities(**FIRST_QUARTER, compare="budget")
    assert list(refused.value.fields) == ["compare"]
    with pytest.raises(ServiceError, match="No approved budget for FY2025 or FY2026"):
        reports.functional_expenses(
            start=date(2025, 12, 1), end=date(2026, 1, 31), compare="budget"
        )


def test_a_budget_needs_whole_months_and_a_balance_sheet_takes_none(in_alpha: Tenant) -> None:
    _worked_example()

    with pytest.raises(ServiceError, match="such as 1 January 2026 to 31 March 2026"):
        reports.activities(start=date(2026, 1, 1), end=date(2026, 3, 15), compare="budget")
    with pytest.raises(ServiceError, match="not the balances on a date"):
        reports.financial_position(as_of=date(2026, 3, 31), compare="budget")


# --- The API -----------------------------------------------------------------------------------


def test_the_api_gives_the_budget_beside_the_statement_and_as_csv(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    _worked_example()
    query = {"start": "2026-01-01", "end": "2026-03-31", "compare": "budget"}

    response = bookkeeper.get(f"{API}/activities/", query)
    download = bookkeeper.get(f"{API}/functional-expenses/", {**query, "format": "csv"})

    assert response.status_code == 200
    assert response.json()["comparison"]["total_expenses"] == "8349.99"
    table = list(csv.reader(io.StringIO(download.content.decode())))
    assert table[0][-2:] == ["Budget", "Over (under) budget"]
    assert table[-1][-3:] == ["7690.00", "8349.99", "-659.99"]


def test_the_api_refuses_a_budget_where_it_means_nothing_with_a_400(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    position = bookkeeper.get(f"{API}/financial-position/", {"compare": "budget"})
    trial = bookkeeper.get(f"{API}/trial-balance/", {"compare": "budget"})
    no_budget = bookkeeper.get(
        f"{API}/activities/", {"start": "2026-01-01", "end": "2026-01-31", "compare": "budget"}
    )
    partial = bookkeeper.get(
        f"{API}/activities/", {"start": "2026-01-02", "end": "2026-01-31", "compare": "budget"}
    )

    assert api_error(position, 400)["fields"] == {
        "compare": ["No budget plans balances on a date."]
    }
    assert list(api_error(trial, 400)["fields"]) == ["compare"]
    assert api_error(no_budget, 400)["message"].startswith("No approved budget for FY2026:")
    assert "whole months" in api_error(partial, 400)["fields"]["compare"][0]


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_the_budget_and_says_when_there_is_none(alpha: Tenant) -> None:
    client = alpha.client(alpha.user("viewer"))
    query = {"start": "2026-01-01", "end": "2026-03-31", "compare": "budget"}

    missing = client.get(f"{PAGE}/activities/", query)
    assert missing.status_code == 400
    assert "No approved budget for FY2026" in missing.content.decode()
    assert "<table" not in missing.content.decode()

    with schema_context("alpha"):
        _worked_example()
    response = client.get(f"{PAGE}/activities/", query)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="col" class="num">Budget</th>' in html
    assert '<th scope="col" class="num">Over (under) budget</th>' in html
    assert "beside the approved budget “Operating budget” (FY2026)" in html
    assert '<td class="num">8,349.99</td>' in html
    assert '<td class="num">(659.99)</td>' in html
    assert '<option value="budget" selected>Budget</option>' in html
    assert "compare=budget" in html  # the CSV link carries it

    # The statement of financial position does not offer it, and refuses it by address.
    position = client.get(f"{PAGE}/financial-position/")
    assert 'value="budget"' not in position.content.decode()
    refused = client.get(f"{PAGE}/financial-position/", {"compare": "budget"})
    assert refused.status_code == 400
    assert 'role="alert"' in refused.content.decode()


def test_the_page_beside_the_budget_runs_a_fixed_number_of_queries(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.owner)
    with schema_context("alpha"):
        budget = _worked_example()
    query = {"start": "2026-01-01", "end": "2026-03-31", "compare": "budget"}
    client.get(f"{PAGE}/functional-expenses/", query)  # warms the routing cache
    with count_queries() as few:
        assert client.get(f"{PAGE}/functional-expenses/", query).status_code == 200

    with schema_context("alpha"):
        for account in ("8130", "8140", "8170", "8210", "8220"):
            _expense(date(2026, 2, 5), account, "12.00")
        _budget(
            "Operating 2025",
            2025,
            [BudgetRowSpec(account="8320", amounts=[Decimal("5.00")] * 12)],
            approve=True,
        )
        budget.lines.update(amounts=[Decimal("7.00")] * 12)
    with count_queries() as many:
        response = client.get(f"{PAGE}/functional-expenses/", {**query, "start": "2025-12-01"})

    assert response.status_code == 200
    assert "Conferences and meetings" in response.content.decode()
    assert len(many) == len(few), [item["sql"] for item in many]


# --- The board packet --------------------------------------------------------------------------


def test_the_board_packet_puts_the_budget_beside_the_period_statements(in_alpha: Tenant) -> None:
    _worked_example()

    pdf = board_packet_render(
        organization="Alpha", start=date(2026, 1, 1), end=date(2026, 3, 31), compare="budget"
    )

    text = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert "Statement of financial position" in text[0]
    assert "Budget" not in text[0]  # balances stand alone
    assert 'beside the approved budget "Operating budget" (FY2026)' in text[1]
    assert "Total revenue and support 3,250.50 0.00 3,250.50 3,500.00 (249.50)" in text[1]
    assert "Total 0.00 7,690.00 0.00 7,690.00 8,349.99 (659.99)" in text[2]


def test_the_board_packet_page_takes_the_budget_and_says_when_there_is_none(
    alpha: Tenant,
) -> None:
    client = alpha.client(alpha.user("bookkeeper"))
    quarter = {"start": "2026-01-01", "end": "2026-03-31", "compare": "budget"}
    # Longer than a year: made in the background, but refused before it is queued.
    long = {"start": "2025-01-01", "end": "2026-03-31", "compare": "budget"}

    missing = client.post("/accounting/board-packet/", quarter)
    missing_long = client.post("/accounting/board-packet/", long)
    assert missing.status_code == missing_long.status_code == 400
    assert "No approved budget for FY2026" in missing.content.decode()
    assert "No approved budget for FY2025 or FY2026" in missing_long.content.decode()

    with schema_context("alpha"):
        _worked_example()
    response = client.post("/accounting/board-packet/", quarter)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert "Total expenses 7,690.00 0.00 7,690.00 8,349.99 (659.99)" in text[1]
