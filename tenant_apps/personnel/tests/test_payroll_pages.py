"""The pay-run pages: who may open and act, entering and importing a run, the preview, posting
and reversing, bad input shown and nothing saved, a fixed number of queries, nothing of another
tenant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntryState, Function
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel.models import PayrollAllocation, PayRun, StaffRecord
from tenant_apps.personnel.services.pay_runs import PayLine, pay_run_create, pay_run_post
from tenant_apps.personnel.tests.factories import HourEntryFactory, StaffRecordFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31", "pay_date": "2026-04-03"}


def _staff(names: tuple[str, ...] = ("Maria Lopez", "Sam Chen", "Olive Grant")) -> list[int]:
    with schema_context("alpha"):
        if not accounting_program_exists():
            accounting.program_create(code="FOOD", name="Food pantry", acting_user=None)
        records = [StaffRecordFactory.create(full_name=name) for name in names]
        HourEntryFactory.create(
            person=records[0].person, date=date(2026, 3, 2), hours="6", program="FOOD",
            approve=True,
        )  # fmt: skip
        HourEntryFactory.create(
            person=records[0].person, date=date(2026, 3, 3), hours="2",
            function=Function.FUNDRAISING, approve=True,
        )  # fmt: skip
        return [record.pk for record in records]


def accounting_program_exists() -> bool:
    from tenant_apps.accounting.models import Program

    return Program.objects.filter(code="FOOD").exists()


def _run(*, people: int = 1, gross: str = "4000.00", start: date = date(2026, 3, 1)) -> PayRun:
    with schema_context("alpha"):
        records = [StaffRecordFactory.create() for _ in range(people)]
        return pay_run_create(
            period_start=start,
            period_end=start.replace(day=28),
            pay_date=start.replace(day=28),
            lines=[
                PayLine(record, Decimal(gross), Decimal("306.00"), Decimal("250.00"), str(record))
                for record in records
            ],
            acting_user=None,
        )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FUNDRAISER, Role.VOLUNTEER_COORDINATOR])
def test_roles_that_may_not_read_pay_are_refused_every_page(alpha: Tenant, role: str) -> None:
    run = _run()
    client = alpha.client(alpha.user(role))

    paths = ["/pay-runs/", "/pay-runs/new/", "/pay-runs/import/"] + [
        f"/pay-runs/{run.pk}/{page}" for page in ("", "preview/", "reverse/")
    ]
    for path in paths:
        page = client.get(path)
        assert page.status_code == 403, path
        assert b"4,000.00" not in page.content
    assert client.post(f"/pay-runs/{run.pk}/post/").status_code == 403
    assert b'href="/pay-runs/"' not in client.get("/").content
    with schema_context("alpha"):
        assert not PayrollAllocation.objects.exists()


def test_the_bookkeeper_has_pay_runs_in_the_navigation(alpha: Tenant) -> None:
    home = alpha.client(alpha.user(Role.BOOKKEEPER)).get("/")

    assert b'href="/pay-runs/"' in home.content


def test_the_list_filters_sorts_and_exports_what_it_shows(alpha: Tenant) -> None:
    march = _run(gross="4000.00")
    april = _run(gross="4100.00", start=date(2026, 4, 1))
    with schema_context("alpha"):
        pay_run_post(pay_run=march, acting_user=None)
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    every = client.get("/pay-runs/?sort=cost").content.decode()
    posted = client.get("/pay-runs/?state=posted").content.decode()
    draft_csv = client.get("/pay-runs/?state=draft&format=csv").getvalue().decode()
    bad = client.get("/pay-runs/?paid_from=soon")

    assert every.index("$4,556.00") < every.index("$4,656.00")
    assert "Posted in entry" in posted and "$4,656.00" not in posted
    assert draft_csv.splitlines() == [
        "Pay run,Pay date,Period start,Period end,People,Gross pay,Total cost,State",
        f'{april.pk},2026-04-28,2026-04-01,2026-04-28,1,"$4,100.00","$4,656.00",Not posted',
    ]
    assert bad.status_code == 200 and "$4,556.00" in bad.content.decode()


def test_a_bookkeeper_enters_a_run_in_the_prefilled_form(alpha: Tenant) -> None:
    maria, sam, olive = _staff()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    form = client.get("/pay-runs/new/").content.decode()
    saved = client.post(
        "/pay-runs/new/",
        {**MARCH, f"gross_{maria}": "5000.00", f"taxes_{maria}": "382.50",
         f"benefits_{maria}": "600", f"gross_{sam}": "", f"gross_{olive}": "0"},
    )  # fmt: skip

    assert f'name="gross_{maria}"' in form
    assert 'value="4333.33"' in form  # a twelfth of 52,000.00, for salaried staff never paid
    assert "Gross pay of Maria Lopez" in form
    assert saved.status_code == 302
    with schema_context("alpha"):
        run = PayRun.objects.get()
        assert [(line.staff_record_id, line.gross_pay) for line in run.lines.all()] == [
            (maria, Decimal("5000.00"))
        ]
    assert saved["Location"] == f"/pay-runs/{run.pk}/preview/"


def test_bad_input_in_the_form_is_shown_and_nothing_saved(alpha: Tenant) -> None:
    maria, *_ = _staff()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    backwards = client.post(
        "/pay-runs/new/", {**MARCH, "period_end": "2026-02-01", f"gross_{maria}": "10"}
    )
    negative = client.post("/pay-runs/new/", {**MARCH, f"gross_{maria}": "-5"})
    nobody = client.post("/pay-runs/new/", {**MARCH})

    assert backwards.status_code == 400
    assert "On or after the start of the period." in backwards.content.decode()
    assert negative.status_code == 400
    assert "greater than or equal to 0" in negative.content.decode()
    assert nobody.status_code == 400
    assert "enter at least one person" in nobody.content.decode()
    with schema_context("alpha"):
        assert not PayRun.objects.exists()


def test_the_providers_file_is_imported_through_the_page(alpha: Tenant) -> None:
    _staff()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    sample = (DATA / "pay_run_march_2026.csv").read_bytes()

    saved = client.post(
        "/pay-runs/import/",
        {**MARCH, "file": SimpleUploadedFile("march.csv", sample, content_type="text/csv")},
    )

    assert saved.status_code == 302
    with schema_context("alpha"):
        run = PayRun.objects.get()
        assert run.source_name == "march.csv" and run.lines.count() == 3


def test_a_file_with_bad_rows_is_refused_with_their_line_numbers(alpha: Tenant) -> None:
    _staff()
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    bad = (DATA / "pay_run_bad_rows.csv").read_bytes()

    page = client.post(
        "/pay-runs/import/",
        {**MARCH, "file": SimpleUploadedFile("bad.csv", bad, content_type="text/csv")},
    )

    text = page.content.decode()
    assert page.status_code == 400
    assert "5 rows have problems; nothing was saved." in text
    assert "Line 3: no staff member has Nobody Here." in text
    assert "Line 5: employer taxes: &#x27;lots&#x27; is not an amount." in text
    with schema_context("alpha"):
        assert not PayRun.objects.exists()


def test_the_preview_shows_the_split_and_the_entry_then_the_run_is_posted(alpha: Tenant) -> None:
    maria, sam, _ = _staff()
    with schema_context("alpha"):
        records = {record.pk: record for record in StaffRecord.objects.all()}
        run = pay_run_create(
            period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), pay_date=date(2026, 4, 3),
            lines=[
                PayLine(records[maria], Decimal("800.00"), Decimal("61.20"), Decimal("0"), "M"),
                PayLine(records[sam], Decimal("500.00"), Decimal("0"), Decimal("0"), "S"),
            ],
            acting_user=None,
        )  # fmt: skip
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    preview = client.get(f"/pay-runs/{run.pk}/preview/").content.decode()
    posted = client.post(f"/pay-runs/{run.pk}/post/")
    again = client.post(f"/pay-runs/{run.pk}/post/", follow=True)

    # Maria: 6 FOOD hours and 2 fundraising: 600.00 + 45.90 to FOOD, 200.00 + 15.30 fundraising.
    assert "Program services: Food pantry" in preview
    assert "$645.90" in preview and "$215.30" in preview
    # Sam has no approved hours: the default split, all management and general.
    assert "no approved hours in the period" in preview and "Sam Chen" in preview
    assert "2020 Accrued payroll" in preview and "$1,361.20" in preview
    assert posted.status_code == 302 and posted["Location"] == f"/pay-runs/{run.pk}/"
    assert "posted already" in again.content.decode()
    with schema_context("alpha"):
        allocation = PayrollAllocation.objects.get()
        assert allocation.entry.state == EntryState.POSTED
        assert allocation.total_cost == Decimal("1361.20")


def test_a_posting_is_reversed_with_a_date_and_a_reason(alpha: Tenant) -> None:
    run = _run()
    with schema_context("alpha"):
        posting = pay_run_post(pay_run=run, acting_user=None)
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    form = client.get(f"/pay-runs/{run.pk}/reverse/")
    no_reason = client.post(f"/pay-runs/{run.pk}/reverse/", {"date": "2026-03-28", "reason": ""})
    too_early = client.post(
        f"/pay-runs/{run.pk}/reverse/", {"date": "2026-03-01", "reason": "Hours corrected"}
    )
    done = client.post(
        f"/pay-runs/{run.pk}/reverse/", {"date": "2026-03-30", "reason": "Hours corrected"}
    )
    detail = client.get(f"/pay-runs/{run.pk}/").content.decode()

    assert form.status_code == 200
    assert no_reason.status_code == 400 and too_early.status_code == 400
    assert "cannot be dated before" in too_early.content.decode()
    assert done.status_code == 302
    assert "Hours corrected" in detail and "Not posted" in detail
    with schema_context("alpha"):
        posting.refresh_from_db()
        assert posting.entry.state == EntryState.REVERSED
        assert posting.reversal_entry is not None
    assert client.post(f"/pay-runs/{run.pk}/post/").status_code == 302
    with schema_context("alpha"):
        assert PayrollAllocation.objects.filter(reversal_entry__isnull=True).count() == 1


@pytest.mark.parametrize("page", ["", "preview/"])
def test_a_runs_pages_run_the_same_queries_for_many_people(
    alpha: Tenant, page: str, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    few, many = _run(people=1), _run(people=6, start=date(2026, 4, 1))
    client.get(f"/pay-runs/{few.pk}/{page}")

    with count_queries() as first:
        assert client.get(f"/pay-runs/{few.pk}/{page}").status_code == 200
    with count_queries() as second:
        assert client.get(f"/pay-runs/{many.pk}/{page}").status_code == 200

    assert len(second.captured_queries) == len(first.captured_queries)


def test_the_list_runs_the_same_queries_for_many_runs(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    _run()
    client.get("/pay-runs/")
    with count_queries() as first:
        assert client.get("/pay-runs/").status_code == 200
    for month in range(4, 9):
        _run(start=date(2026, month, 1))

    with count_queries() as second:
        assert client.get("/pay-runs/").status_code == 200

    assert len(second.captured_queries) == len(first.captured_queries)


def test_another_tenant_sees_nothing_of_a_run(alpha: Tenant, beta: Tenant) -> None:
    run = _run()
    beta_client = beta.client(beta.owner)

    assert beta_client.get(f"/pay-runs/{run.pk}/").status_code == 404
    replay = alpha.client()
    replay.cookies["sessionid"] = beta_client.cookies["sessionid"].value
    answer = replay.get(f"/pay-runs/{run.pk}/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_run_never_posted_is_deleted_and_a_posted_one_is_kept(alpha: Tenant) -> None:
    draft, posted = _run(), _run(start=date(2026, 4, 1))
    with schema_context("alpha"):
        pay_run_post(pay_run=posted, acting_user=None)
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    page = client.get(f"/pay-runs/{draft.pk}/").content.decode()
    deleted = client.post(f"/pay-runs/{draft.pk}/delete/")
    kept = client.post(f"/pay-runs/{posted.pk}/delete/", follow=True)
    refused = alpha.client(alpha.user(Role.VIEWER)).post(f"/pay-runs/{posted.pk}/delete/")

    assert "Delete the pay run" in page
    assert deleted.status_code == 302 and deleted["Location"] == "/pay-runs/"
    assert "stays in the record with its postings" in kept.content.decode()
    assert refused.status_code == 403
    with schema_context("alpha"):
        assert list(PayRun.objects.values_list("pk", flat=True)) == [posted.pk]
        assert AuditEvent.objects.filter(action="pay_run.delete").count() == 1
