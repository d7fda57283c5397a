"""The banking API: bank accounts, statements and reconciliations to read, for the roles that
read the books, in a fixed number of queries, and nothing of another organization."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.banking.models import BankStatement, Reconciliation, ReconciliationState
from tenant_apps.banking.tests.factories import statement_made
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/banking"
READERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
NO_BOOKS = [Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER]


def _statement(day: date, *, account: str = "1010", amount: str = "125.50") -> BankStatement:
    return statement_made(
        [(day, amount, "Deposit")], closing=amount, statement_date=day, account_code=account
    )


def _finished(statement: BankStatement) -> Reconciliation:
    # Finishing through matching is the bank desk's tests' business; here it is a given.
    Reconciliation.objects.filter(statement=statement).update(
        state=ReconciliationState.FINISHED, finished_at=timezone.now()
    )
    return Reconciliation.objects.get(statement=statement)


def _paths() -> list[str]:
    with schema_context("alpha"):
        statement = _statement(date(2026, 10, 31))
        reconciliation = statement.reconciliation
    return [
        f"{API}/accounts/",
        f"{API}/accounts/1010/",
        f"{API}/statements/",
        f"{API}/statements/{statement.pk}/",
        f"{API}/reconciliations/",
        f"{API}/reconciliations/{reconciliation.pk}/",
    ]


def test_bank_accounts_say_where_their_reconciliation_stands(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    october = _statement(date(2026, 10, 31))
    _finished(october)
    november = _statement(date(2026, 11, 30), amount="80.00")

    accounts = bookkeeper.get(f"{API}/accounts/").json()["results"]
    checking = bookkeeper.get(f"{API}/accounts/1010/").json()

    assert [account["code"] for account in accounts] == ["1010", "1020"]
    assert checking == {
        "code": "1010",
        "name": "Cash - operating (checking)",
        "ucoa_code": "1010",
        "last_reconciled": "2026-10-31",
        "statement_count": 2,
        "in_progress": 1,
        "latest_statement": november.pk,
    }
    assert accounts[1]["last_reconciled"] is None and accounts[1]["statement_count"] == 0
    api_error(bookkeeper.get(f"{API}/accounts/4010/"), 404)  # not a bank account


def test_statements_and_reconciliations_list_and_detail(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    october = _statement(date(2026, 10, 31))
    reconciliation = _finished(october)
    savings = _statement(date(2026, 11, 30), account="1020", amount="80.00")

    statements = bookkeeper.get(f"{API}/statements/").json()["results"]
    detail = bookkeeper.get(f"{API}/statements/{october.pk}/").json()
    only_savings = bookkeeper.get(f"{API}/statements/", {"account": "1020"}).json()["results"]
    finished = bookkeeper.get(f"{API}/reconciliations/", {"state": "finished"}).json()["results"]
    one = bookkeeper.get(f"{API}/reconciliations/{reconciliation.pk}/").json()

    assert [statement["id"] for statement in statements] == [savings.pk, october.pk]
    assert detail["account"] == "1010"
    assert detail["closing_balance"] == "125.50"
    assert detail["line_count"] == 1
    assert detail["reconciliation"] == "finished"
    assert [statement["id"] for statement in only_savings] == [savings.pk]
    assert [item["id"] for item in finished] == [reconciliation.pk]
    assert one["statement"] == october.pk
    assert one["state"] == "finished"
    assert one["statement_date"] == "2026-10-31"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("statements", {"start": "yesterday"}),
        ("reconciliations", {"state": "done"}),
        ("reconciliations", {"end": "2026-02-30"}),
    ],
)
def test_bad_filters_are_refused(
    in_alpha: Tenant, bookkeeper: APIClient, path: str, query: dict[str, str]
) -> None:
    error = api_error(bookkeeper.get(f"{API}/{path}/", query), 400)

    assert set(error["fields"]) == set(query)


@pytest.mark.parametrize("role", READERS)
def test_readers_of_the_books_read_the_bank(alpha: Tenant, role: str) -> None:
    client = alpha.api(alpha.owner if role == Role.OWNER else alpha.user(role))

    for path in _paths():
        assert client.get(path).status_code == 200, (role, path)


@pytest.mark.parametrize("role", NO_BOOKS)
def test_others_read_nothing_of_the_bank(alpha: Tenant, role: str) -> None:
    client = alpha.api(alpha.user(role))

    for path in _paths():
        assert api_error(client.get(path), 403)["code"] == "permission_denied", path


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "accounts/"),
        ("post", "statements/"),
        ("delete", "statements/{statement}/"),
        ("patch", "reconciliations/{reconciliation}/"),
    ],
)
def test_the_api_only_reads(
    in_alpha: Tenant, bookkeeper: APIClient, method: str, path: str
) -> None:
    statement = _statement(date(2026, 10, 31))
    url = f"{API}/" + path.format(
        statement=statement.pk, reconciliation=statement.reconciliation.pk
    )

    response = getattr(bookkeeper, method)(url, {"state": "finished"}, format="json")

    # Refused for want of a write capability (no role has one here) before the method is seen.
    assert response.status_code == 403
    assert "error" in response.json()
    assert Reconciliation.objects.get().state == ReconciliationState.IN_PROGRESS


def test_another_organization_gets_nothing(
    alpha: Tenant, beta: Tenant, assert_other_tenant_denied: Callable[..., None]
) -> None:
    for path in _paths():
        assert_other_tenant_denied(path)


def test_beta_sees_only_its_own_statements(alpha: Tenant, beta: Tenant) -> None:
    paths = _paths()  # alpha's
    with schema_context("beta"):
        theirs = _statement(date(2026, 9, 30), amount="999.99")

    answer = beta.api(beta.owner).get(f"{API}/statements/").json()["results"]

    assert [statement["id"] for statement in answer] == [theirs.pk]
    assert "125.50" not in str(answer)
    assert paths  # alpha's statement exists all the same


@pytest.mark.parametrize("path", ["accounts", "statements", "reconciliations"])
def test_lists_run_a_fixed_number_of_queries(
    alpha: Tenant, path: str, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.api(alpha.user(Role.BOOKKEEPER))
    client.get(f"{API}/{path}/")

    def queries(months: list[int]) -> Any:
        with schema_context("alpha"):
            for month in months:
                for account in ("1010", "1020"):
                    _finished(_statement(date(2026, month, 28), account=account))
        with count_queries() as captured:
            assert client.get(f"{API}/{path}/").status_code == 200
        return len(captured)

    assert queries([1]) == queries([2, 3, 4, 5, 6])
