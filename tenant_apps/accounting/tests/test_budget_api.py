"""The budgets API: the list (filtered, a fixed number of queries) and a budget with its months
and lines; a new budget, its lines replaced as a whole, approval and return to draft through
the same services as the pages; who may read and write; and another organization's people
getting nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenant_apps.accounting.models import Budget, BudgetLine, BudgetState
from tenant_apps.accounting.services.budgets import (
    BudgetRowSpec,
    budget_amounts_save,
    budget_approve,
    budget_create,
)
from tenant_apps.core.models import AuditEvent
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/accounting/budgets"
MONTHLY = ["100.00"] * 12


def _budget(name: str = "Operating budget", fiscal_year: int = 2026) -> Budget:
    budget = budget_create(name=name, fiscal_year=fiscal_year, acting_user=None)
    budget_amounts_save(
        budget=budget,
        rows=[
            BudgetRowSpec(account="4010", amounts=[Decimal("1000.00")] * 12),
            BudgetRowSpec(account="7020", program="PRG", amounts=[Decimal("250.50")] * 12),
        ],
        acting_user=None,
    )
    return budget


def test_a_budget_is_read_with_its_months_and_lines(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    budget = _budget()

    response = bookkeeper.get(f"{API}/{budget.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["fiscal_year"], body["state"]) == (
        "Operating budget",
        2026,
        "draft",
    )
    assert body["starts_on"] == "2026-01-01"
    assert body["months"][0] == "2026-01-01" and body["months"][-1] == "2026-12-01"
    assert body["line_count"] == 2
    assert body["lines"] == [
        {"account": "4010", "fund": None, "program": None, "amounts": ["1000.00"] * 12},
        {"account": "7020", "fund": None, "program": "PRG", "amounts": ["250.50"] * 12},
    ]
    assert api_error(bookkeeper.get(f"{API}/{budget.pk + 1000}/"), 404)
    assert api_error(bookkeeper.get(f"{API}/x/"), 404)


def test_budgets_are_listed_and_filtered_in_a_fixed_number_of_queries(
    in_alpha: Tenant, bookkeeper: APIClient, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    _budget()
    bookkeeper.get(f"{API}/")  # warms the routing cache
    with count_queries() as few:
        assert bookkeeper.get(f"{API}/").status_code == 200
    approved = _budget("Board budget", 2025)
    budget_approve(budget=approved, acting_user=None)
    for year in (2023, 2024):
        _budget(fiscal_year=year)

    with count_queries() as many:
        listed = bookkeeper.get(f"{API}/").json()["results"]
    by_year = bookkeeper.get(f"{API}/", {"fiscal_year": "2025"}).json()["results"]
    drafts = bookkeeper.get(f"{API}/", {"state": "draft"}).json()["results"]

    assert [(row["fiscal_year"], row["name"]) for row in listed] == [
        (2026, "Operating budget"),
        (2025, "Board budget"),
        (2024, "Operating budget"),
        (2023, "Operating budget"),
    ]
    assert listed[0]["line_count"] == 2
    assert len(many) == len(few), [item["sql"] for item in many]
    assert [(row["name"], row["state"]) for row in by_year] == [("Board budget", "approved")]
    assert [row["fiscal_year"] for row in drafts] == [2026, 2024, 2023]


def test_a_budget_is_made_its_lines_replaced_approved_and_returned_to_draft(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    made = bookkeeper.post(f"{API}/", {"name": "Operating budget", "fiscal_year": 2026})
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["lines"] == []

    lines = [
        {"account": "4010", "amounts": MONTHLY},
        {"account": "8110", "fund": "GEN", "amounts": ["-5.25", *["0"] * 11]},
    ]
    saved = bookkeeper.put(f"{API}/{pk}/lines/", {"lines": lines}, format="json")
    assert saved.status_code == 200, saved.content
    assert [line["account"] for line in saved.json()["lines"]] == ["4010", "8110"]
    assert saved.json()["lines"][1]["fund"] == "GEN"
    assert saved.json()["lines"][1]["amounts"][0] == "-5.25"

    approved = bookkeeper.post(f"{API}/{pk}/approve/")
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert approved.json()["approved_by"] == "books@alpha.org"
    # Approved: its amounts are fixed, and it is approved only once.
    refused = bookkeeper.put(f"{API}/{pk}/lines/", {"lines": []}, format="json")
    assert "return it to draft" in api_error(refused, 409)["message"]
    assert api_error(bookkeeper.post(f"{API}/{pk}/approve/"), 409)

    draft = bookkeeper.post(f"{API}/{pk}/return-to-draft/")
    assert draft.status_code == 200
    assert (draft.json()["state"], draft.json()["approved_by"]) == ("draft", None)
    assert api_error(bookkeeper.post(f"{API}/{pk}/return-to-draft/"), 409)
    actions = list(
        AuditEvent.objects.filter(action__startswith="budget.").values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        ["budget.create", "budget.amounts_save", "budget.approve", "budget.return_to_draft"]
    )


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([{"account": "4010", "amounts": MONTHLY[:11]}], "lines"),
        ([{"account": "4010", "amounts": ["1.234", *MONTHLY[1:]]}], "lines"),
        ([{"account": "4010", "amounts": ["1e400", *MONTHLY[1:]]}], "lines"),
        ([{"account": "4010", "amounts": MONTHLY, "colour": "red"}], "lines"),
        ([{"account": "9999", "amounts": MONTHLY}], "rows"),
        ([{"account": "1010", "amounts": MONTHLY}], "rows"),
        ([{"account": "4010", "program": "PRG", "amounts": MONTHLY}], "rows"),
    ],
)
def test_bad_lines_are_a_400_and_change_nothing(
    in_alpha: Tenant, bookkeeper: APIClient, lines: list[dict[str, Any]], field: str
) -> None:
    budget = _budget()
    before = list(BudgetLine.objects.values_list("account__code", "amounts"))

    response = bookkeeper.put(f"{API}/{budget.pk}/lines/", {"lines": lines}, format="json")

    assert field in api_error(response, 400)["fields"]
    assert list(BudgetLine.objects.values_list("account__code", "amounts")) == before


def test_a_name_is_used_once_a_year_and_the_year_is_checked(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    _budget()

    again = bookkeeper.post(f"{API}/", {"name": "Operating budget", "fiscal_year": 2026})
    far = bookkeeper.post(f"{API}/", {"name": "Far", "fiscal_year": 30000})

    assert api_error(again, 400)["fields"] == {"name": ["Already used for this fiscal year."]}
    assert "fiscal_year" in api_error(far, 400)["fields"]
    assert Budget.objects.count() == 1


def test_readers_read_and_only_book_keepers_write(alpha: Tenant) -> None:
    with schema_context("alpha"):
        budget = _budget()
    viewer = alpha.api(alpha.user("viewer"))
    coordinator = alpha.api(alpha.user("volunteer_coordinator"))

    assert viewer.get(f"{API}/").status_code == 200
    assert viewer.get(f"{API}/{budget.pk}/").status_code == 200
    assert api_error(viewer.post(f"{API}/", {"name": "Mine", "fiscal_year": 2026}), 403)
    assert api_error(viewer.post(f"{API}/{budget.pk}/approve/"), 403)
    assert api_error(coordinator.get(f"{API}/"), 403)
    with schema_context("alpha"):
        assert Budget.objects.get().state == BudgetState.DRAFT
        assert Budget.objects.count() == 1


def test_another_organizations_people_get_nothing(
    alpha: Tenant, assert_other_tenant_denied: Callable[..., None]
) -> None:
    with schema_context("alpha"):
        budget = _budget()

    assert_other_tenant_denied(f"{API}/")
    assert_other_tenant_denied(f"{API}/{budget.pk}/")
    assert_other_tenant_denied(f"{API}/", method="post", data={"name": "X", "fiscal_year": 2026})
    assert_other_tenant_denied(f"{API}/{budget.pk}/approve/", method="post")
    assert_other_tenant_denied(f"{API}/{budget.pk}/lines/", method="put", data={"lines": []})

    with schema_context("alpha"):
        assert Budget.objects.get().state == BudgetState.DRAFT
        assert BudgetLine.objects.count() == 2
