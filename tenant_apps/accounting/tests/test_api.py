"""The accounting API: every endpoint's answer, its roles, other tenants, bad input and states.

The figures of the reports are tested in test_reports.py; here, their wiring, parameters and
formats. Alpha is freshly seeded in each test: the UCOA chart, funds GEN (without donor
restrictions) and PRP (purpose), program PRG and the open periods of the current fiscal year.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import pytest
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.accounting import reports
from tenant_apps.accounting.models import (
    Account,
    AccountingSettings,
    EntrySource,
    EntryState,
    FiscalPeriod,
    Fund,
    JournalEntry,
    JournalLine,
    PeriodState,
    Program,
)
from tenant_apps.accounting.services import chart, entries, periods, postings
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import JournalEntryFactory
from tenant_apps.core.models import AuditEvent
from tests.helpers import api_error
from tests.plugin import Tenant

if TYPE_CHECKING:
    from rest_framework.response import _MonkeyPatchedResponse

pytestmark = pytest.mark.django_db

API = "/api/v1/accounting"
READERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
NOT_WRITERS = [Role.FUNDRAISER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR]


def _today() -> date:
    return timezone.localdate()


def _first_period() -> FiscalPeriod:
    """The first open period of the current fiscal year (seeded for every tenant)."""
    period = FiscalPeriod.objects.filter(state=PeriodState.OPEN).order_by("start").first()
    assert period is not None
    return period


def _count(model: type[Model], **filters: Any) -> int:
    return model._default_manager.filter(**filters).count()


@pytest.fixture
def bookkeeper_user(in_alpha: Tenant, bookkeeper: APIClient) -> User:
    """The user the `bookkeeper` client is signed in as."""
    return User.objects.get(email="books@alpha.org")


# --- Accounts ----------------------------------------------------------------------------------

CASH = {
    "code": "1010",
    "name": "Cash - operating (checking)",
    "type": "asset",
    "normal_balance": "debit",
    "parent": "1000",
    "ucoa_code": "1010",
    "is_active": True,
}


def test_an_account_is_read_by_code(bookkeeper: APIClient) -> None:
    response = bookkeeper.get(f"{API}/accounts/1010/")

    assert response.status_code == 200
    assert response.json() == CASH


def test_accounts_are_listed_by_code_and_filtered(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    Account.objects.filter(code="2030").update(is_active=False)

    liabilities = bookkeeper.get(f"{API}/accounts/", {"type": "liability", "page_size": "200"})
    inactive = bookkeeper.get(f"{API}/accounts/", {"is_active": "false"})

    codes = [row["code"] for row in liabilities.json()["results"]]
    assert codes == ["2000", "2010", "2020", "2030", "2110", "2120", "2310", "2510"]
    assert [row["code"] for row in inactive.json()["results"]] == ["2030"]
    assert api_error(bookkeeper.get(f"{API}/accounts/", {"type": "gold"}), 400)["fields"] == {
        "type": ["Select a valid choice. gold is not one of the available choices."]
    }


def test_the_list_answers_each_account_as_its_own_read_does(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    # The list writes its rows out directly; one account goes through the serializer's fields.
    Account.objects.filter(code="2030").update(is_active=False)

    listed = bookkeeper.get(f"{API}/accounts/", {"page_size": "200"}).json()["results"]

    assert len(listed) == Account.objects.count()
    assert {row["parent"] is None for row in listed} == {True, False}
    assert {row["is_active"] for row in listed} == {True, False}
    for row in listed:
        assert bookkeeper.get(f"{API}/accounts/{row['code']}/").json() == row


def test_each_tenant_lists_its_own_chart(
    alpha: Tenant, beta: Tenant, bookkeeper: APIClient
) -> None:
    with schema_context("alpha"):
        chart.account_create(code="1011", name="Cash - alpha only", type="asset", acting_user=None)
    beta_api = beta.api(beta.owner)

    def codes(client: APIClient) -> set[str]:
        response = client.get(f"{API}/accounts/", {"page_size": "200"})
        return {row["code"] for row in response.json()["results"]}

    assert "1011" in codes(bookkeeper)
    assert "1011" not in codes(beta_api)
    assert "1011" in codes(bookkeeper)


def test_the_accounts_are_paged_by_cursor_in_any_order_asked(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    everything = bookkeeper.get(f"{API}/accounts/", {"page_size": "200", "ordering": "-name"})
    expected = [row["code"] for row in everything.json()["results"]]

    codes: list[str] = []
    page = bookkeeper.get(f"{API}/accounts/", {"page_size": "30", "ordering": "-name"}).json()
    while True:
        codes += [row["code"] for row in page["results"]]
        if page["next"] is None:
            break
        page = bookkeeper.get(page["next"]).json()

    names = [row["name"] for row in everything.json()["results"]]
    assert names == sorted(names, reverse=True)
    assert codes == expected


def test_an_account_is_created(
    in_alpha: Tenant, bookkeeper: APIClient, bookkeeper_user: User
) -> None:
    response = bookkeeper.post(
        f"{API}/accounts/",
        {"code": "1011", "name": "Cash - payroll", "type": "asset", "parent": "1000"},
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "1011",
        "name": "Cash - payroll",
        "type": "asset",
        "normal_balance": "debit",
        "parent": "1000",
        "ucoa_code": "",
        "is_active": True,
    }
    assert Account.objects.filter(code="1011", parent__code="1000").exists()
    event = AuditEvent.objects.get(action="account.create")
    assert event.actor_id == bookkeeper_user.pk
    assert event.detail == {"code": "1011"}


def test_an_account_code_may_hold_a_dot(bookkeeper: APIClient) -> None:
    created = bookkeeper.post(
        f"{API}/accounts/",
        {"code": "8110.1", "name": "Supplies - office", "type": "expense", "parent": "8000"},
    )

    assert created.status_code == 201, created.content
    assert bookkeeper.get(f"{API}/accounts/8110.1/").json()["name"] == "Supplies - office"
    assert (
        bookkeeper.patch(f"{API}/accounts/8110.1/", {"name": "Office"}).json()["name"] == "Office"
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"code": "1010", "name": "Again", "type": "asset"},
            {"code": ["Already used."]},
        ),
        (
            {"code": "1011", "name": "Cash", "type": "asset", "parent": "9999"},
            {"parent": ["Unknown account."]},
        ),
        (
            {"code": "1011", "name": "Cash", "type": "asset", "parent": "2000"},
            {"parent": ["The parent must be of the same type."]},
        ),
        (
            {"code": "1011", "name": "Cash", "type": "gold"},
            {"type": ['"gold" is not a valid choice.']},
        ),
        (
            {"code": "10 11", "name": "Cash", "type": "asset"},
            {"code": ["Use 1 to 20 letters, digits, dots, dashes or underscores."]},
        ),
        ({"code": "1011", "name": "", "type": "asset"}, {"name": ["This field may not be blank."]}),
        ({"name": "Cash", "type": "asset"}, {"code": ["This field is required."]}),
    ],
)
def test_a_bad_account_is_refused_and_nothing_is_created(
    in_alpha: Tenant, bookkeeper: APIClient, body: dict[str, str], fields: dict[str, list[str]]
) -> None:
    before = _count(Account)

    error = api_error(bookkeeper.post(f"{API}/accounts/", body), 400)

    assert error["fields"] == fields
    assert _count(Account) == before


def test_an_account_is_renamed_and_deactivated(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    response = bookkeeper.patch(
        f"{API}/accounts/1010/", {"name": "Operating cash", "is_active": False}
    )

    assert response.status_code == 200
    assert response.json() == {**CASH, "name": "Operating cash", "is_active": False}
    account = Account.objects.get(code="1010")
    assert (account.name, account.is_active) == ("Operating cash", False)


def test_an_account_update_may_repeat_but_not_change_its_fixed_fields(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    same = bookkeeper.patch(
        f"{API}/accounts/1010/", {"type": "asset", "parent": "1000", "name": "A"}
    )
    changed = bookkeeper.patch(f"{API}/accounts/1010/", {"type": "liability", "name": "B"})

    assert same.status_code == 200
    assert same.json()["name"] == "A"
    assert api_error(changed, 400)["fields"] == {
        "type": ["An account's code, type, normal balance and parent are fixed once it exists."]
    }
    account = Account.objects.get(code="1010")
    assert (account.type, account.name) == ("asset", "A")


def test_accounts_are_not_replaced_or_deleted(bookkeeper: APIClient) -> None:
    assert bookkeeper.put(f"{API}/accounts/1010/", CASH).status_code == 405
    assert bookkeeper.delete(f"{API}/accounts/1010/").status_code == 405


# --- Funds -------------------------------------------------------------------------------------

GENERAL_FUND = {
    "code": "GEN",
    "name": "General fund",
    "restriction": "without",
    "description": "Unrestricted operating fund: gifts and revenue without donor restrictions.",
    "release_on": None,
    "is_active": True,
}


def test_funds_are_listed_and_read_by_code(bookkeeper: APIClient) -> None:
    listed = bookkeeper.get(f"{API}/funds/")
    restricted = bookkeeper.get(f"{API}/funds/", {"restriction": "purpose"})

    assert [row["code"] for row in listed.json()["results"]] == ["GEN", "PRP"]
    assert [row["code"] for row in restricted.json()["results"]] == ["PRP"]
    assert bookkeeper.get(f"{API}/funds/GEN/").json() == GENERAL_FUND


def test_a_fund_is_created(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    response = bookkeeper.post(
        f"{API}/funds/",
        {"code": "SCH", "name": "Scholarships", "restriction": "purpose"},
    )

    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "SCH",
        "name": "Scholarships",
        "restriction": "purpose",
        "description": "",
        "release_on": None,
        "is_active": True,
    }
    assert Fund.objects.get(code="SCH").restriction == "purpose"


def test_a_time_restricted_fund_has_a_release_date(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    created = bookkeeper.post(
        f"{API}/funds/",
        {"code": "Y27", "name": "For 2027", "restriction": "time", "release_on": "2027-01-01"},
    )
    moved = bookkeeper.patch(f"{API}/funds/Y27/", {"release_on": "2027-03-31"})
    refused = bookkeeper.post(
        f"{API}/funds/",
        {"code": "P27", "name": "Purpose", "restriction": "purpose", "release_on": "2027-01-01"},
    )

    assert created.status_code == 201, created.content
    assert created.json()["release_on"] == "2027-01-01"
    assert moved.json()["release_on"] == "2027-03-31"
    assert api_error(refused, 400)["fields"] == {
        "release_on": ["Only for a fund with a time restriction."]
    }
    assert Fund.objects.get(code="Y27").release_on == date(2027, 3, 31)
    assert not Fund.objects.filter(code="P27").exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"code": "GEN", "name": "Again", "restriction": "without"}, {"code": ["Already used."]}),
        (
            {"code": "SCH", "name": "Scholarships", "restriction": "forever"},
            {"restriction": ['"forever" is not a valid choice.']},
        ),
        ({"code": "SCH", "restriction": "purpose"}, {"name": ["This field is required."]}),
    ],
)
def test_a_bad_fund_is_refused(
    in_alpha: Tenant, bookkeeper: APIClient, body: dict[str, str], fields: dict[str, list[str]]
) -> None:
    error = api_error(bookkeeper.post(f"{API}/funds/", body), 400)

    assert error["fields"] == fields
    assert _count(Fund) == 2


def test_a_fund_is_renamed_described_and_deactivated(bookkeeper: APIClient) -> None:
    response = bookkeeper.patch(
        f"{API}/funds/PRP/",
        {"name": "Restricted", "description": "For the shelter", "is_active": False},
    )

    assert response.status_code == 200
    assert response.json() == {
        "code": "PRP",
        "name": "Restricted",
        "restriction": "purpose",
        "description": "For the shelter",
        "release_on": None,
        "is_active": False,
    }


def test_a_fund_restriction_cannot_be_changed(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    same = bookkeeper.patch(f"{API}/funds/GEN/", {"restriction": "without", "name": "Operating"})
    changed = bookkeeper.patch(f"{API}/funds/GEN/", {"restriction": "purpose", "name": "Other"})

    assert same.status_code == 200
    error = api_error(changed, 400)
    assert error["fields"] == {
        "restriction": [
            "A fund's restriction cannot be changed: it classifies the fund's history. "
            "Create a new fund instead."
        ]
    }
    fund = Fund.objects.get(code="GEN")
    assert (fund.restriction, fund.name) == ("without", "Operating")


# --- Programs ----------------------------------------------------------------------------------


def test_programs_are_listed_read_created_and_updated(bookkeeper: APIClient) -> None:
    listed = bookkeeper.get(f"{API}/programs/")
    created = bookkeeper.post(
        f"{API}/programs/", {"code": "SHL", "name": "Shelter", "description": "Beds"}
    )
    updated = bookkeeper.patch(
        f"{API}/programs/SHL/", {"name": "Night shelter", "is_active": False}
    )

    assert [row["code"] for row in listed.json()["results"]] == ["PRG"]
    assert created.status_code == 201, created.content
    assert created.json() == {
        "code": "SHL",
        "name": "Shelter",
        "description": "Beds",
        "is_active": True,
    }
    assert updated.status_code == 200
    assert bookkeeper.get(f"{API}/programs/SHL/").json() == {
        "code": "SHL",
        "name": "Night shelter",
        "description": "Beds",
        "is_active": False,
    }
    inactive = bookkeeper.get(f"{API}/programs/", {"is_active": "false"})
    assert [row["code"] for row in inactive.json()["results"]] == ["SHL"]


def test_a_bad_program_is_refused(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    assert api_error(bookkeeper.post(f"{API}/programs/", {"code": "PRG", "name": "X"}), 400)[
        "fields"
    ] == {"code": ["Already used."]}
    assert api_error(bookkeeper.patch(f"{API}/programs/PRG/", {"name": "  "}), 400)["fields"] == {
        "name": ["This field may not be blank."]
    }
    assert api_error(bookkeeper.patch(f"{API}/programs/PRG/", {"code": "NEW"}), 400)["fields"] == {
        "code": ["A program's code is fixed once it exists."]
    }
    assert _count(Program) == 1


# --- Periods -----------------------------------------------------------------------------------


def test_periods_are_listed_by_fiscal_year_and_state(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    period = _first_period()
    FiscalPeriod.objects.filter(pk=period.pk).update(state=PeriodState.CLOSED)

    year = bookkeeper.get(f"{API}/periods/", {"fiscal_year": period.fiscal_year})
    closed = bookkeeper.get(f"{API}/periods/", {"state": "closed"})
    other_year = bookkeeper.get(f"{API}/periods/", {"fiscal_year": period.fiscal_year - 1})

    starts = [row["start"] for row in year.json()["results"]]
    assert len(starts) == 12
    assert starts == sorted(starts)
    assert starts[0] == period.start.isoformat()
    assert [row["id"] for row in closed.json()["results"]] == [period.pk]
    assert other_year.json()["results"] == []
    assert api_error(bookkeeper.get(f"{API}/periods/", {"fiscal_year": "last"}), 400)["fields"] == {
        "fiscal_year": ["Enter a number."]
    }


def test_a_period_is_read_closed_and_reopened(
    in_alpha: Tenant, bookkeeper: APIClient, bookkeeper_user: User
) -> None:
    period = _first_period()
    path = f"{API}/periods/{period.pk}/"

    read = bookkeeper.get(path)
    closed = bookkeeper.post(f"{path}close/")
    closed_again = bookkeeper.post(f"{path}close/")
    reopened = bookkeeper.post(f"{path}reopen/", {"reason": "Late invoice"})
    reopened_again = bookkeeper.post(f"{path}reopen/", {"reason": "Again"})

    assert read.json() == {
        "id": period.pk,
        "fiscal_year": period.fiscal_year,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "state": "open",
        "closed_at": None,
        "closed_by": None,
    }
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert closed.json()["closed_by"] == "books@alpha.org"
    assert closed.json()["closed_at"]
    assert api_error(closed_again, 409)["code"] == "conflict"
    assert reopened.status_code == 200
    assert reopened.json() == read.json()
    assert api_error(reopened_again, 409)["message"].endswith("is already open.")
    event = AuditEvent.objects.get(action="period.reopen")
    assert event.detail["reason"] == "Late invoice"
    assert event.actor_id == bookkeeper_user.pk


def test_a_period_with_drafts_is_not_closed(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    period = _first_period()
    JournalEntryFactory.create(date=period.start)

    error = api_error(bookkeeper.post(f"{API}/periods/{period.pk}/close/"), 409)

    assert "1 draft journal entry is dated in" in error["message"]
    assert _count(FiscalPeriod, pk=period.pk, state=PeriodState.OPEN) == 1


def test_periods_are_not_created_changed_or_deleted(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    period = _first_period()

    assert bookkeeper.post(f"{API}/periods/", {"start": "2030-01-01"}).status_code == 405
    assert bookkeeper.patch(f"{API}/periods/{period.pk}/", {"state": "closed"}).status_code == 405
    assert bookkeeper.delete(f"{API}/periods/{period.pk}/").status_code == 405
    assert api_error(bookkeeper.get(f"{API}/periods/999999/"), 404)["code"] == "not_found"


# --- Journal entries ---------------------------------------------------------------------------

GIFT = {
    "date": None,  # filled with today
    "memo": "Gift from a donor",
    "lines": [
        {"account": "1010", "fund": "GEN", "debit": "100.00"},
        {"account": "4010", "fund": "GEN", "credit": "100.00"},
    ],
}


def _gift(**changes: Any) -> dict[str, Any]:
    return {**GIFT, "date": _today().isoformat(), **changes}


def test_an_entry_is_created_as_a_draft_with_its_lines(
    in_alpha: Tenant, bookkeeper: APIClient, bookkeeper_user: User
) -> None:
    body = _gift(
        lines=[
            {"account": "1010", "fund": "GEN", "debit": "100.00", "credit": "0"},
            {"account": "4010", "fund": "GEN", "credit": "60.00", "memo": "Gift part"},
            {
                "account": "8110",
                "fund": "GEN",
                "credit": "40.00",
                "function": "program",
                "program": "PRG",
            },
        ]
    )

    response = bookkeeper.post(f"{API}/journal-entries/", body)

    assert response.status_code == 201, response.content
    entry = response.json()
    assert entry.pop("created_at")
    assert entry == {
        "id": entry["id"],
        "number": None,
        "date": _today().isoformat(),
        "memo": "Gift from a donor",
        "source": "manual",
        "source_reference": "",
        "state": "draft",
        "reverses": None,
        "reversed_by": None,
        "origin": None,
        "created_by": "books@alpha.org",
        "posted_by": None,
        "posted_at": None,
        "lines": [
            {
                "account": "1010",
                "fund": "GEN",
                "net_asset_class": "without",
                "debit": "100.00",
                "credit": "0.00",
                "function": None,
                "program": None,
                "memo": "",
            },
            {
                "account": "4010",
                "fund": "GEN",
                "net_asset_class": "without",
                "debit": "0.00",
                "credit": "60.00",
                "function": None,
                "program": None,
                "memo": "Gift part",
            },
            {
                "account": "8110",
                "fund": "GEN",
                "net_asset_class": "without",
                "debit": "0.00",
                "credit": "40.00",
                "function": "program",
                "program": "PRG",
                "memo": "",
            },
        ],
    }
    saved = JournalEntry.objects.get(pk=entry["id"])
    assert saved.state == EntryState.DRAFT
    assert saved.created_by_id == bookkeeper_user.pk
    assert [line.credit for line in saved.lines.order_by("id")] == [
        Decimal("0.00"),
        Decimal("60.00"),
        Decimal("40.00"),
    ]
    assert bookkeeper.get(f"{API}/journal-entries/{entry['id']}/").json()["lines"] == entry["lines"]


def test_create_does_not_post(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    error = api_error(bookkeeper.post(f"{API}/journal-entries/", _gift(post=True)), 400)

    assert list(error["fields"]) == ["post"]
    assert "/post/" in error["fields"]["post"][0]
    assert _count(JournalEntry) == 0


def _line_error(index: int, **fields: list[str]) -> dict[str, Any]:
    return {"lines": [fields if position == index else {} for position in range(2)]}


@pytest.mark.parametrize(
    ("lines", "fields"),
    [
        pytest.param(
            [
                {"account": "1010", "fund": "GEN", "debit": "100.00"},
                {"account": "4010", "fund": "GEN", "credit": "90.00"},
            ],
            {"lines": ["Debits and credits must be equal."]},
            id="unbalanced",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "GEN", "debit": "100.00"},
                {"account": "4010", "fund": "PRP", "credit": "100.00"},
            ],
            {"lines": ["Fund GEN does not balance."]},
            id="unbalanced-per-fund",
        ),
        pytest.param(
            [
                {"account": "9999", "fund": "GEN", "debit": "100.00"},
                {"account": "4010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(0, account=["There is no account '9999'."]),
            id="unknown-account",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "NOPE", "debit": "100.00"},
                {"account": "4010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(0, fund=["There is no fund 'NOPE'."]),
            id="unknown-fund",
        ),
        pytest.param(
            [
                {"account": "1000", "fund": "GEN", "debit": "100.00"},
                {"account": "4010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(
                0, account=["Account 1000 is a summary account; post to one of its sub-accounts."]
            ),
            id="summary-account",
        ),
        pytest.param(
            [
                {"account": "8110", "fund": "GEN", "debit": "100.00"},
                {"account": "1010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(
                0,
                function=[
                    "An expense line needs a function: program, management_general or fundraising."
                ],
            ),
            id="expense-without-function",
        ),
        pytest.param(
            [
                {"account": "8110", "fund": "GEN", "debit": "100.00", "function": "program"},
                {"account": "1010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(0, program=["A program expense names its program."]),
            id="program-expense-without-program",
        ),
        pytest.param(
            [
                {"account": "8110", "fund": "GEN", "debit": "100.00", "function": "magic"},
                {"account": "1010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(0, function=['"magic" is not a valid choice.']),
            id="unknown-function",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "GEN", "debit": "abc"},
                {"account": "4010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(0, debit=["A valid number is required."]),
            id="amount-abc",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "GEN", "debit": "-5"},
                {"account": "4010", "fund": "GEN", "credit": "-5"},
            ],
            {
                "lines": [
                    {"debit": ["An amount cannot be negative: put it on the other side."]},
                    {"credit": ["An amount cannot be negative: put it on the other side."]},
                ]
            },
            id="amount-negative",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "GEN", "debit": "1.234"},
                {"account": "4010", "fund": "GEN", "credit": "1.234"},
            ],
            {
                "lines": [
                    {"debit": ["At most two decimal places."]},
                    {"credit": ["At most two decimal places."]},
                ]
            },
            id="amount-three-decimals",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "GEN", "debit": "100.00", "credit": "100.00"},
                {"account": "4010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(0, amount=["Give a debit or a credit, not both."]),
            id="debit-and-credit",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "GEN"},
                {"account": "4010", "fund": "GEN", "credit": "100.00"},
            ],
            _line_error(0, amount=["Give a debit or a credit."]),
            id="no-amount",
        ),
        pytest.param(
            [
                {"account": "1010", "fund": "GEN", "debit": "1000000000000.00"},
                {"account": "4010", "fund": "GEN", "credit": "1000000000000.00"},
            ],
            {
                "lines": [
                    {"debit": ["Ensure this value is less than or equal to 999999999999.99."]},
                    {"credit": ["Ensure this value is less than or equal to 999999999999.99."]},
                ]
            },
            id="amount-too-large",
        ),
        pytest.param([], {"lines": ["Ensure this field has at least 2 elements."]}, id="no-lines"),
        pytest.param(
            [{"account": "1010", "fund": "GEN", "debit": "1.00"}],
            {"lines": ["Ensure this field has at least 2 elements."]},
            id="one-line",
        ),
        pytest.param(
            "1010", {"lines": ['Expected a list of items but got type "str".']}, id="not-a-list"
        ),
    ],
)
def test_a_bad_entry_is_refused_and_nothing_is_written(
    in_alpha: Tenant,
    bookkeeper: APIClient,
    lines: list[dict[str, str]] | str,
    fields: dict[str, Any],
) -> None:
    error = api_error(bookkeeper.post(f"{API}/journal-entries/", _gift(lines=lines)), 400)

    assert error["code"] == "invalid"
    assert error["fields"] == fields
    assert _count(JournalEntry) == 0
    assert _count(JournalLine) == 0
    assert _count(AuditEvent) == 0


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        (
            {"date": "2026-13-45"},
            {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"date": None}, {"date": ["This field may not be null."]}),
        ({"date": "3026-01-01"}, {"date": ["Give a date from 1900-01-01 to 2999-12-31."]}),
        ({"memo": "m" * 501}, {"memo": ["Ensure this field has no more than 500 characters."]}),
    ],
)
def test_a_bad_entry_date_or_memo_is_refused(
    in_alpha: Tenant, bookkeeper: APIClient, changes: dict[str, Any], fields: dict[str, Any]
) -> None:
    assert (
        api_error(bookkeeper.post(f"{API}/journal-entries/", _gift(**changes)), 400)["fields"]
        == fields
    )
    assert _count(JournalEntry) == 0


def test_entries_are_json_only(bookkeeper: APIClient) -> None:
    response = bookkeeper.post(
        f"{API}/journal-entries/", {"date": "2026-01-01"}, format="multipart"
    )

    assert api_error(response, 415)["code"] == "unsupported_media_type"


def test_a_draft_is_posted_with_the_next_number(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    entry = JournalEntryFactory.create()
    number = AccountingSettings.objects.get().next_entry_number

    response = bookkeeper.post(f"{API}/journal-entries/{entry.pk}/post/")
    again = bookkeeper.post(f"{API}/journal-entries/{entry.pk}/post/")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "posted"
    assert response.json()["number"] == number
    assert response.json()["posted_by"] == "books@alpha.org"
    assert response.json()["posted_at"]
    assert api_error(again, 409)["message"] == f"Journal entry {number} is already posted."
    assert _count(JournalEntry, state=EntryState.POSTED) == 1


def test_posting_spending_from_a_restricted_fund_releases_it(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    JournalEntryFactory.create(fund="PRP", amount="500.00", posted=True)
    spending = JournalEntryFactory.create(
        date=_today(),
        memo="Shelter supplies",
        lines=[
            LineSpec(account="8110", fund="PRP", debit="200.00", function="fundraising"),
            LineSpec(account="1010", fund="PRP", credit="200.00"),
        ],
        acting_user=None,
    )

    response = bookkeeper.post(f"{API}/journal-entries/{spending.pk}/post/")

    assert response.status_code == 200, response.content
    releases = bookkeeper.get(f"{API}/journal-entries/", {"source": "release"}).json()["results"]
    assert len(releases) == 1
    assert releases[0]["origin"] == spending.pk
    assert releases[0]["state"] == "posted"
    assert [
        (line["account"], line["net_asset_class"], line["debit"], line["credit"])
        for line in releases[0]["lines"]
    ] == [("6910", "with", "200.00", "0.00"), ("6910", "without", "0.00", "200.00")]


def test_nothing_is_posted_in_a_closed_period(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    period = _first_period()
    entry = JournalEntryFactory.create(date=period.start)
    FiscalPeriod.objects.filter(pk=period.pk).update(state=PeriodState.CLOSED)
    number = AccountingSettings.objects.get().next_entry_number

    error = api_error(bookkeeper.post(f"{API}/journal-entries/{entry.pk}/post/"), 409)

    assert error["code"] == "conflict"
    assert "is closed: nothing can be posted on" in error["message"]
    entry.refresh_from_db()
    assert (entry.state, entry.number) == (EntryState.DRAFT, None)
    assert AccountingSettings.objects.get().next_entry_number == number
    assert _count(JournalEntry, state=EntryState.POSTED) == 0


def test_a_posted_entry_is_reversed_once(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    entry = JournalEntryFactory.create(posted=True)
    path = f"{API}/journal-entries/{entry.pk}/reverse/"

    response = bookkeeper.post(path)
    again = bookkeeper.post(path)

    assert response.status_code == 201, response.content
    reversal = response.json()
    assert reversal["source"] == "reversal"
    assert reversal["state"] == "posted"
    assert reversal["reverses"] == entry.pk
    assert entry.number is not None
    assert reversal["number"] == entry.number + 1
    assert reversal["date"] == entry.date.isoformat()
    assert reversal["memo"] == f"Reversal of entry {entry.number}"
    assert [(line["account"], line["debit"], line["credit"]) for line in reversal["lines"]] == [
        ("1010", "0.00", "100.00"),
        ("4010", "100.00", "0.00"),
    ]
    original = bookkeeper.get(f"{API}/journal-entries/{entry.pk}/").json()
    assert original["state"] == "reversed"
    assert original["reversed_by"] == reversal["id"]
    assert api_error(again, 409)["message"] == (
        f"Journal entry {entry.number} is reversed; only posted entries can be reversed."
    )
    assert api_error(bookkeeper.post(f"{API}/journal-entries/{reversal['id']}/reverse/"), 409)
    assert _count(JournalEntry) == 2


def test_a_reversal_takes_a_date_and_memo(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    entry = JournalEntryFactory.create(date=_first_period().start, posted=True)
    day = _first_period().end

    response = bookkeeper.post(
        f"{API}/journal-entries/{entry.pk}/reverse/",
        {"date": day.isoformat(), "memo": "Bounced check"},
    )

    assert response.status_code == 201, response.content
    assert (response.json()["date"], response.json()["memo"]) == (day.isoformat(), "Bounced check")


def test_a_draft_is_not_reversed_and_a_bad_reversal_date_is_refused(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    draft = JournalEntryFactory.create()
    posted = JournalEntryFactory.create(posted=True)

    assert api_error(bookkeeper.post(f"{API}/journal-entries/{draft.pk}/reverse/"), 409)
    error = api_error(
        bookkeeper.post(f"{API}/journal-entries/{posted.pk}/reverse/", {"date": "soon"}), 400
    )
    assert list(error["fields"]) == ["date"]
    assert _count(JournalEntry, source=EntrySource.REVERSAL) == 0


def test_a_reversal_is_not_dated_before_the_entry_it_reverses(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    # A gift of 2026-01-03 reversed on 2025-12-31 would open FY2025 with negative cash.
    entry = JournalEntryFactory.create(date=date(2026, 1, 3), posted=True)
    path = f"{API}/journal-entries/{entry.pk}/reverse/"

    error = api_error(bookkeeper.post(path, {"date": "2025-12-31"}), 400)

    assert error["message"] == (
        "A reversal cannot be dated before the entry it reverses (2026-01-03)."
    )
    assert list(error["fields"]) == ["date"]
    assert _count(JournalEntry, source=EntrySource.REVERSAL) == 0
    assert bookkeeper.get(f"{API}/journal-entries/{entry.pk}/").json()["state"] == "posted"
    assert not JournalLine.objects.filter(entry__date=date(2025, 12, 31)).exists()

    same_day = bookkeeper.post(path, {"date": "2026-01-03"})

    assert same_day.status_code == 201, same_day.content
    assert same_day.json()["date"] == "2026-01-03"


def test_a_draft_is_not_created_in_a_closed_period(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    period = _first_period()
    periods.period_close(period=period, acting_user=None)
    audit_rows = AuditEvent.objects.count()
    body = {
        "date": period.start.isoformat(),
        "memo": "Late gift",
        "lines": [
            {"account": "1010", "fund": "GEN", "debit": "100.00"},
            {"account": "4010", "fund": "GEN", "credit": "100.00"},
        ],
    }

    error = api_error(bookkeeper.post(f"{API}/journal-entries/", body, format="json"), 409)

    assert error["code"] == "conflict"
    assert error["message"] == (
        f"{period} is closed: nothing can be drafted on {period.start.isoformat()}. Date the "
        "entry in an open period, or reopen the period."
    )
    assert _count(JournalEntry) == 0
    assert AuditEvent.objects.count() == audit_rows
    # Nothing was left behind to keep the period from being closed again.
    periods.period_reopen(period=period, acting_user=None, reason="A late gift")
    periods.period_close(period=period, acting_user=None)
    body["date"] = (period.end + timedelta(days=1)).isoformat()  # the next period is open
    assert bookkeeper.post(f"{API}/journal-entries/", body, format="json").status_code == 201


def test_a_draft_is_deleted_and_a_posted_entry_is_not(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    draft = JournalEntryFactory.create()
    posted = JournalEntryFactory.create(posted=True)

    deleted = bookkeeper.delete(f"{API}/journal-entries/{draft.pk}/")
    refused = bookkeeper.delete(f"{API}/journal-entries/{posted.pk}/")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert _count(JournalEntry, pk=draft.pk) == 0
    assert _count(JournalLine, entry_id=draft.pk) == 0
    assert "only drafts can be deleted" in api_error(refused, 409)["message"]
    assert _count(JournalEntry, pk=posted.pk, state=EntryState.POSTED) == 1
    assert api_error(bookkeeper.delete(f"{API}/journal-entries/{draft.pk}/"), 404)


def test_entries_are_not_edited_in_place(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    entry = JournalEntryFactory.create()

    assert bookkeeper.patch(f"{API}/journal-entries/{entry.pk}/", {"memo": "x"}).status_code == 405
    assert bookkeeper.put(f"{API}/journal-entries/{entry.pk}/", _gift()).status_code == 405
    assert api_error(bookkeeper.get(f"{API}/journal-entries/abc/"), 404)
    assert api_error(bookkeeper.get(f"{API}/journal-entries/99999999999999999999/"), 404)


def _ids(response: _MonkeyPatchedResponse) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_entries_are_filtered(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    early_day = _first_period().start
    late_day = early_day + timedelta(days=40)  # the second month of the fiscal year
    early = JournalEntryFactory.create(date=early_day, memo="early", posted=True)
    late_draft = JournalEntryFactory.create(date=late_day, debit_account="1020", memo="late draft")
    donation = postings.post_contribution(
        date=late_day, amount=Decimal("5.00"), fund="PRP", acting_user=None
    )
    listing = bookkeeper.get(f"{API}/journal-entries/")

    def listed(**query: str) -> list[int]:
        return _ids(bookkeeper.get(f"{API}/journal-entries/", query))

    assert _ids(listing) == [donation.pk, late_draft.pk, early.pk]  # newest first
    assert listed(start=late_day.isoformat()) == [donation.pk, late_draft.pk]
    assert listed(end=(late_day - timedelta(days=1)).isoformat()) == [early.pk]
    assert listed(start=early_day.isoformat(), end=early_day.isoformat()) == [early.pk]
    assert listed(account="1020") == [late_draft.pk]
    assert listed(account="4010", fund="PRP") == [donation.pk]
    assert listed(fund="GEN") == [late_draft.pk, early.pk]
    assert listed(state="draft") == [late_draft.pk]
    assert listed(source="donation") == [donation.pk]
    assert listed(account="NOPE") == []
    for bad in ({"start": "2026-13-45"}, {"end": "yesterday"}, {"state": "lost"}):
        assert list(
            api_error(bookkeeper.get(f"{API}/journal-entries/", bad), 400)["fields"]
        ) == list(bad)


def test_an_entry_with_two_lines_on_the_filtered_account_is_listed_once(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    entry = JournalEntryFactory.create(
        date=_today(),
        memo="Split",
        lines=[
            LineSpec(account="1010", fund="GEN", debit="60.00"),
            LineSpec(account="1010", fund="GEN", debit="40.00"),
            LineSpec(account="4010", fund="GEN", credit="100.00"),
        ],
        acting_user=None,
    )

    assert _ids(bookkeeper.get(f"{API}/journal-entries/", {"account": "1010"})) == [entry.pk]


def test_entries_are_cursor_paginated(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    drafts = [JournalEntryFactory.create(memo=f"Gift {number}") for number in range(5)]

    page = bookkeeper.get(f"{API}/journal-entries/", {"page_size": 2}).json()
    following = bookkeeper.get(page["next"]).json()

    assert [row["id"] for row in page["results"]] == [drafts[4].pk, drafts[3].pk]
    assert [row["id"] for row in following["results"]] == [drafts[2].pk, drafts[1].pk]
    assert page["previous"] is None


def test_the_entry_list_runs_a_fixed_number_of_queries(
    in_alpha: Tenant, bookkeeper: APIClient, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    people = [in_alpha.user(Role.BOOKKEEPER) for _ in range(3)]
    JournalEntryFactory.create(acting_user=people[0], posted=True)
    JournalEntryFactory.create(acting_user=people[1])
    bookkeeper.get(f"{API}/journal-entries/")  # warm caches

    with count_queries() as small_queries:
        small = bookkeeper.get(f"{API}/journal-entries/", {"page_size": 100})
    for number in range(12):
        person = people[number % 3]
        entry = JournalEntryFactory.create(
            acting_user=person, fund="PRP" if number % 2 else "GEN", posted=True
        )
        if number % 4 == 0:
            entries.entry_reverse(entry=entry, acting_user=person)
    JournalEntryFactory.create(
        date=_today(),
        memo="Program supplies",
        lines=[
            LineSpec(account="8110", fund="GEN", debit="7.00", function="program", program="PRG"),
            LineSpec(account="1010", fund="GEN", credit="7.00"),
        ],
        acting_user=people[2],
    )
    with count_queries() as large_queries:
        large = bookkeeper.get(f"{API}/journal-entries/", {"page_size": 100})

    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 2 + 12 + 3 + 1
    # the user, the page, the lines with their accounts, funds and programs (and search paths)
    assert len(large_queries) == len(small_queries) <= 6


# --- Settings ----------------------------------------------------------------------------------


def _fiscal_year(start_month: int) -> dict[str, Any]:
    today = _today()
    year = today.year + 1 if start_month > 1 and today.month >= start_month else today.year
    first = date(year - 1 if start_month > 1 else year, start_month, 1)
    last = date(first.year + 1, first.month, 1) - timedelta(days=1)
    return {"year": year, "start": first.isoformat(), "end": last.isoformat()}


def test_settings_are_read(alpha: Tenant) -> None:
    response = alpha.api(alpha.user(Role.VIEWER)).get(f"{API}/settings/")

    assert response.status_code == 200
    assert response.json() == {
        "fiscal_year_start_month": 1,
        "currency": "USD",
        "current_fiscal_year": _fiscal_year(1),
    }


def test_the_fiscal_year_start_is_changed_by_an_administrator(in_alpha: Tenant) -> None:
    admin = in_alpha.api(in_alpha.user(Role.ADMIN))

    response = admin.patch(f"{API}/settings/", {"fiscal_year_start_month": 7, "currency": "USD"})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "fiscal_year_start_month": 7,
        "currency": "USD",
        "current_fiscal_year": _fiscal_year(7),
    }
    assert AccountingSettings.objects.get().fiscal_year_start_month == 7
    july = FiscalPeriod.objects.filter(start__month=7).first()
    assert july is not None
    assert july.fiscal_year == july.start.year + 1
    assert AuditEvent.objects.filter(action="settings.update").count() == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"fiscal_year_start_month": 13},
            {"fiscal_year_start_month": ["Ensure this value is less than or equal to 12."]},
        ),
        (
            {"fiscal_year_start_month": "July"},
            {"fiscal_year_start_month": ["A valid integer is required."]},
        ),
        (
            {"currency": "EUR"},
            {"currency": ["The currency is fixed: the books hold amounts in one currency."]},
        ),
    ],
)
def test_bad_settings_are_refused(
    in_alpha: Tenant, body: dict[str, Any], fields: dict[str, Any]
) -> None:
    response = in_alpha.api(in_alpha.owner).patch(f"{API}/settings/", body)

    assert api_error(response, 400)["fields"] == fields
    assert AccountingSettings.objects.get().fiscal_year_start_month == 1


def test_the_fiscal_year_start_is_fixed_after_the_first_posting(in_alpha: Tenant) -> None:
    JournalEntryFactory.create(posted=True)

    response = in_alpha.api(in_alpha.owner).patch(
        f"{API}/settings/", {"fiscal_year_start_month": 4}
    )

    assert "before the first posting" in api_error(response, 409)["message"]
    assert AccountingSettings.objects.get().fiscal_year_start_month == 1


@pytest.mark.parametrize("role", [Role.BOOKKEEPER, *NOT_WRITERS])
def test_only_administrators_change_settings(in_alpha: Tenant, role: str) -> None:
    response = in_alpha.api(in_alpha.user(role)).patch(
        f"{API}/settings/", {"fiscal_year_start_month": 7}
    )

    assert api_error(response, 403)["code"] == "permission_denied"
    assert AccountingSettings.objects.get().fiscal_year_start_month == 1


# --- Reports -----------------------------------------------------------------------------------


def _fiscal_year_start() -> str:
    return _fiscal_year(1)["start"]


def _default_parameters(name: str) -> dict[str, str]:
    today = _today().isoformat()
    return {
        "trial-balance": {"as_of": today},
        "financial-position": {"as_of": today},
        "fund-balances": {"as_of": today},
        "activities": {"start": _fiscal_year_start(), "end": today},
        "functional-expenses": {"start": _fiscal_year_start(), "end": today},
        "general-ledger": {"account": "1010", "start": _fiscal_year_start(), "end": today},
    }[name]


@pytest.mark.parametrize("name", list(reports.REPORTS))
def test_each_report_answers_with_its_defaults(
    in_alpha: Tenant, bookkeeper: APIClient, name: str
) -> None:
    JournalEntryFactory.create(posted=True)
    query = {"account": "1010"} if name == "general-ledger" else {}

    response = bookkeeper.get(f"{API}/reports/{name}/", query)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["report"] == name
    assert body["parameters"] == _default_parameters(name)
    arguments: dict[str, Any] = {
        key: date.fromisoformat(value) if key != "account" else value
        for key, value in _default_parameters(name).items()
    }
    assert body == reports.REPORTS[name](**arguments).as_json()


def test_report_parameters_are_passed_through(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    JournalEntryFactory.create(date=_first_period().start, posted=True)
    JournalEntryFactory.create(fund="PRP", amount="30.00", posted=True)
    start, end = _first_period().start.isoformat(), _today().isoformat()

    ledger = bookkeeper.get(
        f"{API}/reports/general-ledger/",
        {"account": "4010", "start": start, "end": end, "fund": "PRP"},
    )
    balance = bookkeeper.get(f"{API}/reports/trial-balance/", {"as_of": end, "fund": "GEN"})

    assert ledger.json()["parameters"] == {
        "account": "4010",
        "start": start,
        "end": end,
        "fund": "PRP",
    }
    assert [line["credit"] for line in ledger.json()["lines"]] == ["30.00"]
    assert balance.json()["parameters"] == {"as_of": end, "fund": "GEN"}
    assert balance.json()["total_debit"] == "100.00"


def test_the_default_start_follows_the_fiscal_year(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    periods.settings_update(fiscal_year_start_month=7, acting_user=None)
    end = date(2025, 3, 31)

    activities = bookkeeper.get(f"{API}/reports/activities/", {"end": end.isoformat()})
    current = bookkeeper.get(f"{API}/reports/functional-expenses/")

    assert activities.json()["parameters"] == {"start": "2024-07-01", "end": "2025-03-31"}
    assert current.json()["parameters"]["start"] == _fiscal_year(7)["start"]


def test_the_general_ledger_json_is_paged_by_cursor(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    for amount in ("10.00", "20.00", "30.00"):
        JournalEntryFactory.create(amount=amount, posted=True)
    query: dict[str, str | int] = {"account": "1010", "size": 2}
    whole = bookkeeper.get(f"{API}/reports/general-ledger/", {**query, "size": 1000}).json()

    first = bookkeeper.get(f"{API}/reports/general-ledger/", query).json()
    second = bookkeeper.get(
        f"{API}/reports/general-ledger/", {**query, "after": first["page"]["next"]}
    ).json()

    assert first["page"] == {"first": 1, "last": 2, "total": 3, "next": first["page"]["next"]}
    assert second["page"] == {"first": 3, "last": 3, "total": 3, "next": None}
    assert first["lines"] + second["lines"] == whole["lines"]
    assert [line["balance"] for line in whole["lines"]] == ["10.00", "30.00", "60.00"]
    assert second["closing_balance"] == first["closing_balance"] == "60.00"
    error = api_error(bookkeeper.get(f"{API}/reports/general-ledger/", {**query, "size": 0}), 400)
    assert list(error["fields"]) == ["size"]
    error = api_error(
        bookkeeper.get(f"{API}/reports/trial-balance/", {"after": first["page"]["next"]}), 400
    )
    assert list(error["fields"]) == ["after"]


def test_the_general_ledger_needs_an_account(bookkeeper: APIClient) -> None:
    error = api_error(bookkeeper.get(f"{API}/reports/general-ledger/"), 400)

    assert error["message"].startswith("account: the general-ledger report is about one account")
    assert error["fields"] == {"account": ["Required."]}
    assert api_error(bookkeeper.get(f"{API}/reports/general-ledger/", {"account": "9999"}), 400)[
        "fields"
    ] == {"account": ["Unknown account."]}


@pytest.mark.parametrize(
    ("name", "parameter"),
    [
        ("trial-balance", "as_of"),
        ("financial-position", "as_of"),
        ("fund-balances", "as_of"),
        ("activities", "start"),
        ("activities", "end"),
        ("functional-expenses", "start"),
        ("general-ledger", "end"),
    ],
)
@pytest.mark.parametrize("value", ["2026-13-45", "yesterday", "2026-02-30"])
def test_a_bad_report_date_is_refused_by_name(
    bookkeeper: APIClient, name: str, parameter: str, value: str
) -> None:
    query = {parameter: value, **({"account": "1010"} if name == "general-ledger" else {})}

    error = api_error(bookkeeper.get(f"{API}/reports/{name}/", query), 400)

    assert error["message"].startswith(f"{parameter}: Date has wrong format.")
    assert list(error["fields"]) == [parameter]


@pytest.mark.parametrize("value", ["1899-12-31", "3000-01-01", "9999-12-31", "0001-01-01"])
def test_report_dates_out_of_the_books_range_are_refused(
    in_alpha: Tenant, bookkeeper: APIClient, value: str
) -> None:
    periods.settings_update(fiscal_year_start_month=7, acting_user=None)

    error = api_error(bookkeeper.get(f"{API}/reports/activities/", {"end": value}), 400)

    assert error["message"] == "end: Give a date from 1900-01-01 to 2999-12-31."


def test_report_parameters_a_report_does_not_take_are_refused(bookkeeper: APIClient) -> None:
    error = api_error(bookkeeper.get(f"{API}/reports/financial-position/", {"fund": "GEN"}), 400)

    assert error["message"] == (
        "fund: the financial-position report does not take this parameter; it takes as_of, compare."
    )
    assert error["fields"] == {"fund": ["Not a parameter of this report."]}
    assert api_error(bookkeeper.get(f"{API}/reports/activities/", {"as_of": "2026-01-01"}), 400)


def test_report_values_the_books_refuse_are_400(bookkeeper: APIClient) -> None:
    unknown_fund = bookkeeper.get(f"{API}/reports/trial-balance/", {"fund": "NOPE"})
    backwards = bookkeeper.get(
        f"{API}/reports/activities/", {"start": "2026-02-01", "end": "2026-01-01"}
    )

    assert api_error(unknown_fund, 400)["fields"] == {"fund": ["Unknown fund."]}
    assert api_error(backwards, 400)["message"] == "The start date is after the end date."


def test_empty_report_parameters_take_their_defaults(bookkeeper: APIClient) -> None:
    response = bookkeeper.get(f"{API}/reports/trial-balance/", {"as_of": "", "fund": ""})

    assert response.status_code == 200
    assert response.json()["parameters"] == {"as_of": _today().isoformat()}


def test_an_unknown_report_is_404(bookkeeper: APIClient) -> None:
    error = api_error(bookkeeper.get(f"{API}/reports/balance-sheet/"), 404)

    assert error["code"] == "not_found"
    assert "trial-balance" in error["message"]


def _csv(response: _MonkeyPatchedResponse) -> list[list[str]]:
    if response.streaming:  # a long report is streamed
        body = b"".join(cast(Iterable[bytes], getattr(response, "streaming_content", [])))
    else:
        body = response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def test_a_report_comes_as_csv(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    JournalEntryFactory.create(amount="1250.50", posted=True)
    postings.entry_record(
        date=_today(),
        memo="Supplies",
        lines=[
            LineSpec(account="8110", fund="GEN", debit="250.25", function="fundraising"),
            LineSpec(account="1010", fund="GEN", credit="250.25"),
        ],
        source=EntrySource.MANUAL,
        acting_user=None,
    )
    as_of = _today().isoformat()

    response = bookkeeper.get(f"{API}/reports/trial-balance/", {"as_of": as_of, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (f'attachment; filename="trial-balance-{as_of}.csv"')
    lines = response.content.decode("utf-8").split("\r\n")
    assert lines == [
        "Account,Name,Type,Debit,Credit",
        "1010,Cash - operating (checking),asset,1000.25,0.00",
        "4010,Individual contributions,revenue,0.00,1250.50",
        "8110,Supplies,expense,250.25,0.00",
        "Total,,,1250.50,1250.50",
        "",
    ]


def test_a_csv_report_quotes_text_and_keeps_formulas_out(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    chart.fund_create(
        code="EVT",
        name='=HYPERLINK("http://x", "Gala, 2026")',
        restriction="without",
        acting_user=None,
    )
    postings.entry_record(
        date=_today(),
        memo="Refund",
        lines=[
            LineSpec(account="4010", fund="EVT", debit="80.00"),
            LineSpec(account="1010", fund="EVT", credit="80.00"),
        ],
        source=EntrySource.MANUAL,
        acting_user=None,
    )

    response = bookkeeper.get(f"{API}/reports/fund-balances/", {"format": "csv"})

    rows = _csv(response)
    assert rows[0] == [
        "Fund",
        "Name",
        "Restriction",
        "Assets",
        "Liabilities",
        "Without donor restrictions",
        "With donor restrictions",
        "Fund balance",
    ]
    assert rows[1] == [
        "EVT",
        '\'=HYPERLINK("http://x", "Gala, 2026")',
        "without",
        "-80.00",
        "0.00",
        "-80.00",
        "0.00",
        "-80.00",
    ]
    assert [row[0] for row in rows[2:]] == ["GEN", "PRP", "Total"]


def test_the_general_ledger_csv_is_named_after_its_parameters(
    in_alpha: Tenant, bookkeeper: APIClient
) -> None:
    JournalEntryFactory.create(posted=True)
    start, end = _first_period().start.isoformat(), _today().isoformat()

    response = bookkeeper.get(
        f"{API}/reports/general-ledger/",
        {"account": "1010", "start": start, "end": end, "fund": "GEN", "format": "csv"},
    )

    assert response["Content-Disposition"] == (
        f'attachment; filename="general-ledger-1010-{start}-{end}-GEN.csv"'
    )
    rows = _csv(response)
    assert rows[0] == [
        "Date",
        "Entry",
        "Memo",
        "Fund",
        "Function",
        "Program",
        "Debit",
        "Credit",
        "Balance",
    ]
    assert rows[1] == [start, "", "Opening balance", "", "", "", "", "", "0.00"]
    assert rows[-1] == [end, "", "Closing balance", "", "", "", "100.00", "0.00", "100.00"]


def test_the_general_ledger_csv_is_streamed_whole(
    in_alpha: Tenant, bookkeeper: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "LEDGER_CHUNK", 2)
    for amount in ("10.00", "20.00", "30.00", "40.00", "50.00"):
        JournalEntryFactory.create(amount=amount, posted=True)
    start, end = _first_period().start.isoformat(), _today().isoformat()

    response = bookkeeper.get(
        f"{API}/reports/general-ledger/",
        {"account": "1010", "start": start, "end": end, "format": "csv"},
    )

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert [row[6] for row in rows[2:-1]] == ["10.00", "20.00", "30.00", "40.00", "50.00"]
    assert [row[-1] for row in rows[2:-1]] == ["10.00", "30.00", "60.00", "100.00", "150.00"]
    assert rows[-1] == [end, "", "Closing balance", "", "", "", "150.00", "0.00", "150.00"]


def test_csv_is_also_asked_for_by_accept_header(bookkeeper: APIClient) -> None:
    response = bookkeeper.get(f"{API}/reports/financial-position/", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert _csv(response)[0] == ["Line", "Amount"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/reports/trial-balance/?as_of=yesterday&format=csv", 400),
        ("/reports/general-ledger/?format=csv", 400),
        ("/reports/trial-balance/?fund=NOPE&format=csv", 400),
        ("/reports/nope/?format=csv", 404),
    ],
)
def test_report_errors_come_back_as_json_even_when_csv_was_asked_for(
    bookkeeper: APIClient, path: str, status: int
) -> None:
    api_error(bookkeeper.get(f"{API}{path}"), status)


def test_csv_report_refusals_are_json_too(alpha: Tenant) -> None:
    path = f"{API}/reports/trial-balance/?format=csv"

    api_error(alpha.api(alpha.user(Role.VOLUNTEER_COORDINATOR)).get(path), 403)
    api_error(alpha.api().get(path), 401)


def test_other_endpoints_do_not_answer_csv(bookkeeper: APIClient) -> None:
    assert api_error(bookkeeper.get(f"{API}/accounts/", {"format": "csv"}), 404)


# --- Roles -------------------------------------------------------------------------------------


def _read_paths() -> list[str]:
    with schema_context("alpha"):
        period = _first_period()
        entry = JournalEntryFactory.create()
    return [
        f"{API}/accounts/",
        f"{API}/accounts/1010/",
        f"{API}/funds/",
        f"{API}/funds/GEN/",
        f"{API}/programs/",
        f"{API}/programs/PRG/",
        f"{API}/periods/",
        f"{API}/periods/{period.pk}/",
        f"{API}/journal-entries/",
        f"{API}/journal-entries/{entry.pk}/",
        f"{API}/settings/",
        *(
            f"{API}/reports/{name}/" + ("?account=1010" if name == "general-ledger" else "")
            for name in reports.REPORTS
        ),
        f"{API}/reports/trial-balance/?format=csv",
    ]


@pytest.mark.parametrize("role", READERS)
def test_accounting_readers_read_everything(alpha: Tenant, role: str) -> None:
    client = alpha.api(alpha.user(role))

    for path in _read_paths():
        assert client.get(path).status_code == 200, (role, path)


def test_a_volunteer_coordinator_reads_nothing(alpha: Tenant) -> None:
    client = alpha.api(alpha.user(Role.VOLUNTEER_COORDINATOR))

    for path in _read_paths():
        assert api_error(client.get(path), 403)["code"] == "permission_denied", path


def _quiet_period() -> FiscalPeriod:
    """An open period of the current fiscal year with no draft in it (none dated today)."""
    today = _today()
    with schema_context("alpha"):
        period = FiscalPeriod.objects.exclude(start__lte=today, end__gte=today).first()
    assert period is not None
    return period


def _writes() -> list[tuple[str, str, dict[str, Any] | None]]:
    """One call of every write, in an order that each can succeed for a writer."""
    period = _quiet_period()
    with schema_context("alpha"):
        to_post, to_delete = JournalEntryFactory.create(), JournalEntryFactory.create()
        posted = JournalEntryFactory.create(posted=True)
    return [
        ("post", f"{API}/accounts/", {"code": "1011", "name": "Cash", "type": "asset"}),
        ("patch", f"{API}/accounts/1010/", {"name": "Cash"}),
        ("post", f"{API}/funds/", {"code": "SCH", "name": "S", "restriction": "purpose"}),
        ("patch", f"{API}/funds/GEN/", {"name": "General"}),
        ("post", f"{API}/programs/", {"code": "SHL", "name": "Shelter"}),
        ("patch", f"{API}/programs/PRG/", {"name": "Programs"}),
        ("post", f"{API}/periods/{period.pk}/close/", None),
        ("post", f"{API}/periods/{period.pk}/reopen/", {"reason": "x"}),
        ("post", f"{API}/journal-entries/", _gift()),
        ("post", f"{API}/journal-entries/{to_post.pk}/post/", None),
        ("post", f"{API}/journal-entries/{posted.pk}/reverse/", {}),
        ("delete", f"{API}/journal-entries/{to_delete.pk}/", None),
        ("patch", f"{API}/settings/", {"fiscal_year_start_month": 7}),
    ]


def _books_state() -> list[Any]:
    with schema_context("alpha"):
        return [
            list(Account.objects.values_list("code", "name", "is_active")),
            list(Fund.objects.values_list("code", "name")),
            list(Program.objects.values_list("code", "name")),
            list(FiscalPeriod.objects.values_list("id", "state")),
            list(JournalEntry.objects.values_list("id", "state", "number")),
            list(AccountingSettings.objects.values_list("fiscal_year_start_month")),
            AuditEvent.objects.count(),
        ]


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_readers_write_nothing(alpha: Tenant, role: str) -> None:
    client = alpha.api(alpha.user(role))
    writes = _writes()
    before = _books_state()

    for method, path, body in writes:
        response = getattr(client, method)(path, body)
        assert api_error(response, 403)["code"] == "permission_denied", (role, method, path)

    assert _books_state() == before


def test_a_bookkeeper_writes_everything_but_settings(alpha: Tenant, bookkeeper: APIClient) -> None:
    expected = {"post": {201, 200}, "patch": {200}, "delete": {204}}

    for method, path, body in _writes():
        response = getattr(bookkeeper, method)(path, body)
        if path.endswith("/settings/"):
            assert response.status_code == 403
        else:
            assert response.status_code in expected[method], (method, path, response.content)


# --- Other tenants -----------------------------------------------------------------------------


def test_people_of_another_tenant_get_nothing(
    assert_other_tenant_denied: Callable[..., None],
) -> None:
    for path in _read_paths():
        assert_other_tenant_denied(path)
    writes = _writes()
    before = _books_state()

    for method, path, body in writes:
        assert_other_tenant_denied(path, method=method, data=body)

    assert _books_state() == before


def test_ids_of_another_tenant_are_not_found(alpha: Tenant, beta: Tenant) -> None:
    with schema_context("alpha"):
        entry = JournalEntryFactory.create()
    with schema_context("beta"):
        assert not JournalEntry.objects.filter(pk=entry.pk).exists()

    response = beta.api(beta.owner).get(f"{API}/journal-entries/{entry.pk}/")
    listed = beta.api(beta.owner).get(f"{API}/journal-entries/")

    assert api_error(response, 404)
    assert listed.json()["results"] == []


# --- OpenAPI -----------------------------------------------------------------------------------


def test_the_schema_documents_the_accounting_api(alpha: Tenant) -> None:
    response = alpha.client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/accounting/accounts/": {"get", "post"},
        "/api/v1/accounting/accounts/{code}/": {"get", "patch"},
        "/api/v1/accounting/funds/": {"get", "post"},
        "/api/v1/accounting/funds/{code}/": {"get", "patch"},
        "/api/v1/accounting/programs/": {"get", "post"},
        "/api/v1/accounting/programs/{code}/": {"get", "patch"},
        "/api/v1/accounting/periods/": {"get"},
        "/api/v1/accounting/periods/{id}/": {"get"},
        "/api/v1/accounting/periods/{id}/close/": {"post"},
        "/api/v1/accounting/periods/{id}/reopen/": {"post"},
        "/api/v1/accounting/journal-entries/": {"get", "post"},
        "/api/v1/accounting/journal-entries/{id}/": {"get", "delete"},
        "/api/v1/accounting/journal-entries/{id}/post/": {"post"},
        "/api/v1/accounting/journal-entries/{id}/reverse/": {"post"},
        "/api/v1/accounting/settings/": {"get", "patch"},
        "/api/v1/accounting/reports/{name}/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
    report = paths["/api/v1/accounting/reports/{name}/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in report["parameters"]}
    assert set(parameters) == {
        "name",
        "as_of",
        "start",
        "end",
        "account",
        "fund",
        "compare",
        "after",
        "size",
        "format",
    }
    assert parameters["size"]["schema"]["type"] == "integer"
    assert parameters["name"]["schema"]["enum"] == sorted(reports.REPORTS)
    assert set(report["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    reverse = paths["/api/v1/accounting/journal-entries/{id}/reverse/"]["post"]
    assert set(reverse["responses"]) == {"201", "400", "401", "403", "404", "409", "415", "429"}


def test_a_statement_beside_the_prior_year_as_csv(in_alpha: Tenant, bookkeeper: APIClient) -> None:
    postings.post_contribution(
        date=date(2025, 10, 10), amount=Decimal("400.00"), fund="GEN", acting_user=None
    )
    postings.post_contribution(
        date=date(2026, 10, 10), amount=Decimal("1000.00"), fund="GEN", acting_user=None
    )
    query = {"start": "2026-10-01", "end": "2026-10-31", "compare": "prior-year"}

    response = bookkeeper.get(f"{API}/reports/activities/", {**query, "format": "csv"})

    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][-2:] == ["Prior year", "Change"]
    totals = next(row for row in table if row[0] == "Total revenue and support")
    assert totals[-3:] == ["1000.00", "400.00", "600.00"]


def test_an_unknown_comparison_is_refused_by_name(bookkeeper: APIClient) -> None:
    response = bookkeeper.get(f"{API}/reports/activities/", {"compare": "last-decade"})

    error = api_error(response, 400)
    assert list(error["fields"]) == ["compare"]


def test_a_report_without_comparisons_refuses_one(bookkeeper: APIClient) -> None:
    response = bookkeeper.get(f"{API}/reports/trial-balance/", {"compare": "prior-year"})

    assert list(api_error(response, 400)["fields"]) == ["compare"]
