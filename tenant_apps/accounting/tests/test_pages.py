"""The report pages: figures as accountants print them, parameters, roles and tenant isolation."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.lib.report_pages import figure
from tenant_apps.accounting import reports, selectors
from tenant_apps.accounting.models import Function
from tenant_apps.accounting.reports import REPORTS
from tenant_apps.accounting.services import periods, postings
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import JournalEntryFactory
from tenant_apps.accounting.views import PAGES
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def shows_figure(html: str, printed: str) -> bool:
    """Whether the page has `printed` in a figure's cell, as it is or as a link to its lines."""
    pattern = rf'<td class="num">(<a href="[^"]*">)?{re.escape(printed)}(</a>)?</td>'
    return re.search(pattern, html) is not None


def _today() -> date:
    return timezone.localdate()


def _books(*, contributions: int = 1) -> None:
    """Given alpha's books: 1,000.00 given to GEN (in `contributions` gifts), 500.00 to the
    purpose-restricted PRP, and 1,300.00 of supplies paid from GEN's cash, all today.

    GEN then holds (300.00) of cash and of net assets without donor restrictions."""
    today = _today()
    with schema_context("alpha"):
        share = Decimal("1000.00") / contributions
        for _ in range(contributions):
            postings.post_contribution(date=today, amount=share, fund="GEN", acting_user=None)
        postings.post_contribution(
            date=today, amount=Decimal("500.00"), fund="PRP", acting_user=None
        )
        JournalEntryFactory.create(
            date=today,
            memo="Office supplies",
            posted=True,
            lines=[
                LineSpec(
                    account="8110", fund="GEN", debit="1300.00", function="management_general"
                ),
                LineSpec(account="1010", fund="GEN", credit="1300.00"),
            ],
        )


def _query(name: str) -> dict[str, str]:
    today = _today().isoformat()
    if name in ("trial-balance", "financial-position", "fund-balances"):
        return {"as_of": today}
    if name == "general-ledger":
        return {"account": "1010", "start": today, "end": today, "fund": "GEN"}
    return {"start": today, "end": today}


# The figures each page must show for the books above.
EXPECTED = {
    # Debit column: 1010 200.00, 8110 1,300.00; credit column: 4010 1,500.00; totals 1,500.00.
    "trial-balance": ["200.00", "1,300.00", "1,500.00"],
    # GEN's net assets are (300.00), PRP's 500.00; the total is the cash, 200.00.
    "financial-position": ["200.00", "(300.00)", "500.00"],
    "activities": ["1,000.00", "500.00", "1,500.00", "1,300.00", "(300.00)"],
    "functional-expenses": ["1,300.00"],
    "fund-balances": ["(300.00)", "500.00", "200.00"],
    # Cash in GEN: 1,000.00 in, 1,300.00 out, ending at (300.00).
    "general-ledger": ["1,000.00", "1,300.00", "(300.00)"],
}


# With the books twice over: supplies 2,600.00, GEN's cash and net assets (600.00).
DOUBLED = {
    "trial-balance": "2,600.00",
    "financial-position": "(600.00)",
    "activities": "(600.00)",
    "functional-expenses": "2,600.00",
    "fund-balances": "(600.00)",
    "general-ledger": "(600.00)",
}


def test_there_is_a_page_for_every_report() -> None:
    assert list(PAGES) == list(REPORTS)


@pytest.mark.parametrize(
    ("amount", "printed"),
    [
        (Decimal("0"), "0.00"),
        (Decimal("1234567.5"), "1,234,567.50"),
        (Decimal("-300"), "(300.00)"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("-0.004"), "0.00"),
        (Decimal("-1000"), "(1,000.00)"),
    ],
)
def test_figures_are_printed_with_separators_and_negatives_in_parentheses(
    amount: Decimal, printed: str
) -> None:
    assert figure(amount) == printed


def test_index_links_every_report(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).get("/accounting/")

    assert response.status_code == 200
    html = response.content.decode()
    for name, page in PAGES.items():
        assert f'href="/accounting/reports/{name}/"' in html
        assert page.title in html


