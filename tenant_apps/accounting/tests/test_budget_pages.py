"""The budget pages: the list (filters, sort, CSV), a new budget, the grid (save, spread, bad
cells refused with nothing saved), the CSV import, approval, roles, another organization's
budgets, and a fixed number of queries."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenant_apps.accounting.models import Budget, BudgetLine, BudgetState
from tenant_apps.accounting.selectors import budgetable_accounts
from tenant_apps.accounting.services.budgets import (
    BudgetRowSpec,
    budget_amounts_save,
    budget_approve,
    budget_create,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

BUDGETS = "/accounting/budgets/"
SAMPLE = Path(__file__).resolve().parents[3] / "tests" / "data" / "budget.csv"


def _budget(name: str = "Operating budget", year: int = 2026) -> Budget:
    with schema_context("alpha"):
        return budget_create(name=name, fiscal_year=year, acting_user=None)


def _amounts(budget: Budget) -> dict[str, list[Decimal]]:
    with schema_context("alpha"):
        return {
            line.account.code: line.amounts
            for line in BudgetLine.objects.filter(budget=budget).select_related("account")
        }


def _grid_post(budget: Budget, cells: dict[str, dict[int | str, str]]) -> dict[str, Any]:
    """The grid's form as a browser sends it: every budgetable account a row, in code order,
    with `cells` typed into some (by account code: month position, or "annual")."""
    with schema_context("alpha"):
        codes = sorted(budgetable_accounts())
    data: dict[str, Any] = {"rows": str(len(codes))}
    for index, code in enumerate(codes):
        data[f"row-{index}-account"] = code
        for month in range(12):
            data[f"row-{index}-m{month}"] = ""
        for key, value in cells.get(code, {}).items():
            data[f"row-{index}-{'annual' if key == 'annual' else f'm{key}'}"] = value
    return data


# --- The list ----------------------------------------------------------------------------------


def test_the_list_filters_sorts_and_exports_what_it_shows(alpha: Tenant) -> None:
    _budget("Operating budget", 2026)
    _budget("Operating budget", 2025)
    with schema_context("alpha"):
        budget_approve(budget=Budget.objects.get(fiscal_year=2025), acting_user=None)
    client = alpha.client(alpha.user("bookkeeper"))

    page = client.get(BUDGETS).content.decode()
    assert "New budget" in page
    assert page.index("FY2026") < page.index("FY2025")  # the latest year first

    approved = client.get(BUDGETS, {"state": "approved"}).content.decode()
    assert "FY2025" in approved and "FY2026" not in approved
    assert "No budget matches" in client.get(BUDGETS, {"fiscal_year": "2024"}).content.decode()
    assert client.get(BUDGETS, {"fiscal_year": "abc", "sort": "nonsense"}).status_code == 200

    download = client.get(BUDGETS, {"format": "csv", "sort": "fiscal_year"})
    rows = list(csv.reader(io.StringIO(download.getvalue().decode())))
    assert rows[0][:3] == ["Name", "Fiscal year", "State"]
    assert [row[1:3] for row in rows[1:]] == [["2025", "Approved"], ["2026", "Draft"]]


def test_readers_see_budgets_without_the_ways_to_change_them(alpha: Tenant) -> None:
    budget = _budget()
    client = alpha.client(alpha.user("viewer"))

    assert "New budget" not in client.get(BUDGETS).content.decode()
    grid = client.get(f"{BUDGETS}{budget.pk}/").content.decode()
    assert "<input" not in grid.split("<table", 1)[1].split("</table>", 1)[0]
    assert client.get(f"{BUDGETS}new/").status_code == 403
    assert client.post(f"{BUDGETS}{budget.pk}/", _grid_post(budget, {})).status_code == 403
    assert client.get(f"{BUDGETS}{budget.pk}/import/").status_code == 403
    assert client.post(f"{BUDGETS}{budget.pk}/approve/").status_code == 403
    refused = alpha.client(alpha.user("volunteer_coordinator"))
    assert refused.get(BUDGETS).status_code == 403
    assert refused.get(f"{BUDGETS}{budget.pk}/").status_code == 403


def test_another_organization_does_not_reach_the_budget(alpha: Tenant, beta: Tenant) -> None:
    budget = _budget()

    assert beta.client(beta.owner).get(f"{BUDGETS}{budget.pk}/").status_code == 404
    assert "Operating budget" not in beta.client(beta.owner).get(BUDGETS).content.decode()


def test_the_list_runs_a_fixed_number_of_queries(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.owner)
    _budget("Budget 1")
    client.get(BUDGETS)
    with count_queries() as few:
        client.get(BUDGETS)
    for number in range(2, 12):
        _budget(f"Budget {number}")
    with count_queries() as many:
        assert "Budget 11" in client.get(BUDGETS).content.decode()
    assert len(many) == len(few)


# --- A new budget ------------------------------------------------------------------------------


def test_a_bookkeeper_makes_a_budget_and_lands_on_its_grid(alpha: Tenant) -> None:
    client = alpha.client(alpha.user("bookkeeper"))

    response = client.post(f"{BUDGETS}new/", {"name": "Operating budget", "fiscal_year": "2026"})

    with schema_context("alpha"):
        budget = Budget.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{BUDGETS}{budget.pk}/"
    again = client.post(f"{BUDGETS}new/", {"name": "Operating budget", "fiscal_year": "2026"})
    assert again.status_code == 400
    assert "Already used for this fiscal year." in again.content.decode()
    assert client.post(f"{BUDGETS}new/", {"name": "", "fiscal_year": "26"}).status_code == 400


# --- The grid ----------------------------------------------------------------------------------


def test_the_grid_saves_typed_amounts_and_spreads_an_annual_one(alpha: Tenant) -> None:
    budget = _budget()
    client = alpha.client(alpha.user("bookkeeper"))
    grid = client.get(f"{BUDGETS}{budget.pk}/").content.decode()
    assert 'aria-label="4010 Individual contributions, Mar"' in grid
    assert "Fiscal year January 2026 to December 2026." in grid

    saved = client.post(
        f"{BUDGETS}{budget.pk}/",
        _grid_post(budget, {"4010": {0: "1,000", 1: "$1,000.50"}, "8110": {"annual": "1000"}}),
    )
    assert saved.status_code == 302
    assert _amounts(budget) == {
        "4010": [Decimal("1000.00"), Decimal("1000.50")] + [Decimal("0.00")] * 10
    }  # "Save budget" leaves the annual column alone

    spread = _grid_post(budget, {"4010": {0: "1000"}, "8110": {"annual": "1000"}})
    spread["action"] = "spread"
    assert client.post(f"{BUDGETS}{budget.pk}/", spread).status_code == 302
    assert _amounts(budget)["8110"] == [Decimal("83.33")] * 8 + [Decimal("83.34")] * 4

    shown = client.get(f"{BUDGETS}{budget.pk}/").content.decode()
    assert 'value="83.34"' in shown
    assert "$1,000.00" in shown  # the total of the year and of January


def test_a_bad_cell_saves_nothing_and_says_which(alpha: Tenant) -> None:
    budget = _budget()
    with schema_context("alpha"):
        budget_amounts_save(
            budget=budget,
            rows=[BudgetRowSpec(account="4010", amounts=[Decimal("5.00")] * 12)],
            acting_user=None,
        )
    client = alpha.client(alpha.user("bookkeeper"))

    response = client.post(
        f"{BUDGETS}{budget.pk}/",
        _grid_post(budget, {"4010": {0: "1000"}, "8110": {2: "ten", 3: "1.234"}}),
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved." in html
    assert "8110 Supplies, Mar: Not a number." in html
    assert "8110 Supplies, Apr: At most 2 decimal places." in html
    assert 'value="ten" aria-label="8110 Supplies, Mar" data-month="2" aria-invalid="true"' in html
    assert _amounts(budget) == {"4010": [Decimal("5.00")] * 12}


def test_an_approved_budget_shows_its_amounts_and_refuses_changes(alpha: Tenant) -> None:
    budget = _budget()
    client = alpha.client(alpha.user("bookkeeper"))
    client.post(f"{BUDGETS}{budget.pk}/", _grid_post(budget, {"4010": {0: "700"}}))

    assert client.post(f"{BUDGETS}{budget.pk}/approve/").status_code == 302
    grid = client.get(f"{BUDGETS}{budget.pk}/").content.decode()
    assert "Approved" in grid and "Return to draft" in grid
    assert 'name="row-0-m0"' not in grid
    refused = client.post(f"{BUDGETS}{budget.pk}/", _grid_post(budget, {"4010": {0: "1"}}))
    assert refused.status_code == 409
    assert "return it to draft" in refused.content.decode()
    assert _amounts(budget) == {"4010": [Decimal("700.00")] + [Decimal("0.00")] * 11}

    client.post(f"{BUDGETS}{budget.pk}/draft/")
    with schema_context("alpha"):
        budget.refresh_from_db()
    assert budget.state == BudgetState.DRAFT


def test_the_grid_runs_a_fixed_number_of_queries(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    budget = _budget()
    client = alpha.client(alpha.owner)
    client.get(f"{BUDGETS}{budget.pk}/")
    with count_queries() as few:
        client.get(f"{BUDGETS}{budget.pk}/")
    with schema_context("alpha"):
        budget_amounts_save(
            budget=budget,
            rows=[
                BudgetRowSpec(account=code, fund=fund, amounts=[Decimal("1.00")] * 12)
                for code in ("4010", "4020", "7020", "8110")
                for fund in ("", "GEN", "PRP")
            ],
            acting_user=None,
        )
    with count_queries() as many:
        assert "(fund PRP)" in client.get(f"{BUDGETS}{budget.pk}/").content.decode()
    assert len(many) == len(few), [query["sql"] for query in many]


# --- Import ------------------------------------------------------------------------------------


def test_the_sample_file_imports_from_the_page(alpha: Tenant) -> None:
    budget = _budget()
    client = alpha.client(alpha.user("bookkeeper"))
    upload = SimpleUploadedFile("budget.csv", SAMPLE.read_bytes(), content_type="text/csv")

    response = client.post(f"{BUDGETS}{budget.pk}/import/", {"file": upload})

    assert response.status_code == 302
    assert _amounts(budget)["4010"] == [Decimal("1000.00")] * 12


def test_a_bad_file_lists_every_bad_line_and_saves_nothing(alpha: Tenant) -> None:
    budget = _budget()
    client = alpha.client(alpha.user("bookkeeper"))
    text = b"account,annual\n4010,1200\n9999,5\n8110,x\n"

    response = client.post(
        f"{BUDGETS}{budget.pk}/import/",
        {"file": SimpleUploadedFile("b.csv", text, content_type="text/csv")},
    )
    binary = client.post(
        f"{BUDGETS}{budget.pk}/import/",
        {"file": SimpleUploadedFile("b.csv", b"\xff\xfe\x00", content_type="text/csv")},
    )

    assert response.status_code == 400
    assert "Line 3: there is no account &#x27;9999&#x27;." in response.content.decode()
    assert "Line 4: annual: &#x27;x&#x27; is not a number." in response.content.decode()
    assert binary.status_code == 400
    assert "not UTF-8 text (line 1" in binary.content.decode()
    assert _amounts(budget) == {}
