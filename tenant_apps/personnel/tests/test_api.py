"""The personnel API: answers, roles, other tenants, bad input and query counts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import EntrySource, Function, JournalEntry
from tenant_apps.personnel import selectors
from tenant_apps.personnel.models import HourEntry, HourState, Person, StaffRecord
from tenant_apps.personnel.services.approvals import hour_entry_approve
from tenant_apps.personnel.services.payroll import payroll_allocation_post
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.tests.factories import (
    PersonFactory,
    hours_logged,
    person_made,
    staff_made,
    volunteer_made,
)
from tests.helpers import api_error, list_queries_fixed

pytestmark = pytest.mark.django_db

API = "/api/v1/personnel"
DAY = date(2026, 3, 10)
MG = Function.MANAGEMENT_GENERAL
READERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
READERS += [Role.VOLUNTEER_COORDINATOR]


@pytest.fixture
def coordinator(alpha: Any) -> Any:
    return alpha.user(Role.VOLUNTEER_COORDINATOR, email="coord@alpha.org")


@pytest.fixture
def ann(alpha: Any) -> Any:
    """A volunteer with her own login (role volunteer)."""
    login = alpha.user(Role.VOLUNTEER, email="ann@example.org")
    with schema_context("alpha"):
        volunteer_made("Ann Park", person=person_made("Ann Park", user=login))
    return login


@pytest.fixture
def ben(alpha: Any) -> Person:
    with schema_context("alpha"):
        return volunteer_made("Ben Ode").person


# --- People, staff, volunteers -----------------------------------------------------------------


def test_people_staff_and_volunteers_are_created_read_and_changed(alpha: Any) -> None:
    owner = alpha.api(alpha.owner)

    person = owner.post(f"{API}/people/", {"full_name": "Maria Lopez", "email": "M@x.org"})
    assert person.status_code == 201, person.content
    person_id = person.json()["id"]
    staff = owner.post(
        f"{API}/staff/",
        {
            "person": person_id,
            "position": "Director",
            "employment_type": "full_time",
            "pay_type": "salaried",
            "pay_rate": "60000.00",
            "start_date": "2025-01-01",
            "split_program": "70",
            "split_management_general": "30",
            "default_program": "PRG",
        },
    )
    assert staff.status_code == 201, staff.content
    changed = owner.patch(f"{API}/staff/{staff.json()['id']}/", {"position": "Executive director"})
    volunteer = owner.post(
        f"{API}/volunteers/",
        {"person": person_id, "start_date": "2025-06-01", "skills": ["Cooking"]},
    )
    renamed = owner.patch(f"{API}/people/{person_id}/", {"full_name": "Maria L. Lopez"})
    read = owner.get(f"{API}/people/{person_id}/").json()

    assert changed.json()["position"] == "Executive director"
    assert staff.json()["default_program"] == "PRG"
    assert volunteer.status_code == 201 and volunteer.json()["skills"] == ["cooking"]
    assert renamed.status_code == 200
    assert read == read | {
        "full_name": "Maria L. Lopez",
        "email": "m@x.org",
        "is_staff": True,
        "is_volunteer": True,
    }


def test_a_split_that_does_not_add_up_is_a_400_and_saves_nothing(alpha: Any) -> None:
    with schema_context("alpha"):
        person = person_made("Maria")

    response = alpha.api(alpha.owner).post(
        f"{API}/staff/",
        {
            "person": person.pk,
            "position": "Director",
            "employment_type": "full_time",
            "pay_type": "salaried",
            "pay_rate": "60000.00",
            "start_date": "2025-01-01",
            "split_management_general": "60",
            "split_fundraising": "30",
        },
    )

    error = api_error(response, 400)
    assert error["message"] == "The default split adds up to 90.00%, not 100%."
    with schema_context("alpha"):
        assert not StaffRecord.objects.exists()


def test_unknown_people_and_donors_are_named(alpha: Any) -> None:
    owner = alpha.api(alpha.owner)

    donor = owner.post(f"{API}/people/", {"full_name": "X", "donor": 999999})
    staff = owner.post(f"{API}/volunteers/", {"person": 999999, "start_date": "2025-01-01"})

    assert api_error(donor, 400)["fields"] == {"donor": ["Unknown donor."]}
    assert api_error(staff, 400)["fields"] == {"person": ["Unknown person."]}


@pytest.mark.parametrize("role", READERS)
def test_every_staff_role_reads_people(alpha: Any, role: str) -> None:
    with schema_context("alpha"):
        staff_made("Maria")

    response = alpha.api(alpha.user(role)).get(f"{API}/staff/")

    assert response.status_code == 200
    assert [row["person_name"] for row in response.json()["results"]] == ["Maria"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.BOOKKEEPER, Role.VOLUNTEER])
def test_people_are_managed_only_by_those_who_manage_personnel(alpha: Any, role: str) -> None:
    response = alpha.api(alpha.user(role)).post(f"{API}/people/", {"full_name": "X"})

    api_error(response, 403)


def test_a_coordinator_manages_people(alpha: Any, coordinator: Any) -> None:
    response = alpha.api(coordinator).post(f"{API}/people/", {"full_name": "New Volunteer"})

    assert response.status_code == 201


@pytest.mark.parametrize(("path", "make"), [("people", "person"), ("staff", "staff")])
def test_lists_run_a_fixed_number_of_queries(alpha: Any, path: str, make: str) -> None:
    client = alpha.api(alpha.owner)

    def made(count: int) -> None:
        with schema_context("alpha"):
            for _ in range(count):
                person = PersonFactory()
                if make == "staff":
                    staff_made("", person=person)

    list_queries_fixed(client, f"{API}/{path}/", made)


def test_the_volunteer_list_runs_a_fixed_number_of_queries(alpha: Any) -> None:
    client = alpha.api(alpha.owner)

    def made(count: int) -> None:
        with schema_context("alpha"):
            for _ in range(count):
                volunteer_made("", person=PersonFactory())

    list_queries_fixed(client, f"{API}/volunteers/", made)


# --- Hours -------------------------------------------------------------------------------------


def test_a_volunteer_logs_and_sees_only_their_own_hours(alpha: Any, ann: Any, ben: Person) -> None:
    with schema_context("alpha"):
        hours_logged(ben, DAY, "3.00", MG)
    client = alpha.api(ann)

    logged = client.post(
        f"{API}/hours/", {"date": "2026-03-10", "hours": "2.50", "function": "program",
                          "program": "PRG", "activity": "Sorting food"}
    )  # fmt: skip
    for_ben = client.post(
        f"{API}/hours/", {"person": ben.pk, "date": "2026-03-10", "hours": "1", "function": MG}
    )
    listed = client.get(f"{API}/hours/").json()["results"]

    assert logged.status_code == 201, logged.content
    assert logged.json() | {"id": 0} == logged.json() | {
        "id": 0, "person_name": "Ann Park", "kind": "volunteer", "hours": "2.50",
        "program": "PRG", "state": "submitted", "submitted_by": "ann@example.org",
    }  # fmt: skip
    assert api_error(for_ben, 403)["message"] == "You may log and change only your own hours."
    assert [row["person_name"] for row in listed] == ["Ann Park"]
    with schema_context("alpha"):
        ben_entry = HourEntry.objects.get(person=ben)
    assert client.get(f"{API}/hours/{ben_entry.pk}/").status_code == 404
    for path in ("people/", "staff/", "volunteers/", "reports/", "settings/"):
        api_error(client.get(f"{API}/{path}"), 403)
    api_error(client.post(f"{API}/hours/{logged.json()['id']}/approve/"), 403)


def test_a_login_without_a_person_names_whose_hours(alpha: Any) -> None:
    response = alpha.api(alpha.user(Role.VOLUNTEER)).post(
        f"{API}/hours/", {"date": "2026-03-10", "hours": "1", "function": MG}
    )

    assert api_error(response, 400)["fields"] == {"person": ["Required."]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"date": "2999-01-01"},
            "date: 2999-01-01 is in the future; log hours once they are worked.",
        ),
        ({"hours": "25"}, "hours: more than 0 and at most 24."),
        ({"function": "program"}, "program: hours on program services name their program."),
        (
            {"program": "PRG"},
            "program: only program hours name a program, not management_general hours.",
        ),
        (
            {"date": "2020-01-01"},
            "date: Ann Park was not on staff or volunteering on 2020-01-01 "
            "(volunteer from 2025-01-01 to now).",
        ),
    ],
)
def test_invalid_hours_are_a_400_that_saves_nothing(
    alpha: Any, ann: Any, body: dict[str, str], message: str
) -> None:
    response = alpha.api(ann).post(
        f"{API}/hours/", {"date": "2026-03-10", "hours": "2", "function": MG} | body
    )

    assert api_error(response, 400)["message"] == message
    with schema_context("alpha"):
        assert not HourEntry.objects.exists()


def test_a_submitted_entry_is_changed_a_decided_one_is_not(alpha: Any, ann: Any) -> None:
    client = alpha.api(ann)
    entry = client.post(f"{API}/hours/", {"date": "2026-03-10", "hours": "2", "function": MG})
    entry_id = entry.json()["id"]

    changed = client.patch(f"{API}/hours/{entry_id}/", {"hours": "3.25"})
    with schema_context("alpha"):
        hour_entry_approve(entry=HourEntry.objects.get(pk=entry_id), acting_user=None)
    refused = client.patch(f"{API}/hours/{entry_id}/", {"hours": "1"})

    assert changed.json()["hours"] == "3.25"
    assert "submit a new entry" in api_error(refused, 409)["message"]


def test_a_coordinator_approves_and_rejects(alpha: Any, coordinator: Any, ben: Person) -> None:
    with schema_context("alpha"):
        first = hours_logged(ben, DAY, "2", MG)
        second = hours_logged(ben, DAY, "3", MG)
    client = alpha.api(coordinator)

    approved = client.post(f"{API}/hours/{first.pk}/approve/")
    no_reason = client.post(f"{API}/hours/{second.pk}/reject/", {})
    rejected = client.post(f"{API}/hours/{second.pk}/reject/", {"reason": "Not on the rota"})
    again = client.post(f"{API}/hours/{first.pk}/approve/")

    assert approved.json()["state"] == "approved"
    assert approved.json()["decided_by"] == "coord@alpha.org"
    assert api_error(no_reason, 400)["fields"] == {"reason": ["This field is required."]}
    assert rejected.json() | {"rejection_reason": "Not on the rota", "state": "rejected"} == (
        rejected.json()
    )
    assert api_error(again, 409)["message"] == f"Hour entry {first.pk} is already approved."


@pytest.mark.parametrize("role", [Role.VIEWER, Role.BOOKKEEPER, Role.FUNDRAISER])
def test_only_coordinators_and_administrators_decide(alpha: Any, role: str, ben: Person) -> None:
    with schema_context("alpha"):
        entry = hours_logged(ben, DAY, "2", MG)
    client = alpha.api(alpha.user(role))

    api_error(client.post(f"{API}/hours/{entry.pk}/approve/"), 403)
    api_error(client.post(f"{API}/hours/bulk-reject/", {"entries": [entry.pk], "reason": "x"}), 403)
    assert client.get(f"{API}/hours/{entry.pk}/").status_code == 200


def test_bulk_approval_is_all_or_nothing(alpha: Any, coordinator: Any, ben: Person) -> None:
    with schema_context("alpha"):
        entries = [hours_logged(ben, DAY, "1", MG) for _ in range(3)]
        mine = volunteer_made("Cora", person=person_made("Cora", user=coordinator)).person
        own = hours_logged(mine, DAY, "1", MG)
    client = alpha.api(coordinator)
    ids = [entry.pk for entry in entries]

    with_own = client.post(f"{API}/hours/bulk-approve/", {"entries": [*ids, own.pk]})
    unknown = client.post(f"{API}/hours/bulk-approve/", {"entries": [*ids, 999999]})
    approved = client.post(f"{API}/hours/bulk-approve/", {"entries": ids})

    error = api_error(with_own, 403)
    assert error["message"] == (
        f"Hour entry {own.pk} is your own; someone else approves it. Nothing was changed."
    )
    assert list(error["fields"]["entries"]) == [str(own.pk)]
    assert api_error(unknown, 400)["fields"] == {"entries": {"999999": ["Unknown entry."]}}
    assert [row["state"] for row in approved.json()["entries"]] == ["approved"] * 3
    with schema_context("alpha"):
        assert HourEntry.objects.get(pk=own.pk).state == HourState.SUBMITTED


def test_bulk_rejection_carries_the_reason(alpha: Any, ben: Person) -> None:
    with schema_context("alpha"):
        ids = [hours_logged(ben, DAY, "1", MG).pk for _ in range(2)]

    response = alpha.api(alpha.owner).post(
        f"{API}/hours/bulk-reject/", {"entries": ids, "reason": "Duplicate"}
    )

    assert {(row["state"], row["rejection_reason"]) for row in response.json()["entries"]} == {
        ("rejected", "Duplicate")
    }


def test_the_hours_list_runs_a_fixed_number_of_queries(alpha: Any, ben: Person) -> None:
    client = alpha.api(alpha.owner)

    def logged(count: int) -> None:
        with schema_context("alpha"):
            for index in range(count):
                entry = hours_logged(ben, date(2026, 1, 1 + index), "1", approve=True)
                assert entry.state == HourState.APPROVED

    list_queries_fixed(client, f"{API}/hours/", logged)


# --- Settings, payroll allocations, reports -----------------------------------------------------


def test_settings_are_read_by_staff_and_changed_by_administrators(alpha: Any) -> None:
    viewer = alpha.api(alpha.user(Role.VIEWER))

    read = viewer.get(f"{API}/settings/")
    refused = alpha.api(alpha.user(Role.BOOKKEEPER)).patch(
        f"{API}/settings/", {"payroll_posting_enabled": True}
    )
    changed = alpha.api(alpha.owner).patch(
        f"{API}/settings/", {"payroll_posting_enabled": True, "volunteer_hourly_rate": "33.49"}
    )
    bad = alpha.api(alpha.owner).patch(f"{API}/settings/", {"salary_account": "4010"})

    assert read.json()["volunteer_hourly_rate"] == "34.79"
    assert "Independent Sector" in read.json()["volunteer_hourly_rate_source"]
    assert "2024" in read.json()["volunteer_hourly_rate_source"]
    assert read.json()["payroll_posting_enabled"] is False
    api_error(refused, 403)
    assert changed.json() | {"payroll_posting_enabled": True, "volunteer_hourly_rate": "33.49"} == (
        changed.json()
    )
    assert api_error(bad, 400)["fields"] == {"salary_account": ["Not an expense account."]}


def _payroll(alpha: Any) -> None:
    with schema_context("alpha"):
        staff_made("Fay", split_program="0", split_management_general="50", split_fundraising="50")
        settings_update(payroll_posting_enabled=True, acting_user=None)


def test_a_bookkeeper_posts_the_payroll_allocation(alpha: Any, coordinator: Any) -> None:
    _payroll(alpha)
    body = {"start": "2026-03-01", "end": "2026-03-31"}

    refused = alpha.api(coordinator).post(f"{API}/payroll-allocations/", body)
    posted = alpha.api(alpha.user(Role.BOOKKEEPER)).post(f"{API}/payroll-allocations/", body)
    twice = alpha.api(alpha.owner).post(f"{API}/payroll-allocations/", body)
    backwards = alpha.api(alpha.owner).post(
        f"{API}/payroll-allocations/", {"start": "2026-05-01", "end": "2026-04-01"}
    )
    listed = alpha.api(alpha.user(Role.VIEWER)).get(f"{API}/payroll-allocations/")

    api_error(refused, 403)
    assert posted.status_code == 201, posted.content
    # 52,000.00 x 31 / 365 = 4,416.438..., 4,416.44; half to fundraising: 2,208.22.
    assert posted.json() | {"total_cost": "4416.44", "amount_moved": "2208.22"} == posted.json()
    assert "a day's salaries move once" in api_error(twice, 409)["message"]
    assert api_error(backwards, 400)["fields"] == {"start": ["After the end."]}
    assert [row["entry"] for row in listed.json()["results"]] == [posted.json()["entry"]]
    with schema_context("alpha"):
        assert JournalEntry.objects.filter(source=EntrySource.PAYROLL).count() == 1


def test_the_payroll_allocation_list_runs_a_fixed_number_of_queries(
    alpha: Any, count_queries: Any
) -> None:
    _payroll(alpha)
    client = alpha.api(alpha.owner)

    def posted(months: range) -> None:
        with schema_context("alpha"):
            for month in months:
                payroll_allocation_post(
                    start=date(2025, month, 1), end=date(2025, month, 28), acting_user=None
                )

    posted(range(1, 4))
    client.get(f"{API}/payroll-allocations/")  # warm: the tenant is cached after a request
    with count_queries() as few:
        assert len(client.get(f"{API}/payroll-allocations/").json()["results"]) == 3
    posted(range(4, 13))
    with count_queries() as many:
        assert len(client.get(f"{API}/payroll-allocations/").json()["results"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_report_index_lists_each_report(alpha: Any) -> None:
    response = alpha.api(alpha.user(Role.VIEWER)).get(f"{API}/reports/")

    assert [item["name"] for item in response.json()] == [
        "hours",
        "volunteer-value",
        "payroll-allocation",
    ]
    assert response.json()[0]["csv_url"] == f"{API}/reports/hours/?format=csv"


@pytest.mark.parametrize("name", ["hours", "volunteer-value", "payroll-allocation"])
def test_each_report_as_json_and_csv_in_a_fixed_number_of_queries(
    alpha: Any, ben: Person, count_queries: Any, name: str
) -> None:
    client = alpha.api(alpha.user(Role.VIEWER))
    url = f"{API}/reports/{name}/?start=2026-01-01&end=2026-03-31"

    def logged(days: range) -> None:
        with schema_context("alpha"):
            staff = staff_made(f"Staff {days.start}", split_program="50",
                               split_management_general="50", default_program="PRG")  # fmt: skip
            for day in days:
                hours_logged(ben, date(2026, 1, day), "1", approve=True, specialized_skills=True)
                hours_logged(staff.person, date(2026, 1, day), "2", MG, approve=True)

    logged(range(1, 3))
    client.get(f"{url}&format=csv")  # warm: the host's tenant is cached after the first request
    with count_queries() as few:
        client.get(f"{url}&format=csv")
    data = client.get(url).json()
    logged(range(3, 20))
    with count_queries() as many:
        csv = client.get(f"{url}&format=csv")

    assert data["report"] == name and data["parameters"] == {
        "start": "2026-01-01",
        "end": "2026-03-31",
    }
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv["Content-Disposition"] == (
        f'attachment; filename="{name}-2026-01-01-2026-03-31.csv"'
    )
    assert len(many.captured_queries) == len(few.captured_queries)


def test_report_errors_are_clear(alpha: Any) -> None:
    client = alpha.api(alpha.owner)

    unknown = client.get(f"{API}/reports/payroll/")
    backwards = client.get(f"{API}/reports/hours/?start=2026-04-01&end=2026-03-01&format=csv")
    bad_date = client.get(f"{API}/reports/hours/?start=March")

    assert "There is no report 'payroll'" in api_error(unknown, 404)["message"]
    assert api_error(backwards, 400)["message"] == "The start date is after the end date."
    assert "start" in api_error(bad_date, 400)["fields"]


def test_a_volunteer_reads_no_report(alpha: Any, ann: Any) -> None:
    api_error(alpha.api(ann).get(f"{API}/reports/hours/"), 403)


# --- Other tenants -----------------------------------------------------------------------------


def test_people_of_another_tenant_get_nothing(
    alpha: Any, assert_other_tenant_denied: Any, ben: Person
) -> None:
    with schema_context("alpha"):
        staff = staff_made("Maria")
        entry = hours_logged(ben, DAY, "1", MG)
        settings_update(payroll_posting_enabled=True, acting_user=None)
    check = assert_other_tenant_denied

    check(f"{API}/people/")
    check(f"{API}/people/{ben.pk}/")
    check(f"{API}/people/", method="post", data={"full_name": "X"})
    check(f"{API}/people/{ben.pk}/", method="patch", data={"full_name": "X"})
    check(f"{API}/staff/")
    check(f"{API}/staff/{staff.pk}/")
    check(f"{API}/staff/", method="post", data={"person": ben.pk})
    check(f"{API}/staff/{staff.pk}/", method="patch", data={"position": "X"})
    check(f"{API}/volunteers/")
    check(f"{API}/volunteers/{ben.volunteer.pk}/")
    check(f"{API}/volunteers/", method="post", data={"person": ben.pk})
    check(f"{API}/volunteers/{ben.volunteer.pk}/", method="patch", data={"availability": "X"})
    check(f"{API}/hours/")
    check(f"{API}/hours/{entry.pk}/")
    check(f"{API}/hours/", method="post", data={"person": ben.pk})
    check(f"{API}/hours/{entry.pk}/", method="patch", data={"hours": "2"})
    check(f"{API}/hours/{entry.pk}/approve/", method="post")
    check(f"{API}/hours/{entry.pk}/reject/", method="post", data={"reason": "X"})
    check(f"{API}/hours/bulk-approve/", method="post", data={"entries": [entry.pk]})
    check(f"{API}/hours/bulk-reject/", method="post", data={"entries": [entry.pk], "reason": "X"})
    check(f"{API}/settings/")
    check(f"{API}/settings/", method="patch", data={"volunteer_hourly_rate": "1.00"})
    check(f"{API}/payroll-allocations/")
    check(
        f"{API}/payroll-allocations/",
        method="post",
        data={"start": "2026-03-01", "end": "2026-03-31"},
    )
    check(f"{API}/reports/")
    for name in ("hours", "volunteer-value", "payroll-allocation"):
        check(f"{API}/reports/{name}/")
    with schema_context("alpha"):
        entry.refresh_from_db()
        assert entry.state == HourState.SUBMITTED and entry.hours == 1
        assert Person.objects.filter(full_name="X").count() == 0
        assert selectors.personnel_settings().volunteer_hourly_rate != 1
        assert not JournalEntry.objects.filter(source=EntrySource.PAYROLL).exists()
