"""The pay-run API: entering, importing, changing, previewing, posting, reversing, posting again
and deleting runs; the accounts they post to. Roles, other tenants, bad input (a 400 that
changes nothing, never a 500) and a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import Function, JournalEntry
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel.models import PayrollAllocation, PayRun
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.pay_runs import PayLine, pay_run_create, pay_run_post
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    PersonFactory,
    StaffRecordFactory,
)
from tests.helpers import api_error, list_queries_fixed
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/personnel/pay-runs"
ACCOUNTS = "/api/v1/personnel/pay-run-accounts/"
DATA = Path(__file__).parent / "data"
MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31", "pay_date": "2026-04-03"}
NOT_PAY = [Role.VIEWER, Role.FUNDRAISER, Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER]


def _staff(*names: str) -> list[int]:
    """Staff records of alpha; the first logs 6 FOOD hours and 2 fundraising in March."""
    with schema_context("alpha"):
        accounting.program_create(code="FOOD", name="Food pantry", acting_user=None)
        records = [
            StaffRecordFactory.create(
                person=PersonFactory.create(
                    full_name=name, email=f"{name.split()[0].lower()}@alpha.org"
                )
            )
            for name in names
        ]
        HourEntryFactory.create(
            person=records[0].person, date=date(2026, 3, 2), hours="6", program="FOOD",
            approve=True,
        )  # fmt: skip
        HourEntryFactory.create(
            person=records[0].person, date=date(2026, 3, 3), hours="2",
            function=Function.FUNDRAISING, approve=True,
        )  # fmt: skip
        return [record.pk for record in records]


def _run(record_ids: list[int], gross: str = "800.00") -> PayRun:
    with schema_context("alpha"):
        from tenant_apps.personnel.models import StaffRecord

        return pay_run_create(
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            pay_date=date(2026, 4, 3),
            lines=[
                PayLine(StaffRecord.objects.get(pk=pk), Decimal(gross), Decimal("61.20"),
                        Decimal("0"), str(pk))
                for pk in record_ids
            ],
            acting_user=None,
        )  # fmt: skip


def test_a_run_is_entered_previewed_posted_reversed_reposted_over_the_api(alpha: Tenant) -> None:
    maria, sam = _staff("Maria Lopez", "Sam Chen")
    client = alpha.api(alpha.user(Role.BOOKKEEPER, email="books@alpha.org"))

    created = client.post(
        f"{API}/",
        {**MARCH, "lines": [
            {"staff_record": maria, "gross_pay": "800.00", "employer_taxes": "61.20"},
            {"staff_record": sam, "gross_pay": "500.00"},
        ]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    run = created.json()
    assert (run["people"], run["gross_pay"], run["total_cost"]) == (2, "1300.00", "1361.20")
    assert run["posted"] is False and run["entry"] is None
    assert [(line["person_name"], line["total"]) for line in run["lines"]] == [
        ("Maria Lopez", "861.20"),
        ("Sam Chen", "500.00"),
    ]

    preview = client.get(f"{API}/{run['id']}/preview/").json()
    maria_parts = preview["people"][0]["parts"]
    # 6 FOOD hours and 2 fundraising: 600.00 + 45.90 to FOOD, 200.00 + 15.30 to fundraising.
    assert [(part["function"], part["program"], part["total"]) for part in maria_parts] == [
        ("program", "FOOD", "645.90"),
        ("fundraising", None, "215.30"),
    ]
    assert preview["people"][1]["basis"] == "default_split"
    assert preview["entry"][-1] == {
        "account": "2020",
        "account_name": "Accrued payroll",
        "fund": preview["entry"][-1]["fund"],
        "function": None,
        "program": None,
        "debit": None,
        "credit": "1361.20",
    }

    posted = client.post(f"{API}/{run['id']}/post/")
    assert posted.status_code == 200, posted.content
    entry = posted.json()["entry"]
    assert posted.json()["posted"] is True and posted.json()["postings"][0]["entry"] == entry
    again = client.post(f"{API}/{run['id']}/post/")
    assert "posted already" in api_error(again, 409)["message"]

    with schema_context("alpha"):
        HourEntryFactory.create(
            person=PayRun.objects.get().lines.get(staff_record_id=sam).staff_record.person,
            date=date(2026, 3, 9), hours="4", function=Function.FUNDRAISING, approve=True,
        )  # fmt: skip
    reposted = client.post(
        f"{API}/{run['id']}/repost/", {"date": "2026-03-31", "reason": "Sam's hours approved"}
    )
    assert reposted.status_code == 200, reposted.content
    postings = reposted.json()["postings"]
    assert [posting["reversal_reason"] for posting in postings] == ["", "Sam's hours approved"]
    assert postings[1]["entry"] == entry and reposted.json()["entry"] == postings[0]["entry"]

    reversed_ = client.post(
        f"{API}/{run['id']}/reverse/", {"date": "2026-03-31", "reason": "Amounts wrong"}
    )
    assert reversed_.status_code == 200 and reversed_.json()["posted"] is False
    nothing = client.post(f"{API}/{run['id']}/reverse/", {"date": "2026-03-31", "reason": "x"})
    assert "nothing to reverse" in api_error(nothing, 409)["message"]
    with schema_context("alpha"):
        actions = list(
            AuditEvent.objects.filter(actor__email="books@alpha.org")
            .filter(Q(action__startswith="pay_run.") | Q(action__startswith="payroll_allocation."))
            .order_by("pk")
            .values_list("action", flat=True)
        )
    assert actions == [
        "pay_run.create",
        "payroll_allocation.post",
        "payroll_allocation.reverse",
        "payroll_allocation.post",
        "payroll_allocation.reverse",
    ]


def test_lines_are_changed_while_the_run_is_not_posted(alpha: Tenant) -> None:
    maria, sam = _staff("Maria Lopez", "Sam Chen")
    run = _run([maria])
    client = alpha.api(alpha.owner)
    lines = f"{API}/{run.pk}/lines/"

    changed = client.put(
        lines,
        {"lines": [{"staff_record": maria, "gross_pay": "810.00", "employer_taxes": "61.97"},
                   {"staff_record": sam, "gross_pay": "100.00", "benefits": "5.00"}]},
        format="json",
    )  # fmt: skip
    client.post(f"{API}/{run.pk}/post/")
    refused = client.put(
        lines, {"lines": [{"staff_record": maria, "gross_pay": "1.00"}]}, format="json"
    )

    assert changed.status_code == 200, changed.content
    assert [(line["person_name"], line["gross_pay"], line["benefits"])
            for line in changed.json()["lines"]] == [
        ("Maria Lopez", "810.00", "0.00"),
        ("Sam Chen", "100.00", "5.00"),
    ]  # fmt: skip
    assert changed.json()["total_cost"] == "976.97"
    assert "reverse the posting" in api_error(refused, 409)["message"]
    with schema_context("alpha"):
        assert PayRun.objects.get().lines.get(staff_record_id=maria).gross_pay == Decimal("810")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"lines": []}, {"lines": ["No one is paid."]}),
        ({"lines": [{"staff_record": 999999, "gross_pay": "1"}]},
         {"lines": ["Line 1: there is no staff record 999999."]}),
        ({"lines": [{"staff_record": 1, "gross_pay": "-1"}]},
         {"lines": {"0": {"gross_pay": ["Ensure this value is greater than or equal to 0."]}}}),
        ({"lines": [{"staff_record": 1, "gross_pay": "1e400"}]}, None),
        ({"lines": [{"staff_record": 1, "gros_pay": "1"}]}, None),
        ({"lines": "Maria"}, None),
        ({}, {"lines": ["This field is required."]}),
    ],
)  # fmt: skip
def test_bad_lines_are_a_400_that_changes_nothing(
    alpha: Tenant, body: dict[str, Any], fields: dict[str, Any] | None
) -> None:
    (maria,) = _staff("Maria Lopez")
    run = _run([maria])
    client = alpha.api(alpha.owner)

    created = client.post(f"{API}/", {**MARCH, **body}, format="json")
    changed = client.put(f"{API}/{run.pk}/lines/", body, format="json")

    for response in (created, changed):
        error = api_error(response, 400)
        if fields is not None:
            assert error["fields"] == fields
    with schema_context("alpha"):
        assert PayRun.objects.count() == 1
        assert [line.gross_pay for line in PayRun.objects.get().lines.all()] == [Decimal("800")]


def test_a_run_that_breaks_the_rules_is_refused_with_every_problem(alpha: Tenant) -> None:
    (maria,) = _staff("Maria Lopez")
    with schema_context("alpha"):
        contractor = StaffRecordFactory.create(full_name="Cy", employment_type="contractor").pk
    client = alpha.api(alpha.owner)

    refused = client.post(
        f"{API}/",
        {**MARCH, "lines": [{"staff_record": contractor, "gross_pay": "10"},
                            {"staff_record": maria, "gross_pay": "0"}]},
        format="json",
    )  # fmt: skip
    backwards = client.post(
        f"{API}/",
        {**MARCH, "period_end": "2026-02-01", "lines": [{"staff_record": maria, "gross_pay": "1"}]},
        format="json",
    )

    assert api_error(refused, 400)["fields"]["lines"] == [
        "Line 1: Cy is a contractor: contractors' fees are professional services, not payroll.",
        "Line 2: it pays nothing.",
    ]
    assert api_error(backwards, 400)["fields"] == {
        "period_end": ["On or after the start of the period."]
    }


def test_the_providers_file_is_imported_with_the_pages_messages(alpha: Tenant) -> None:
    _staff("Maria Lopez", "Sam Chen", "Olive Grant")
    client = alpha.api(alpha.owner)

    def upload(name: str, content: bytes) -> Any:
        return client.post(
            f"{API}/import/",
            {**MARCH, "file": SimpleUploadedFile(name, content, content_type="text/csv")},
            format="multipart",
        )

    bad = upload("bad.csv", (DATA / "pay_run_bad_rows.csv").read_bytes())
    empty = upload("empty.csv", b"")
    large = upload("large.csv", b"x" * (1024 * 1024 + 1))
    good = upload("march.csv", (DATA / "pay_run_march_2026.csv").read_bytes())

    error = api_error(bad, 400)
    assert error["message"] == "5 rows have problems; nothing was saved."
    assert "Line 3: no staff member has Nobody Here." in error["fields"]["file"]
    assert "Line 5: employer taxes: 'lots' is not an amount." in error["fields"]["file"]
    assert "file" in api_error(empty, 400)["fields"]
    assert api_error(large, 400)["message"] == "The file is larger than 1 MB; import it in parts."
    assert good.status_code == 201, good.content
    assert (good.json()["source"], good.json()["source_name"]) == ("imported", "march.csv")
    assert good.json()["total_cost"] == "16886.31"
    with schema_context("alpha"):
        assert PayRun.objects.count() == 1


def test_a_run_never_posted_is_deleted_and_a_posted_one_stays(alpha: Tenant) -> None:
    maria, sam = _staff("Maria Lopez", "Sam Chen")
    draft, posted = _run([maria]), _run([sam], gross="10.00")
    with schema_context("alpha"):
        posted.period_start = posted.period_end = date(2026, 2, 1)
        posted.save()
        pay_run_post(pay_run=posted, acting_user=None)
    client = alpha.api(alpha.owner)

    deleted = client.delete(f"{API}/{draft.pk}/")
    kept = client.delete(f"{API}/{posted.pk}/")
    gone = client.get(f"{API}/{draft.pk}/")

    assert deleted.status_code == 204
    assert "stays in the record" in api_error(kept, 409)["message"]
    api_error(gone, 404)
    with schema_context("alpha"):
        assert list(PayRun.objects.values_list("pk", flat=True)) == [posted.pk]
        assert AuditEvent.objects.filter(action="pay_run.delete").count() == 1


def test_the_list_filters_and_pages_in_a_fixed_number_of_queries(alpha: Tenant) -> None:
    (maria,) = _staff("Maria Lopez")
    client = alpha.api(alpha.owner)

    def grow(count: int) -> None:
        for _ in range(count):
            _run([maria])

    rows = list_queries_fixed(client, f"{API}/?page_size=100", grow)
    first = rows[0]["id"]
    with schema_context("alpha"):
        pay_run_post(pay_run=PayRun.objects.get(pk=first), acting_user=None)
    posted = client.get(f"{API}/?posted=true").json()["results"]
    drafts = client.get(f"{API}/?posted=false&paid_from=2026-04-01&paid_to=2026-04-30").json()
    none = client.get(f"{API}/?paid_from=2026-05-01").json()["results"]
    paged = client.get(f"{API}/?page_size=10").json()

    assert [row["id"] for row in posted] == [first] and posted[0]["entry"] is not None
    assert len(drafts["results"]) == 29 and first not in [row["id"] for row in drafts["results"]]
    assert none == []
    assert len(paged["results"]) == 10 and paged["next"]
    api_error(client.get(f"{API}/?posted=maybe"), 400)
    api_error(client.get(f"{API}/?paid_from=March"), 400)


def test_the_detail_runs_a_fixed_number_of_queries(
    alpha: Tenant, count_queries: Callable[[], Any]
) -> None:
    ids = _staff("Maria Lopez", "Sam Chen")
    small, large = _run(ids[:1]), _run(ids)
    client = alpha.api(alpha.owner)
    client.get(f"{API}/{small.pk}/")

    with count_queries() as few:
        client.get(f"{API}/{small.pk}/")
    with count_queries() as more:
        answer = client.get(f"{API}/{large.pk}/")

    assert len(answer.json()["lines"]) == 2
    assert len(few.captured_queries) == len(more.captured_queries)


@pytest.mark.parametrize("role", NOT_PAY)
def test_roles_that_may_not_read_pay_get_403_everywhere(alpha: Tenant, role: str) -> None:
    (maria,) = _staff("Maria Lopez")
    run = _run([maria])
    client = alpha.api(alpha.user(role))

    reads = [f"{API}/", f"{API}/{run.pk}/", f"{API}/{run.pk}/preview/", ACCOUNTS]
    writes = [
        ("post", f"{API}/", {**MARCH, "lines": [{"staff_record": maria, "gross_pay": "1"}]}),
        ("put", f"{API}/{run.pk}/lines/", {"lines": [{"staff_record": maria, "gross_pay": "1"}]}),
        ("post", f"{API}/{run.pk}/post/", {}),
        ("post", f"{API}/{run.pk}/reverse/", {"date": "2026-03-31", "reason": "x"}),
        ("post", f"{API}/{run.pk}/repost/", {"date": "2026-03-31", "reason": "x"}),
        ("delete", f"{API}/{run.pk}/", {}),
        ("patch", ACCOUNTS, {"benefits_account": "7210"}),
    ]

    for path in reads:
        response = client.get(path)
        api_error(response, 403)
        assert b"800.00" not in response.content
    for method, path, body in writes:
        api_error(getattr(client, method)(path, body, format="json"), 403)
    with schema_context("alpha"):
        assert not PayrollAllocation.objects.exists()
        assert PayRun.objects.get().lines.get().gross_pay == Decimal("800.00")
        assert personnel_settings().benefits_account == "7220"


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER])
def test_the_roles_that_read_pay_and_post_payroll_may_do_both(alpha: Tenant, role: str) -> None:
    (maria,) = _staff("Maria Lopez")
    run = _run([maria])
    client = alpha.api(alpha.owner if role == Role.OWNER else alpha.user(role))

    read = client.get(f"{API}/{run.pk}/")
    posted = client.post(f"{API}/{run.pk}/post/")
    accounts = client.patch(ACCOUNTS, {"benefits_account": "7210"}, format="json")

    assert read.status_code == 200 and read.json()["lines"][0]["gross_pay"] == "800.00"
    assert posted.status_code == 200 and posted.json()["posted"] is True
    assert accounts.status_code == 200 and accounts.json()["benefits_account"] == "7210"


def test_another_tenant_gets_nothing(
    alpha: Tenant, beta: Tenant, assert_other_tenant_denied: Callable[..., None]
) -> None:
    (maria,) = _staff("Maria Lopez")
    run = _run([maria])
    beta_owner = beta.api(beta.owner)

    for path in (f"{API}/", f"{API}/{run.pk}/", f"{API}/{run.pk}/preview/", ACCOUNTS):
        assert_other_tenant_denied(path)
    assert_other_tenant_denied(f"{API}/{run.pk}/post/", method="post")
    assert_other_tenant_denied(f"{API}/{run.pk}/", method="delete")
    # Beta's own API does not know alpha's run.
    assert beta_owner.get(f"{API}/").json()["results"] == []
    api_error(beta_owner.get(f"{API}/{run.pk}/"), 404)
    api_error(beta_owner.post(f"{API}/{run.pk}/post/"), 404)
    with schema_context("alpha"):
        assert not PayrollAllocation.objects.exists()
        assert JournalEntry.objects.filter(memo__startswith="Pay run").count() == 0


def test_the_accounts_are_read_and_changed_by_account_type(alpha: Tenant) -> None:
    client = alpha.api(alpha.user(Role.BOOKKEEPER))

    read = client.get(ACCOUNTS)
    wrong = client.patch(
        ACCOUNTS, {"benefits_account": "7210", "accrued_payroll_account": "7020"}, format="json"
    )
    unknown = client.patch(ACCOUNTS, {"in_kind_expense_account": "8560"}, format="json")
    changed = client.patch(ACCOUNTS, {"accrued_payroll_account": "1010"}, format="json")

    assert read.json() == {
        "salary_account": "7020",
        "officer_salary_account": "7010",
        "payroll_taxes_account": "7250",
        "benefits_account": "7220",
        "accrued_payroll_account": "2020",
    }
    assert api_error(wrong, 400)["fields"] == {
        "accrued_payroll_account": ["Not a liability or asset account."]
    }
    assert api_error(unknown, 400)["fields"] == {"in_kind_expense_account": ["Unknown field."]}
    assert changed.json()["accrued_payroll_account"] == "1010"
    assert changed.json()["benefits_account"] == "7220"  # the refused change saved nothing