@pytest.mark.parametrize("path", ["/accounting/", "/accounting/reports/trial-balance/"])
def test_statements_are_the_current_tab_of_the_books(alpha: Tenant, path: str) -> None:
    html = alpha.client(alpha.owner).get(path).content.decode()

    assert '<nav class="area-tabs" aria-label="Books">' in html
    assert '<a href="/accounting/" aria-current="page">Statements</a>' in html


def test_home_page_links_the_reports_for_roles_that_read_the_books(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).get("/")
    coordinator = alpha.client(alpha.user("volunteer_coordinator")).get("/")

    assert 'href="/accounting/"' in response.content.decode()
    assert coordinator.status_code == 200
    assert 'href="/accounting/"' not in coordinator.content.decode()
    assert "active accounts" not in coordinator.content.decode()


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_page_shows_the_figures(alpha: Tenant, name: str) -> None:
    _books()

    response = alpha.client(alpha.owner).get(f"/accounting/reports/{name}/", _query(name))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption" in html
    assert '<th scope="col"' in html
    for printed in EXPECTED[name]:
        assert shows_figure(html, printed), printed


def test_report_page_marks_headings_and_totals(alpha: Tenant) -> None:
    _books()

    response = alpha.client(alpha.owner).get(
        "/accounting/reports/financial-position/", _query("financial-position")
    )

    html = response.content.decode()
    assert '<tr class="row-heading">' in html
    assert '<th scope="rowgroup">Assets</th>' in html
    assert '<tr class="row-total">' in html
    assert '<th scope="row">Total net assets</th>' in html


def test_report_page_links_the_same_report_as_csv(alpha: Tenant) -> None:
    today = _today().isoformat()

    response = alpha.client(alpha.owner).get(
        "/accounting/reports/general-ledger/",
        {"account": "1010", "start": today, "end": today, "fund": "GEN"},
    )

    assert response.status_code == 200
    expected = (
        "/api/v1/accounting/reports/general-ledger/?format=csv&amp;account=1010"
        f"&amp;start={today}&amp;end={today}&amp;fund=GEN"
    )
    assert f'href="{expected}"' in response.content.decode()


def test_dates_default_to_today_and_the_start_of_the_fiscal_year(in_alpha: Tenant) -> None:
    _books()
    today = _today()
    start_month = selectors.accounting_settings().fiscal_year_start_month
    fiscal_year = selectors.fiscal_year_of(today, start_month=start_month)
    start, _ = selectors.fiscal_year_bounds(fiscal_year, start_month=start_month)
    client = in_alpha.client(in_alpha.owner)

    activities = client.get("/accounting/reports/activities/")
    position = client.get("/accounting/reports/financial-position/")

    assert activities.status_code == 200
    html = activities.content.decode()
    assert f'value="{start.isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert '<td class="num">1,500.00</td>' in html
    assert position.status_code == 200
    assert f'value="{today.isoformat()}"' in position.content.decode()
    assert '<td class="num">(300.00)</td>' in position.content.decode()


@pytest.mark.parametrize(("end", "status"), [("0001-01-15", 400), ("9999-12-31", 200)])
def test_default_start_stays_within_the_calendar(in_alpha: Tenant, end: str, status: int) -> None:
    # With a July fiscal year, the fiscal years of these dates begin in year 0 or end in 10000:
    # the start falls back to the current fiscal year's, and nothing fails.
    periods.settings_update(fiscal_year_start_month=7, acting_user=None)

    response = in_alpha.client(in_alpha.owner).get("/accounting/reports/activities/", {"end": end})

    assert response.status_code == status
    if status == 400:
        assert "The start date is after the end date." in response.content.decode()


