"""The bank desk's pages: who may open and act, importing through the page, matching through
htmx, the report and its PDF, escaping, a fixed number of queries, nothing of another tenant."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting.services import postings
from tenant_apps.banking.models import BankStatement, Match, StatementLine
from tenant_apps.banking.tests.factories import SAMPLE_OFX, statement_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _statement(lines: int = 1, *, description: str = "Deposit") -> BankStatement:
    with schema_context("alpha"):
        for index in range(lines):
            postings.post_contribution(
                date=date(2026, 11, 3), amount=Decimal(100 + index), fund="GEN", acting_user=None
            )
        return statement_made(
            [(date(2026, 11, 4), f"{100 + index}.00", description) for index in range(lines)],
            closing=str(sum(100 + index for index in range(lines))),
            statement_date=date(2026, 11, 30),
        )


READ_PAGES = [
    "/accounting/bank/",
    "/accounting/bank/statements/{pk}/",
    "/accounting/bank/statements/{pk}/report/",
    "/accounting/bank/statements/{pk}/report.pdf",
]


@pytest.mark.parametrize(
    "role", [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
)
def test_readers_open_every_page(alpha: Tenant, role: str) -> None:
    statement = _statement()
    client = alpha.client(alpha.owner if role == Role.OWNER else alpha.user(role))
    for path in READ_PAGES:
        assert client.get(path.format(pk=statement.pk)).status_code == 200, path


@pytest.mark.parametrize("role", [Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER])
def test_pages_are_refused_to_roles_without_the_books(alpha: Tenant, role: str) -> None:
    statement = _statement()
    client = alpha.client(alpha.user(role))
    for path in READ_PAGES:
        assert client.get(path.format(pk=statement.pk)).status_code == 403, path


@pytest.mark.parametrize("role", [Role.FUNDRAISER, Role.VIEWER])
def test_actions_are_refused_to_readers(alpha: Tenant, role: str) -> None:
    statement = _statement()
    client = alpha.client(alpha.user(role))
    assert client.get("/accounting/bank/import/").status_code == 403
    for action in ("auto-match", "finish"):
        response = client.post(f"/accounting/bank/statements/{statement.pk}/{action}/")
        assert response.status_code == 403
    page = client.get(f"/accounting/bank/statements/{statement.pk}/").content.decode()
    assert "Match automatically" not in page
    with schema_context("alpha"):
        assert not Match.objects.exists()


def test_import_the_sample_ofx_through_the_page(alpha: Tenant) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    upload = SimpleUploadedFile("nov.ofx", SAMPLE_OFX.read_bytes())
    response = client.post("/accounting/bank/import/", {"account": "1010", "file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "3 lines imported" in page
    assert "MONTHLY SERVICE FEE" in page
    assert "$435.00" in page


def test_a_bad_file_is_refused_on_the_page_and_nothing_is_written(alpha: Tenant) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    upload = SimpleUploadedFile("nov.ofx", b"<html>not a statement</html>")
    response = client.post("/accounting/bank/import/", {"account": "1010", "file": upload})
    assert response.status_code == 400
    assert "could not be read as an OFX" in response.content.decode()
    upload = SimpleUploadedFile("nov.csv", b"Date,Amount,Description\n2026-13-01,5,x\n")
    response = client.post(
        "/accounting/bank/import/",
        {
            "account": "1010",
            "file": upload,
            "date_column": "Date",
            "amount_column": "Amount",
            "description_column": "Description",
            "date_format": "%Y-%m-%d",
            "statement_date": "2026-11-30",
            "closing_balance": "5",
        },
    )
    assert response.status_code == 400
    assert "Row 2" in response.content.decode()
    with schema_context("alpha"):
        assert not StatementLine.objects.exists()


def test_match_through_htmx_returns_the_work_with_the_difference(alpha: Tenant) -> None:
    statement = _statement()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    response = client.post(
        f"/accounting/bank/statements/{statement.pk}/auto-match/", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="reconcile-work"') or 'id="reconcile-work"' in html[:400]
    assert "1 line matched automatically." in html
    assert '<dd class="num" id="difference">$0.00</dd>' in html
    response = client.post(f"/accounting/bank/statements/{statement.pk}/finish/")
    assert response.status_code == 302
    page = client.get(f"/accounting/bank/statements/{statement.pk}/").content.decode()
    assert "Finished and locked" in page
    assert "Unmatch" not in page


def test_a_manual_match_that_does_not_add_up_says_so(alpha: Tenant) -> None:
    statement = _statement()
    with schema_context("alpha"):
        line = statement.lines.get()
        entry = postings.post_contribution(
            date=date(2026, 11, 3), amount=Decimal("7.00"), fund="GEN", acting_user=None
        )
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    response = client.post(
        f"/accounting/bank/statements/{statement.pk}/match/",
        {"line": line.pk, "entries": [entry.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "add up to 7.00" in response.content.decode()
    response = client.post(
        f"/accounting/bank/statements/{statement.pk}/match/", {"line": "x", "entries": ["y"]}
    )
    assert response.status_code == 404


def test_descriptions_are_escaped(alpha: Tenant) -> None:
    statement = _statement(description="<script>alert(1)</script>")
    page = alpha.client(alpha.user(Role.VIEWER)).get(f"/accounting/bank/statements/{statement.pk}/")
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_pdf_is_a_pdf_with_the_balances(alpha: Tenant) -> None:
    statement = _statement()
    response = alpha.client(alpha.user(Role.VIEWER)).get(
        f"/accounting/bank/statements/{statement.pk}/report.pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "path", ["/accounting/bank/statements/{pk}/", "/accounting/bank/statements/{pk}/report/"]
)
def test_pages_run_the_same_queries_for_many_lines(alpha: Tenant, path: str) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    few, many = _statement(2), None
    client.get(path.format(pk=few.pk))
    with CaptureQueriesContext(connection) as first:
        assert client.get(path.format(pk=few.pk)).status_code == 200
    with schema_context("alpha"):
        for index in range(12):
            postings.post_contribution(
                date=date(2026, 12, 3), amount=Decimal(500 + index), fund="GEN", acting_user=None
            )
        many = statement_made(
            [(date(2026, 12, 4), f"{500 + index}.00", "Deposit") for index in range(15)],
            closing="1000",
            statement_date=date(2026, 12, 31),
        )
    with CaptureQueriesContext(connection) as second:
        assert client.get(path.format(pk=many.pk)).status_code == 200
    assert len(second.captured_queries) == len(first.captured_queries)


def test_the_index_runs_the_same_queries_with_statements(alpha: Tenant) -> None:
    client = alpha.client(alpha.user(Role.VIEWER))
    client.get("/accounting/bank/")
    with CaptureQueriesContext(connection) as first:
        assert "Never" in client.get("/accounting/bank/").content.decode()
    _statement(3)
    with CaptureQueriesContext(connection) as second:
        client.get("/accounting/bank/")
    assert len(second.captured_queries) == len(first.captured_queries)


def test_another_tenants_statement_is_not_found(alpha: Tenant, beta: Tenant) -> None:
    statement = _statement()
    client = beta.client(beta.user(Role.BOOKKEEPER))
    assert client.get(f"/accounting/bank/statements/{statement.pk}/").status_code == 404
    assert client.post(f"/accounting/bank/statements/{statement.pk}/auto-match/").status_code == 404
