"""The pages that change pay runs: a run's amounts while it is not posted, and the accounts
pay runs post to. Who may open them, bad input shown and nothing saved, queries, other
tenants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import Account, JournalEntry
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel.models import PayRun
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.pay_runs import PayLine, pay_run_create, pay_run_post
from tenant_apps.personnel.tests.factories import StaffRecordFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

NOT_POSTING = [Role.VIEWER, Role.FUNDRAISER, Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER]


def _run(people: int = 1, start: date = date(2026, 3, 1)) -> tuple[PayRun, list[int]]:
    with schema_context("alpha"):
        records = [StaffRecordFactory.create() for _ in range(people)]
        run = pay_run_create(
            period_start=start,
            period_end=start.replace(day=28),
            pay_date=start.replace(day=28),
            lines=[
                PayLine(record, Decimal("4000.00"), Decimal("306.00"), Decimal("250.00"), "x")
                for record in records
            ],
            acting_user=None,
        )
        return run, [record.pk for record in records]


def _amounts(run: PayRun) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    with schema_context("alpha"):
        return {
            line.staff_record_id: (line.gross_pay, line.employer_taxes, line.benefits)
            for line in run.lines.all()
        }


# --- A run's amounts ---------------------------------------------------------------------------


def test_a_bookkeeper_changes_adds_and_removes_people_of_a_run(alpha: Tenant) -> None:
    run, (maria, sam) = _run(people=2)
    with schema_context("alpha"):
        olive = StaffRecordFactory.create(full_name="Olive Grant").pk
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    detail = client.get(f"/pay-runs/{run.pk}/").content.decode()
    form = client.get(f"/pay-runs/{run.pk}/lines/").content.decode()
    saved = client.post(
        f"/pay-runs/{run.pk}/lines/",
        {f"gross_{maria}": "4100.00", f"taxes_{maria}": "313.65", f"benefits_{maria}": "250",
         f"gross_{sam}": "", f"taxes_{sam}": "", f"benefits_{sam}": "",
         f"gross_{olive}": "900.00"},
    )  # fmt: skip

    assert f'href="/pay-runs/{run.pk}/lines/"' in detail
    assert f'name="gross_{maria}"' in form and 'value="4000.00"' in form
    assert "Olive Grant" in form  # on the payroll in the period: may be added
    assert saved.status_code == 302 and saved["Location"] == f"/pay-runs/{run.pk}/"
    assert _amounts(run) == {
        maria: (Decimal("4100.00"), Decimal("313.65"), Decimal("250.00")),
        olive: (Decimal("900.00"), Decimal("0.00"), Decimal("0.00")),
    }
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="pay_run.lines_update").count() == 1


def test_bad_amounts_are_shown_and_nothing_saved(alpha: Tenant) -> None:
    run, (maria,) = _run()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    negative = client.post(f"/pay-runs/{run.pk}/lines/", {f"gross_{maria}": "-5"})
    huge = client.post(f"/pay-runs/{run.pk}/lines/", {f"gross_{maria}": "1e400"})
    nobody = client.post(f"/pay-runs/{run.pk}/lines/", {})

    assert negative.status_code == 400
    assert "greater than or equal to 0" in negative.content.decode()
    assert huge.status_code == 400
    assert nobody.status_code == 400 and "enter at least one person" in nobody.content.decode()
    assert _amounts(run) == {maria: (Decimal("4000.00"), Decimal("306.00"), Decimal("250.00"))}


def test_a_posted_runs_amounts_are_not_offered_for_change(alpha: Tenant) -> None:
    run, (maria,) = _run()
    with schema_context("alpha"):
        posting = pay_run_post(pay_run=run, acting_user=None)
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    detail = client.get(f"/pay-runs/{run.pk}/").content.decode()
    opened = client.get(f"/pay-runs/{run.pk}/lines/", follow=True)
    posted = client.post(f"/pay-runs/{run.pk}/lines/", {f"gross_{maria}": "1.00"})

    assert f'href="/pay-runs/{run.pk}/lines/"' not in detail
    assert f"posted in entry {posting.entry.number}" in opened.content.decode()
    assert posted.status_code == 302
    assert _amounts(run)[maria][0] == Decimal("4000.00")


@pytest.mark.parametrize("page", ["lines/", "../accounts/"])
@pytest.mark.parametrize("role", NOT_POSTING)
def test_roles_that_may_not_post_payroll_are_refused(alpha: Tenant, role: str, page: str) -> None:
    run, (maria,) = _run()
    client = alpha.client(alpha.user(role))
    path = f"/pay-runs/{run.pk}/{page}" if page == "lines/" else "/pay-runs/accounts/"

    opened = client.get(path)
    posted = client.post(path, {f"gross_{maria}": "1", "benefits_account": "7210"})

    assert opened.status_code == 403 and b"4,000.00" not in opened.content
    assert posted.status_code == 403
    assert _amounts(run)[maria][0] == Decimal("4000.00")
    with schema_context("alpha"):
        assert personnel_settings().benefits_account == "7220"


def test_the_amounts_page_runs_the_same_queries_for_many_people(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    few, _ = _run(people=1)
    many, _ = _run(people=6, start=date(2026, 4, 1))
    client.get(f"/pay-runs/{few.pk}/lines/")

    with count_queries() as first:
        assert client.get(f"/pay-runs/{few.pk}/lines/").status_code == 200
    with count_queries() as second:
        assert client.get(f"/pay-runs/{many.pk}/lines/").status_code == 200

    assert len(second.captured_queries) == len(first.captured_queries)


def test_another_tenant_cannot_change_a_run(alpha: Tenant, beta: Tenant) -> None:
    run, (maria,) = _run()
    beta_client = beta.client(beta.owner)

    assert beta_client.get(f"/pay-runs/{run.pk}/lines/").status_code == 404
    assert beta_client.post(f"/pay-runs/{run.pk}/lines/", {f"gross_{maria}": "1"}).status_code == (
        404
    )
    assert _amounts(run)[maria][0] == Decimal("4000.00")


# --- The accounts ------------------------------------------------------------------------------


def test_the_accounts_are_chosen_from_the_chart_and_used_by_the_next_posting(
    alpha: Tenant,
) -> None:
    run, _ = _run()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    index = client.get("/pay-runs/").content.decode()

    page = client.get("/pay-runs/accounts/").content.decode()
    saved = client.post(
        "/pay-runs/accounts/",
        {"salary_account": "7020", "officer_salary_account": "7010",
         "payroll_taxes_account": "7250", "benefits_account": "7210",
         "accrued_payroll_account": "1010"},
    )  # fmt: skip
    with schema_context("alpha"):
        posting = pay_run_post(pay_run=run, acting_user=None)
        codes = set(
            JournalEntry.objects.get(pk=posting.entry_id).lines.values_list(
                "account__code", flat=True
            )
        )

    assert 'href="/pay-runs/accounts/"' in index
    assert '<option value="2020" selected>2020 Accrued payroll</option>' in page
    assert '<option value="7250" selected>' in page
    assert 'value="4010"' not in page  # revenue is no choice
    assert 'value="7000"' not in page  # a summary account takes no postings
    assert saved.status_code == 302 and saved["Location"] == "/pay-runs/accounts/"
    assert codes == {"7020", "7250", "7210", "1010"}


def test_an_account_not_offered_is_refused_and_nothing_saved(alpha: Tenant) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    with schema_context("alpha"):
        Account.objects.filter(code="7210").update(is_active=False)

    page = client.post(
        "/pay-runs/accounts/",
        {"salary_account": "7020", "officer_salary_account": "7010",
         "payroll_taxes_account": "4010", "benefits_account": "7210",
         "accrued_payroll_account": "7020"},
    )  # fmt: skip

    text = page.content.decode()
    assert page.status_code == 400
    assert "3 things need fixing" in text
    for label in ("Payroll taxes", "Employee benefits", "Credited with the cost"):
        assert f"{label}</a>: Select a valid choice." in text
    with schema_context("alpha"):
        row = personnel_settings()
        assert (row.payroll_taxes_account, row.benefits_account) == ("7250", "7220")