def test_general_ledger_asks_for_an_account_first(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).get("/accounting/reports/general-ledger/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="1010">1010 Cash - operating (checking)</option>' in html
    assert 'value="1000"' not in html  # a summary account holds no postings
    assert '<option value="GEN">GEN General fund</option>' in html
    assert "<table" not in html


def _ledger_page(tenant: Tenant, query: dict[str, str] | str) -> str:
    path = "/accounting/reports/general-ledger/"
    client = tenant.client(tenant.owner)
    response = client.get(path + query) if isinstance(query, str) else client.get(path, query)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def _link(html: str, rel: str) -> str:
    found = re.search(rf'<a href="(\?[^"]*)" rel="{rel}">', html)
    assert found is not None, rel
    return found.group(1).replace("&amp;", "&")


def test_general_ledger_page_is_paged_with_links_to_bookmark(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "LEDGER_PAGE_SIZE", 2)
    _books(contributions=4)  # GEN's cash: 250.00 in four times, then 1,300.00 out
    first = _ledger_page(alpha, _query("general-ledger"))

    second = _ledger_page(alpha, _link(first, "next"))
    last = _ledger_page(alpha, _link(second, "next"))

    assert "Lines 1 to 2 of 5" in first
    assert 'rel="prev"' not in first
    assert shows_figure(first, "500.00")
    assert "Carried forward" in first
    assert "Lines 3 to 4 of 5" in second
    assert "Brought forward" in second
    assert shows_figure(second, "500.00")  # the balance brought forward
    assert shows_figure(second, "1,000.00")
    assert "Lines 5 to 5 of 5" in last
    assert shows_figure(last, "(300.00)")  # the closing balance
    assert 'rel="next"' not in last
    assert "First page" in second
    assert "after=" in _link(first, "next") and "fund=GEN" in _link(first, "next")
    # The previous page of the second is the first; the CSV is the whole period on each.
    assert _ledger_page(alpha, _link(second, "prev")).count("<tr") == first.count("<tr")
    csv_links = {re.findall(r'href="(/api/v1/[^"]*)"', html)[0] for html in (first, second)}
    assert len(csv_links) == 1 and "after" not in csv_links.pop()


def test_general_ledger_page_runs_as_many_queries_deep_in_the_year(
    alpha: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    count_queries: Callable[[], CaptureQueriesContext],
) -> None:
    monkeypatch.setattr(reports, "LEDGER_PAGE_SIZE", 2)
    _books(contributions=5)
    first = _ledger_page(alpha, _query("general-ledger"))
    second = _ledger_page(alpha, _link(first, "next"))

    with count_queries() as on_first:
        _ledger_page(alpha, _query("general-ledger"))
    with count_queries() as further:
        _ledger_page(alpha, _link(second, "next"))

    assert len(further) == len(on_first)


def test_general_ledger_page_writes_dates_and_functions_in_words(alpha: Tenant) -> None:
    _books()
    today = _today()
    query = {"account": "8110", "start": today.isoformat(), "end": today.isoformat()}

    html = _ledger_page(alpha, query)

    assert f"<td>{Function.MANAGEMENT_GENERAL.label}</td>" in html
    assert "management_general" not in html
    assert f"{today:%b} {today.day}, {today.year}</th>" in html


@pytest.mark.parametrize(
    "position",
    [
        {"after": "nowhere"},
        {"before": "2026-01-01.1"},
        {"after": "2026-01-01.1.99999999999999999999"},
        {"after": "2026-01-01.1.1", "before": "2026-01-01.1.1"},
    ],
)
def test_general_ledger_page_refuses_a_bad_place_clearly(
    alpha: Tenant, position: dict[str, str]
) -> None:
    response = alpha.client(alpha.owner).get(
        "/accounting/reports/general-ledger/", {**_query("general-ledger"), **position}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error" role="alert"' in html
    assert "<table" not in html


def test_entries_out_of_the_range_are_not_in_it(alpha: Tenant) -> None:
    _books()
    yesterday = (_today() - timedelta(days=1)).isoformat()

    response = alpha.client(alpha.owner).get(
        "/accounting/reports/trial-balance/", {"as_of": yesterday}
    )

    assert response.status_code == 200
    assert "1,300.00" not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("trial-balance", {"as_of": "2026-02-30"}, "Enter a valid date."),
        ("activities", {"start": "yesterday", "end": "2026-01-31"}, "Enter a valid date."),
        ("activities", {"start": "2026-03-01", "end": "2026-01-31"}, "The start date is after"),
        ("functional-expenses", {"start": "2026-03-01", "end": "2026-02-01"}, "After the end"),
        ("general-ledger", {"account": "", "start": "2026-01-01"}, "This field is required."),
        ("general-ledger", {"account": "99999"}, "Select a valid choice."),
        ("general-ledger", {"account": "1010", "end": "10000-01-01"}, "Enter a valid date."),
        ("trial-balance", {"fund": "NOPE"}, "Select a valid choice."),
        ("fund-balances", {"as_of": "<script>"}, "Enter a valid date."),
        ("general-ledger", {"account": "10\x0010"}, "Select a valid choice."),
        ("trial-balance", {"fund": "GEN\x00"}, "Select a valid choice."),
    ],
)
def test_bad_parameters_get_400_with_the_message(
    alpha: Tenant, name: str, query: dict[str, str], message: str
) -> None:
    response = alpha.client(alpha.owner).get(f"/accounting/reports/{name}/", query)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "<script>" not in html
    assert "Download CSV" not in html


