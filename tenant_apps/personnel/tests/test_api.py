"""The personnel API: answers, roles, other tenants, bad input and query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import EntrySource, Function, JournalEntry
from tenant_apps.personnel import selectors
from tenant_apps.personnel.models import HourEntry, HourState, Person, StaffRecord
from tenant_apps.personnel.services.approvals import hour_entry_approve
from tenant_apps.personnel.services.payroll import payroll_allocation_post
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    PersonFactory,
    StaffRecordFactory,
    VolunteerFactory,
)
from tests.helpers import api_error, list_queries_fixed
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/personnel"
DAY = date(2026, 3, 10)
MG = Function.MANAGEMENT_GENERAL
READERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
READERS += [Role.VOLUNTEER_COORDINATOR]


@pytest.fixture
def ann_user(in_alpha: Tenant) -> User:
    """A volunteer with her own login (role volunteer)."""
    login = in_alpha.user(Role.VOLUNTEER, email="ann@example.org")
    VolunteerFactory.create(
        full_name="Ann Park", person=PersonFactory.create(full_name="Ann Park", user=login)
    )
    return login


@pytest.fixture
def ben(in_alpha: Tenant) -> Person:
    return VolunteerFactory.create(full_name="Ben Ode").person


# --- People, staff, volunteers -----------------------------------------------------------------


def test_people_staff_and_volunteers_are_created_read_and_changed(alpha: Tenant) -> None:
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
    assert volunteer.status_code == 201
    assert volunteer.json()["skills"] == ["cooking"]
    assert renamed.status_code == 200
    assert read == read | {
        "full_name": "Maria L. Lopez",
        "email": "m@x.org",
        "is_staff": True,
        "is_volunteer": True,
    }


def test_a_split_that_does_not_add_up_is_a_400_and_saves_nothing(in_alpha: Tenant) -> None:
    person = PersonFactory.create(full_name="Maria")

    response = in_alpha.api(in_alpha.owner).post(
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
    assert not StaffRecord.objects.exists()


def test_unknown_people_and_donors_are_named(alpha: Tenant) -> None:
    owner = alpha.api(alpha.owner)

    donor = owner.post(f"{API}/people/", {"full_name": "X", "donor": 999999})
    staff = owner.post(f"{API}/volunteers/", {"person": 999999, "start_date": "2025-01-01"})

    assert api_error(donor, 400)["fields"] == {"donor": ["Unknown donor."]}
    assert api_error(staff, 400)["fields"] == {"person": ["Unknown person."]}


@pytest.mark.parametrize("role", READERS)
def test_every_staff_role_reads_people(in_alpha: Tenant, role: str) -> None:
    StaffRecordFactory.create(full_name="Maria")

    response = in_alpha.api(in_alpha.user(role)).get(f"{API}/staff/")

    assert response.status_code == 200
    assert [row["person_name"] for row in response.json()["results"]] == ["Maria"]


@pytest.mark.parametrize(
    ("role", "sees_pay"),
    [
        (Role.OWNER, True),
        (Role.ADMIN, True),
        (Role.BOOKKEEPER, True),
        (Role.FUNDRAISER, False),
        (Role.VIEWER, False),
        (Role.VOLUNTEER_COORDINATOR, False),
    ],
)
def test_the_pay_rate_is_only_for_roles_that_read_pay(
    in_alpha: Tenant, role: str, sees_pay: bool
) -> None:
    record = StaffRecordFactory.create(full_name="Maria")
    client = in_alpha.api(in_alpha.user(role))

    listed = client.get(f"{API}/staff/").json()["results"][0]
    read = client.get(f"{API}/staff/{record.pk}/").json()

    assert ("pay_rate" in listed) is sees_pay
    assert ("pay_rate" in read) is sees_pay
    assert ("52000.00" in str(listed)) is sees_pay
    assert read["position"] == record.position


def test_a_coordinator_changes_a_staff_record_but_not_its_pay(
    in_alpha: Tenant, coordinator: APIClient
) -> None:
    record = StaffRecordFactory.create(full_name="Maria")
    person = PersonFactory.create(full_name="Noor")

    moved = coordinator.patch(f"{API}/staff/{record.pk}/", {"department": "Kitchen"})
    raised = coordinator.patch(f"{API}/staff/{record.pk}/", {"pay_rate": "90000.00"})
    hired = coordinator.post(
        f"{API}/staff/",
        {
            "person": person.pk,
            "position": "Cook",
            "employment_type": "full_time",
            "pay_type": "salaried",
            "pay_rate": "40000.00",
            "start_date": "2025-01-01",
        },
    )

    assert moved.status_code == 200, moved.content
    assert "pay_rate" not in moved.json()
    api_error(raised, 403)
    api_error(hired, 403)
    record.refresh_from_db()
    assert record.pay_rate == Decimal("52000.00")
    assert record.department == "Kitchen"
    assert not StaffRecord.objects.filter(person=person).exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.BOOKKEEPER, Role.VOLUNTEER])
def test_people_are_managed_only_by_those_who_manage_personnel(alpha: Tenant, role: str) -> None:
    response = alpha.api(alpha.user(role)).post(f"{API}/people/", {"full_name": "X"})

    api_error(response, 403)


def test_a_coordinator_manages_people(alpha: Tenant, coordinator: APIClient) -> None:
    response = coordinator.post(f"{API}/people/", {"full_name": "New Volunteer"})

    assert response.status_code == 201


@pytest.mark.parametrize(("path", "make"), [("people", "person"), ("staff", "staff")])
def test_lists_run_a_fixed_number_of_queries(in_alpha: Tenant, path: str, make: str) -> None:
    client = in_alpha.api(in_alpha.owner)

    def made(count: int) -> None:
        for _ in range(count):
            person = PersonFactory.create()
            if make == "staff":
                StaffRecordFactory.create(full_name="", person=person)

    list_queries_fixed(client, f"{API}/{path}/", made)


def test_the_volunteer_list_runs_a_fixed_number_of_queries(in_alpha: Tenant) -> None:
    client = in_alpha.api(in_alpha.owner)

    def made(count: int) -> None:
        for _ in range(count):
            VolunteerFactory.create(full_name="", person=PersonFactory.create())

    list_queries_fixed(client, f"{API}/volunteers/", made)


# --- Hours -------------------------------------------------------------------------------------


def test_a_volunteer_logs_and_sees_only_their_own_hours(
    in_alpha: Tenant, ann_user: User, ben: Person
) -> None:
    HourEntryFactory.create(person=ben, date=DAY, hours="3.00", function=MG)
    client = in_alpha.api(ann_user)

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
    ben_entry = HourEntry.objects.get(person=ben)
    assert client.get(f"{API}/hours/{ben_entry.pk}/").status_code == 404
    for path in ("people/", "staff/", "volunteers/", "reports/", "settings/"):
        api_error(client.get(f"{API}/{path}"), 403)
    api_error(client.post(f"{API}/hours/{logged.json()['id']}/approve/"), 403)


def test_a_login_without_a_person_names_whose_hours(alpha: Tenant) -> None:
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
    in_alpha: Tenant, ann_user: User, body: dict[str, str], message: str
) -> None:
    response = in_alpha.api(ann_user).post(
        f"{API}/hours/", {"date": "2026-03-10", "hours": "2", "function": MG} | body
    )

    assert api_error(response, 400)["message"] == message
    assert not HourEntry.objects.exists()


def test_a_submitted_entry_is_changed_a_decided_one_is_not(
    in_alpha: Tenant, ann_user: User
) -> None:
    client = in_alpha.api(ann_user)
    entry = client.post(f"{API}/hours/", {"date": "2026-03-10", "hours": "2", "function": MG})
    entry_id = entry.json()["id"]

    changed = client.patch(f"{API}/hours/{entry_id}/", {"hours": "3.25"})
    hour_entry_approve(entry=HourEntry.objects.get(pk=entry_id), acting_user=None)
    refused = client.patch(f"{API}/hours/{entry_id}/", {"hours": "1"})

    assert changed.json()["hours"] == "3.25"
    assert "submit a new entry" in api_error(refused, 409)["message"]


def test_a_coordinator_approves_and_rejects(
    in_alpha: Tenant, coordinator: APIClient, ben: Person
) -> None:
    first = HourEntryFactory.create(person=ben, date=DAY, hours="2", function=MG)
    second = HourEntryFactory.create(person=ben, date=DAY, hours="3", function=MG)
    client = coordinator

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
def test_only_coordinators_and_administrators_decide(
    in_alpha: Tenant, role: str, ben: Person
) -> None:
    entry = HourEntryFactory.create(person=ben, date=DAY, hours="2", function=MG)
    client = in_alpha.api(in_alpha.user(role))

    api_error(client.post(f"{API}/hours/{entry.pk}/approve/"), 403)
    api_error(client.post(f"{API}/hours/bulk-reject/", {"entries": [entry.pk], "reason": "x"}), 403)
    assert client.get(f"{API}/hours/{entry.pk}/").status_code == 200


def test_bulk_approval_is_all_or_nothing(
    in_alpha: Tenant, coordinator_user: User, coordinator: APIClient, ben: Person
) -> None:
    entries = [
        HourEntryFactory.create(person=ben, date=DAY, hours="1", function=MG) for _ in range(3)
    ]
    mine = VolunteerFactory.create(
        full_name="Cora", person=PersonFactory.create(full_name="Cora", user=coordinator_user)
    ).person
    own = HourEntryFactory.create(person=mine, date=DAY, hours="1", function=MG)
    client = coordinator
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
    assert HourEntry.objects.get(pk=own.pk).state == HourState.SUBMITTED


def test_bulk_rejection_carries_the_reason(in_alpha: Tenant, ben: Person) -> None:
    ids = [
        HourEntryFactory.create(person=ben, date=DAY, hours="1", function=MG).pk for _ in range(2)
    ]

    response = in_alpha.api(in_alpha.owner).post(
        f"{API}/hours/bulk-reject/", {"entries": ids, "reason": "Duplicate"}
    )

    assert {(row["state"], row["rejection_reason"]) for row in response.json()["entries"]} == {
        ("rejected", "Duplicate")
    }


def test_the_hours_list_runs_a_fixed_number_of_queries(in_alpha: Tenant, ben: Person) -> None:
    client = in_alpha.api(in_alpha.owner)

    def logged(count: int) -> None:
        for index in range(count):
            entry = HourEntryFactory.create(
                person=ben, date=date(2026, 1, 1 + index), hours="1", approve=True
            )
            assert entry.state == HourState.APPROVED

    list_queries_fixed(client, f"{API}/hours/", logged)


# --- Settings, payroll allocations, reports -----------------------------------------------------


def test_settings_are_read_by_staff_and_changed_by_administrators(alpha: Tenant) -> None:
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


def _payroll(in_alpha: Tenant) -> None:
    StaffRecordFactory.create(
        full_name="Fay",
        split_program="0",
        split_management_general="50",
        split_fundraising="50",
    )
    settings_update(payroll_posting_enabled=True, acting_user=None)


def test_a_bookkeeper_posts_the_payroll_allocation(
    in_alpha: Tenant, coordinator: APIClient
) -> None:
    _payroll(in_alpha)
    body = {"start": "2026-03-01", "end": "2026-03-31"}

    refused = coordinator.post(f"{API}/payroll-allocations/", body)
    posted = in_alpha.api(in_alpha.user(Role.BOOKKEEPER)).post(f"{API}/payroll-allocations/", body)
    twice = in_alpha.api(in_alpha.owner).post(f"{API}/payroll-allocations/", body)
    backwards = in_alpha.api(in_alpha.owner).post(
        f"{API}/payroll-allocations/", {"start": "2026-05-01", "end": "2026-04-01"}
    )
    listed = in_alpha.api(in_alpha.user(Role.BOOKKEEPER)).get(f"{API}/payroll-allocations/")
    hidden = in_alpha.api(in_alpha.user(Role.VIEWER)).get(f"{API}/payroll-allocations/")

    api_error(refused, 403)
    assert posted.status_code == 201, posted.content
    # 52,000.00 x 31 / 365 = 4,416.438..., 4,416.44; half to fundraising: 2,208.22.
    assert posted.json() | {"total_cost": "4416.44", "amount_moved": "2208.22"} == posted.json()
    assert "a day's salaries move once" in api_error(twice, 409)["message"]
    assert api_error(backwards, 400)["fields"] == {"start": ["After the end."]}
    assert [row["entry"] for row in listed.json()["results"]] == [posted.json()["entry"]]
    api_error(hidden, 403)  # each person's cost is pay: not the read-only role's
    assert JournalEntry.objects.filter(source=EntrySource.PAYROLL).count() == 1


def test_the_payroll_allocation_list_runs_a_fixed_number_of_queries(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    _payroll(in_alpha)
    client = in_alpha.api(in_alpha.owner)

    def posted(months: range) -> None:
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


def test_the_report_index_lists_each_report_the_role_may_read(alpha: Tenant) -> None:
    response = alpha.api(alpha.user(Role.BOOKKEEPER)).get(f"{API}/reports/")
    without_pay = alpha.api(alpha.user(Role.VIEWER)).get(f"{API}/reports/")

    assert [item["name"] for item in response.json()] == [
        "hours",
        "volunteer-value",
        "payroll-allocation",
    ]
    assert response.json()[0]["csv_url"] == f"{API}/reports/hours/?format=csv"
    assert [item["name"] for item in without_pay.json()] == ["hours", "volunteer-value"]


@pytest.mark.parametrize("name", ["hours", "volunteer-value", "payroll-allocation"])
def test_each_report_as_json_and_csv_in_a_fixed_number_of_queries(
    in_alpha: Tenant, ben: Person, count_queries: Callable[[], CaptureQueriesContext], name: str
) -> None:
    client = in_alpha.api(in_alpha.user(Role.BOOKKEEPER))
    url = f"{API}/reports/{name}/?start=2026-01-01&end=2026-03-31"

    def logged(days: range) -> None:
        staff = StaffRecordFactory.create(
            full_name=f"Staff {days.start}",
            split_program="50",
            split_management_general="50",
            default_program="PRG",
        )
        for day in days:
            HourEntryFactory.create(
                person=ben,
                date=date(2026, 1, day),
                hours="1",
                approve=True,
                specialized_skills=True,
            )
            HourEntryFactory.create(
                person=staff.person,
                date=date(2026, 1, day),
                hours="2",
                function=MG,
                approve=True,
            )

    logged(range(1, 3))
    client.get(f"{url}&format=csv")  # warm: the host's tenant is cached after the first request
    with count_queries() as few:
        client.get(f"{url}&format=csv")
    data = client.get(url).json()
    logged(range(3, 20))
    with count_queries() as many:
        csv = client.get(f"{url}&format=csv")

    assert data["report"] == name
    assert data["parameters"] == {
        "start": "2026-01-01",
        "end": "2026-03-31",
    }
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert csv["Content-Disposition"] == (
        f'attachment; filename="{name}-2026-01-01-2026-03-31.csv"'
    )
    assert len(many.captured_queries) == len(few.captured_queries)


def test_report_errors_are_clear(alpha: Tenant) -> None:
    client = alpha.api(alpha.owner)

    unknown = client.get(f"{API}/reports/payroll/")
    backwards = client.get(f"{API}/reports/hours/?start=2026-04-01&end=2026-03-01&format=csv")
    bad_date = client.get(f"{API}/reports/hours/?start=March")

    assert "There is no report 'payroll'" in api_error(unknown, 404)["message"]
    assert api_error(backwards, 400)["message"] == "The start date is after the end date."
    assert "start" in api_error(bad_date, 400)["fields"]


def test_a_volunteer_reads_no_report(alpha: Tenant, ann_user: User) -> None:
    api_error(alpha.api(ann_user).get(f"{API}/reports/hours/"), 403)


# --- Other tenants -----------------------------------------------------------------------------


def test_people_of_another_tenant_get_nothing(
    in_alpha: Tenant, assert_other_tenant_denied: Callable[..., None], ben: Person
) -> None:
    staff = StaffRecordFactory.create(full_name="Maria")
    entry = HourEntryFactory.create(person=ben, date=DAY, hours="1", function=MG)
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
    entry.refresh_from_db()
    assert entry.state == HourState.SUBMITTED
    assert entry.hours == 1
    assert Person.objects.filter(full_name="X").count() == 0
    assert selectors.personnel_settings().volunteer_hourly_rate != 1
    assert not JournalEntry.objects.filter(source=EntrySource.PAYROLL).exists()
