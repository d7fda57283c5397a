"""The chart's pages: the accounts, funds and programs lists (filters, paging, CSV), adding,
editing, deactivating and reactivating through the services, the services' refusals on the
form, roles, query counts and tenant isolation."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import Account, Fund, Program
from tenant_apps.accounting.services import chart, postings, releases
from tenant_apps.accounting.tests.factories import AccountFactory, FundFactory
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

LISTS = ("/accounting/chart/", "/accounting/funds/", "/accounting/programs/")
HOSTILE = "<script>alert(1)</script>"


def _bookkeeper(alpha: Tenant) -> Client:
    return alpha.client(alpha.user(Role.BOOKKEEPER, email="books@alpha.org"))


def _csv_text(response: HttpResponseBase) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


# --- Roles -------------------------------------------------------------------------------------

READERS = [
    (Role.OWNER, 200),
    (Role.ADMIN, 200),
    (Role.BOOKKEEPER, 200),
    (Role.FUNDRAISER, 200),
    (Role.VIEWER, 200),
    (Role.VOLUNTEER_COORDINATOR, 403),
    (Role.VOLUNTEER, 403),
]
WRITERS = [
    (Role.OWNER, 200),
    (Role.ADMIN, 200),
    (Role.BOOKKEEPER, 200),
    (Role.FUNDRAISER, 403),
    (Role.VIEWER, 403),
    (Role.VOLUNTEER_COORDINATOR, 403),
    (Role.VOLUNTEER, 403),
]


@pytest.mark.parametrize(("role", "status"), READERS)
def test_the_lists_are_for_those_who_read_the_books(alpha: Tenant, role: str, status: int) -> None:
    client = alpha.client(alpha.user(role))
    for url in LISTS:
        response = client.get(url)
        assert response.status_code == status, url
        if status == 403:
            assert "This page is for the" in response.text
        else:
            # Only those who keep the books are offered to change them.
            assert ("Deactivate" in response.text) == (
                role in (Role.OWNER, Role.ADMIN, Role.BOOKKEEPER)
            )


@pytest.mark.parametrize(("role", "status"), WRITERS)
def test_the_forms_are_for_those_who_keep_the_books(alpha: Tenant, role: str, status: int) -> None:
    with schema_context("alpha"):
        account = Account.objects.get(code="8110")
        fund = Fund.objects.get(code="GEN")
        program = chart.program_create(code="CAMP", name="Camp", acting_user=None)
    client = alpha.client(alpha.user(role))
    pages = [
        "/accounting/chart/new/",
        f"/accounting/chart/{account.pk}/edit/",
        f"/accounting/chart/{account.pk}/deactivate/",
        "/accounting/funds/new/",
        f"/accounting/funds/{fund.pk}/edit/",
        f"/accounting/funds/{fund.pk}/reactivate/",
        "/accounting/programs/new/",
        f"/accounting/programs/{program.pk}/edit/",
        f"/accounting/programs/{program.pk}/deactivate/",
    ]
    for url in pages:
        assert client.get(url).status_code == status, url
    refused = client.post(f"/accounting/programs/{program.pk}/deactivate/")
    assert refused.status_code == (302 if status == 200 else 403)
    with schema_context("alpha"):
        assert Program.objects.get(pk=program.pk).is_active == (status != 200)


def test_people_of_another_organization_see_nothing(alpha: Tenant, beta: Tenant) -> None:
    with schema_context("alpha"):
        chart.program_create(code="ALPHAONLY", name="Alpha's camp", acting_user=None)
        fund = Fund.objects.get(code="GEN")
    beta_session = beta.client(beta.owner).cookies["sessionid"].value
    replay = alpha.client()
    replay.cookies["sessionid"] = beta_session
    response = replay.get("/accounting/programs/")
    assert response.status_code == 302  # not a login here: to the login page
    assert replay.post(f"/accounting/funds/{fund.pk}/deactivate/").status_code == 302
    assert "ALPHAONLY" not in beta.client(beta.owner).get("/accounting/programs/").text
    with schema_context("alpha"):
        assert Fund.objects.get(pk=fund.pk).is_active


# --- Lists -------------------------------------------------------------------------------------


def test_the_chart_lists_active_accounts_filters_and_exports(alpha: Tenant) -> None:
    with schema_context("alpha"):
        AccountFactory.create(code="8999", name="Old rent", is_active=False)
    client = _bookkeeper(alpha)

    listed = client.get("/accounting/chart/").text
    assert "8110" in listed and "Old rent" not in listed
    assert "Expense" in listed and ">expense<" not in listed  # labels, not stored values
    inactive = client.get("/accounting/chart/", {"status": "inactive"}).text
    assert "Old rent" in inactive and "8110" not in inactive
    expenses = client.get("/accounting/chart/", {"kind": "revenue", "text": "contrib"}).text
    assert "4010" in expenses and "8110" not in expenses

    csv = client.get("/accounting/chart/", {"format": "csv", "status": "", "text": "old"})
    body = _csv_text(csv)
    assert csv["Content-Type"].startswith("text/csv")
    assert body.splitlines() == [
        "Code,Name,Type,Normal balance,Under,UCOA code,Status",
        "8999,Old rent,Expense,Debit,,,Inactive",
    ]


def test_a_bad_filter_lists_as_if_it_were_not_given(alpha: Tenant) -> None:
    client = _bookkeeper(alpha)
    for query in ({"status": "nope"}, {"kind": "nope"}, {"page": "x", "sort": "-nope"}):
        response = client.get("/accounting/funds/", query)
        assert response.status_code == 200
        assert "GEN" in response.text


def test_funds_show_their_restriction_and_release_date_in_words(alpha: Tenant) -> None:
    with schema_context("alpha"):
        chart.fund_create(
            code="Y27",
            name=HOSTILE,
            restriction="time",
            release_on=date(2027, 1, 31),
            acting_user=None,
        )
    client = _bookkeeper(alpha)
    text = client.get("/accounting/funds/", {"kind": "time"}).text
    assert "With donor restrictions: time" in text
    assert "Jan 31, 2027" in text
    assert HOSTILE not in text and "&lt;script&gt;" in text
    assert "GEN" not in text
    csv = client.get("/accounting/funds/", {"kind": "time", "format": "csv"})
    assert _csv_text(csv).splitlines()[1] == (
        "Y27,<script>alert(1)</script>,With donor restrictions: time,2027-01-31,,Active"
    )


def test_the_lists_page_fifty_at_a_time(alpha: Tenant) -> None:
    with schema_context("alpha"):
        for number in range(55):
            chart.program_create(code=f"P{number:02d}", name=f"Program {number}", acting_user=None)
    client = _bookkeeper(alpha)
    first = client.get("/accounting/programs/").text
    assert re.search(r"1–50 of \d+ programs", first) and 'rel="next"' in first
    second = client.get("/accounting/programs/", {"page": 2}).text
    assert re.search(r"51–\d+ of \d+ programs", second) and "P54" in second and "P49" not in second


@pytest.mark.parametrize("url", LISTS)
def test_each_list_runs_a_fixed_number_of_queries(
    alpha: Tenant, url: str, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = _bookkeeper(alpha)
    client.get(url)

    def queries(number: int) -> int:
        with schema_context("alpha"):
            start = Program.objects.count() + Fund.objects.count()
            for index in range(start, start + number):
                chart.program_create(code=f"Q{index}", name=f"Program {index}", acting_user=None)
                FundFactory.create(code=f"Q{index}")
                AccountFactory.create(code=f"Q{index}", parent=Account.objects.get(code="8000"))
        with count_queries() as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(2) == queries(20)


# --- Adding, editing, (de)activating -----------------------------------------------------------


def test_a_bookkeeper_adds_a_time_restricted_fund(alpha: Tenant) -> None:
    client = _bookkeeper(alpha)
    response = client.post(
        "/accounting/funds/new/",
        {
            "code": "SUMMER",
            "name": "Summer camp 2027",
            "restriction": "time",
            "release_on": "2027-06-01",
            "description": "Given for next summer.",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).text
    assert "Fund SUMMER Summer camp 2027 saved." in page
    assert "Jun 1, 2027" in page
    with schema_context("alpha"):
        fund = Fund.objects.get(code="SUMMER")
        assert (fund.restriction, fund.release_on) == ("time", date(2027, 6, 1))
        assert AuditEvent.objects.filter(action="fund.create").exists()


def test_the_services_refusals_are_shown_on_the_fields(alpha: Tenant) -> None:
    client = _bookkeeper(alpha)
    cases = [
        (
            "/accounting/funds/new/",
            {"code": "P2", "name": "Purpose", "restriction": "purpose", "release_on": "2027-01-01"},
            "Only for a fund with a time restriction.",
        ),
        (
            "/accounting/funds/new/",
            {"code": "GEN", "name": "x", "restriction": "without"},
            "Already used.",
        ),
        (
            "/accounting/chart/new/",
            {"code": "9100", "name": "Wrong place", "type": "asset", "parent": "8000"},
            "The parent must be of the same type.",
        ),
        (
            "/accounting/programs/new/",
            {"code": "bad code!", "name": "Bad"},
            "Use 1 to 20 letters, digits, dots, dashes or underscores.",
        ),
        ("/accounting/programs/new/", {"code": "OK", "name": "   "}, "This field is required."),
        (
            "/accounting/funds/new/",
            {"code": "T", "name": "T", "restriction": "time", "release_on": "1800-01-01"},
            "Ensure this value is greater than or equal to",
        ),
        ("/accounting/chart/new/", {"code": "9100", "name": "x", "type": "nope"}, "Select a valid"),
    ]
    for url, data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 400, (url, data)
        assert "field-error" in response.text and message in response.text, (url, message)
    with schema_context("alpha"):
        assert not Fund.objects.filter(code__in=["P2", "T"]).exists()
        assert not Account.objects.filter(code="9100").exists()
        assert not Program.objects.filter(code="OK").exists()


def test_an_account_is_renamed_but_keeps_its_code_and_type(alpha: Tenant) -> None:
    with schema_context("alpha"):
        account = Account.objects.get(code="8110")
    client = _bookkeeper(alpha)
    form = client.get(f"/accounting/chart/{account.pk}/edit/").text
    assert 'name="code"' not in form and 'name="type"' not in form
    response = client.post(
        f"/accounting/chart/{account.pk}/edit/",
        {"name": "Office supplies", "code": "X", "type": "asset"},
    )
    assert response.status_code == 302
    with schema_context("alpha"):
        account.refresh_from_db()
        assert (account.code, account.name, account.type) == ("8110", "Office supplies", "expense")
        assert AuditEvent.objects.filter(action="account.update").exists()


def test_a_released_fund_keeps_its_release_date(alpha: Tenant) -> None:
    with schema_context("alpha"):
        fund = chart.fund_create(
            code="Y26",
            name="For 2026",
            restriction="time",
            release_on=date(2026, 3, 31),
            acting_user=None,
        )
        postings.post_contribution(
            date=date(2026, 1, 5), amount=Decimal("10"), fund="Y26", acting_user=None
        )
        releases.time_releases_run(today=date(2026, 4, 1))
    client = _bookkeeper(alpha)
    assert "(released)" in client.get("/accounting/funds/", {"text": "Y26"}).text
    response = client.post(
        f"/accounting/funds/{fund.pk}/edit/", {"name": "For 2026", "release_on": "2026-09-30"}
    )
    assert response.status_code == 400
    assert "Already released: the date stays." in response.text
    with schema_context("alpha"):
        fund.refresh_from_db()
        assert fund.release_on == date(2026, 3, 31)


def test_a_purpose_fund_form_has_no_release_date(alpha: Tenant) -> None:
    with schema_context("alpha"):
        fund = Fund.objects.get(code="PRP")
    text = _bookkeeper(alpha).get(f"/accounting/funds/{fund.pk}/edit/").text
    assert 'name="release_on"' not in text and 'name="name"' in text


def test_a_fund_is_deactivated_and_reactivated(alpha: Tenant) -> None:
    with schema_context("alpha"):
        fund = Fund.objects.get(code="PRP")
    client = _bookkeeper(alpha)
    confirm = client.get(f"/accounting/funds/{fund.pk}/deactivate/").text
    assert "no new entry or gift can use it" in confirm and "csrfmiddlewaretoken" in confirm

    response = client.post(f"/accounting/funds/{fund.pk}/deactivate/", follow=True)
    assert "Fund PRP" in response.text and "deactivated." in response.text
    with schema_context("alpha"):
        fund.refresh_from_db()
        assert not fund.is_active
    assert "PRP" not in client.get("/accounting/funds/").text

    client.post(f"/accounting/funds/{fund.pk}/reactivate/")
    with schema_context("alpha"):
        fund.refresh_from_db()
        assert fund.is_active
        assert AuditEvent.objects.filter(action="fund.update").count() == 2


def test_an_unknown_row_is_not_found(alpha: Tenant) -> None:
    client = _bookkeeper(alpha)
    for url in ("/accounting/chart/999999/edit/", "/accounting/funds/999999/deactivate/"):
        assert client.get(url).status_code == 404