def test_unknown_report_is_404(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).get("/accounting/reports/balance-of-nothing/")

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/accounting/", "/accounting/reports/trial-balance/"])
def test_anonymous_people_are_sent_to_the_login_page(alpha: Tenant, path: str) -> None:
    response = alpha.client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("volunteer_coordinator", 403),
        ("viewer", 200),
        ("fundraiser", 200),
        ("bookkeeper", 200),
        ("admin", 200),
    ],
)
@pytest.mark.parametrize("path", ["/accounting/", "/accounting/reports/fund-balances/"])
def test_reading_the_books_takes_the_accounting_read_capability(
    alpha: Tenant, role: str, status: int, path: str
) -> None:
    client = alpha.client(alpha.user(role))

    assert client.get(path).status_code == status


def test_posting_is_not_a_method_of_report_pages(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).post("/accounting/reports/trial-balance/")

    assert response.status_code == 405


@pytest.mark.parametrize("path", ["/accounting/", "/accounting/reports/fund-balances/"])
def test_beta_session_on_alpha_host_gets_nothing(alpha: Tenant, beta: Tenant, path: str) -> None:
    _books()
    assert alpha.owner.pk == beta.owner.pk  # same id in both schemas: ids alone must not do
    intruder = alpha.client()
    intruder.cookies["sessionid"] = beta.client(beta.owner).cookies["sessionid"].value

    response = intruder.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_beta_reports_show_beta_books_only(alpha: Tenant, beta: Tenant) -> None:
    _books()

    response = beta.client(beta.owner).get(
        "/accounting/reports/fund-balances/", _query("fund-balances")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "(300.00)" not in html
    assert "500.00" not in html


@pytest.mark.parametrize("name", list(REPORTS))
def test_report_page_runs_a_fixed_number_of_queries(
    alpha: Tenant, name: str, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.owner)
    _books(contributions=2)
    client.get(f"/accounting/reports/{name}/", _query(name))  # warms the routing cache
    with count_queries() as few:
        assert client.get(f"/accounting/reports/{name}/", _query(name)).status_code == 200

    _books(contributions=20)
    with count_queries() as many:
        response = client.get(f"/accounting/reports/{name}/", _query(name))

    assert response.status_code == 200
    assert shows_figure(response.content.decode(), DOUBLED[name])
    assert len(many) == len(few), [query["sql"] for query in many]


def test_a_statement_beside_the_prior_year_says_which_dates(alpha: Tenant) -> None:
    _books()
    today = _today().isoformat()

    response = alpha.client(alpha.owner).get(
        "/accounting/reports/activities/", {"start": today, "end": today, "compare": "prior-year"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert '<th scope="col" class="num">Prior year</th>' in html
    assert '<th scope="col" class="num">Change</th>' in html
    assert "beside the prior year (" in html
    assert '<option value="prior-year" selected>Prior year</option>' in html
    assert "compare=prior-year" in html  # the CSV link carries the comparison


def test_a_figure_drills_down_to_the_ledger_lines_behind_it(alpha: Tenant) -> None:
    _books()
    today = _today()
    with schema_context("alpha"):
        year_start = selectors.fiscal_year_start(today)
    client = alpha.client(alpha.owner)

    position = client.get("/accounting/reports/financial-position/", _query("financial-position"))
    link = (
        f"/accounting/reports/general-ledger/?account=1010&amp;start={year_start.isoformat()}"
        f"&amp;end={today.isoformat()}"
    )
    assert f'<td class="num"><a href="{link}">200.00</a></td>' in position.content.decode()

    ledger = client.get(link.replace("&amp;", "&"))
    assert ledger.status_code == 200
    assert shows_figure(ledger.content.decode(), "1,300.00")  # the supplies paid from cash
