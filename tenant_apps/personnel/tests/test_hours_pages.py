"""The hours pages: the timesheet (grid, save, submit, refusals next to the cell), a
volunteer's year, the approvals queue (filters, CSV, bulk approve and reject, one's own hours
refused), who may open each, and their query counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import Function
from tenant_apps.personnel.models import HourEntry, HourState, Person
from tenant_apps.personnel.services.approvals import hour_entry_reject
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    PersonFactory,
    StaffRecordFactory,
    VolunteerFactory,
)
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
WEEK = f"/hours/timesheet/?week={MONDAY.isoformat()}"
MG = Function.MANAGEMENT_GENERAL


def _volunteer(alpha: Tenant, name: str = "Ben Ode", email: str = "ben@alpha.org") -> User:
    user = alpha.user(Role.VOLUNTEER, email=email)
    with schema_context("alpha"):
        VolunteerFactory.create(
            full_name=name, person=PersonFactory.create(full_name=name, user=user)
        )
    return user


def _week_post(rows: list[tuple[str, list[str]]], action: str = "save") -> dict[str, Any]:
    data: dict[str, Any] = {"week": MONDAY.isoformat(), "rows": str(len(rows)), "action": action}
    for index, (line, hours) in enumerate(rows):
        data[f"row-{index}-line"] = line
        for offset, typed in enumerate(hours):
            data[f"row-{index}-{offset}"] = typed
    return data


def _states(name: str) -> list[tuple[date, str, str]]:
    with schema_context("alpha"):
        return [
            (entry.date, entry.state, f"{entry.hours}")
            for entry in HourEntry.objects.filter(person__full_name=name).order_by("date", "pk")
        ]


# --- The timesheet -----------------------------------------------------------------------------


def test_the_timesheet_shows_the_week_with_its_totals_and_links(alpha: Tenant) -> None:
    user = _volunteer(alpha)
    with schema_context("alpha"):
        ben = Person.objects.get(user=user)
        HourEntryFactory.create(person=ben, date=MONDAY, hours="3.5", approve=True)
        HourEntryFactory.create(person=ben, date=MONDAY + timedelta(days=1), hours="2")

    page = alpha.client(user).get(WEEK)
    html = page.content.decode()

    assert page.status_code == 200
    assert "Monday, March 2, 2026 to Sunday, March 8, 2026" in html
    assert 'href="?week=2026-02-23" rel="prev"' in html
    assert 'href="?week=2026-03-09" rel="next"' in html
    assert '<span class="hours-locked">3.5</span><span class="cell-state">Approved</span>' in html
    assert 'name="row-0-1" id="row-0-1" value="2"' in html
    assert "data-week-total>5.5</td>" in html
    assert 'name="row-1-line" id="row-1-line"' in html  # the row to add
    assert "/static/personnel/timesheet.js" in html and "<script>" not in html


def test_a_bad_week_is_named_and_this_week_shown(alpha: Tenant) -> None:
    page = alpha.client(_volunteer(alpha)).get("/hours/timesheet/?week=someday")

    assert page.status_code == 200
    assert "“someday” is not a date (YYYY-MM-DD): this week is shown." in page.content.decode()


def test_a_week_is_saved_then_submitted_from_the_page(alpha: Tenant) -> None:
    client = alpha.client(_volunteer(alpha))

    saved = client.post(WEEK, _week_post([("program:PRG", ["4", "3", "", "", "", "", ""])]))
    after_save = _states("Ben Ode")
    page = client.get(WEEK).content.decode()
    submitted = client.post(
        WEEK, _week_post([("program:PRG", ["4", "3", "", "", "", "", ""])], action="submit")
    )

    assert saved.status_code == 302 and saved["Location"] == WEEK
    assert [state for _, state, _ in after_save] == [HourState.DRAFT, HourState.DRAFT]
    assert "Saved. Submit the week for approval when it is complete." in page
    assert submitted.status_code == 302
    assert [state for _, state, _ in _states("Ben Ode")] == [HourState.SUBMITTED] * 2


def test_wrong_cells_are_named_next_to_them_and_nothing_is_saved(alpha: Tenant) -> None:
    client = alpha.client(_volunteer(alpha))

    page = client.post(
        WEEK,
        _week_post(
            [
                ("program:PRG", ["14", "x", "", "", "", "", ""]),
                ("management_general", ["", "", "", "", "", "", "1"]),
            ],
            action="submit",
        ),
    )
    html = page.content.decode()

    assert page.status_code == 400
    assert "Nothing was saved." in html
    assert 'id="row-0-1-error">“x” is not a number of hours: type one like 7.5.</p>' in html
    assert 'id="row-1-6-error">A day still to come' not in html  # March 8, 2026 has passed
    assert (
        'name="row-0-1" id="row-0-1" value="x" data-row="0" data-day="1" aria-invalid="true"'
        in html
    )
    assert _states("Ben Ode") == []

    over = client.post(
        WEEK,
        _week_post(
            [("program:PRG", ["14", "", "", "", "", "", ""]), ("management_general", ["11"])]
        ),
    )

    assert over.status_code == 400
    assert "Monday, Mar 2 would have 25.00 hours in all; a day has 24." in over.content.decode()
    assert _states("Ben Ode") == []


def test_a_row_is_added_once_per_program_or_function(alpha: Tenant) -> None:
    client = alpha.client(_volunteer(alpha))

    page = client.post(
        WEEK,
        _week_post([("program:PRG", ["1", "", "", "", "", "", ""]), ("program:PRG", ["", "2"])]),
    )
    unknown = client.post(WEEK, _week_post([("program:NOPE", ["1"])]))
    unlined = client.post(WEEK, _week_post([("", ["", "", "2"])]))

    assert page.status_code == 400
    assert "The week already has a row for Program services" in page.content.decode()
    assert "Pick a program or function from the list." in unknown.content.decode()
    assert (
        'id="row-0-line-error">Pick the program or function these hours are for.</p>'
        in unlined.content.decode()
    )
    assert _states("Ben Ode") == []


def test_rejected_hours_show_their_reason_and_are_resubmitted(alpha: Tenant) -> None:
    user = _volunteer(alpha)
    with schema_context("alpha"):
        ben = Person.objects.get(user=user)
        entry = HourEntryFactory.create(person=ben, date=MONDAY, hours="9")
        hour_entry_reject(entry=entry, reason="Nine hours?", acting_user=alpha.owner)
    client = alpha.client(user)

    page = client.get(WEEK).content.decode()
    resubmitted = client.post(
        WEEK, _week_post([("program:PRG", ["4", "", "", "", "", "", ""])], action="submit")
    )

    assert "Rejected hours to correct." in page
    assert "9 hours, rejected: “Nine hours?”" in page
    assert resubmitted.status_code == 302
    assert _states("Ben Ode") == [
        (MONDAY, HourState.REJECTED, "9.00"),
        (MONDAY, HourState.SUBMITTED, "4.00"),
    ]


def test_a_login_without_a_person_is_told_so(alpha: Tenant) -> None:
    page = alpha.client(alpha.user(Role.FUNDRAISER)).get("/hours/timesheet/")

    assert page.status_code == 200
    assert "Your login is not linked to a person" in page.content.decode()


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/hours/timesheet/", [Role.VIEWER]),
        ("/hours/volunteering/", [Role.VIEWER]),
        ("/hours/approvals/", [Role.VIEWER, Role.VOLUNTEER, Role.FUNDRAISER, Role.BOOKKEEPER]),
    ],
)
def test_pages_are_refused_to_roles_without_their_capability(
    alpha: Tenant, path: str, refused: list[str]
) -> None:
    for role in Role.values:
        client = alpha.client(alpha.owner if role == Role.OWNER else alpha.user(role))
        expected = 403 if role in refused else 200
        assert client.get(path).status_code == expected, (role, path)
    assert alpha.client().get(path).status_code == 302


def test_the_timesheet_runs_a_fixed_number_of_queries(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    user = _volunteer(alpha)
    client = alpha.client(user)
    client.get(WEEK)
    with schema_context("alpha"):
        ben = Person.objects.get(user=user)
        HourEntryFactory.create(person=ben, date=MONDAY, hours="1")
    with count_queries() as few:
        assert client.get(WEEK).status_code == 200
    with schema_context("alpha"):
        for offset in range(7):
            HourEntryFactory.create(
                person=ben,
                date=MONDAY + timedelta(days=offset),
                hours="1",
                function=MG,
                program=None,
            )
            HourEntryFactory.create(
                person=ben,
                date=MONDAY + timedelta(days=offset),
                hours="1",
                function="fundraising",
                program=None,
            )
    with count_queries() as many:
        html = client.get(WEEK).content.decode()

    assert len(many.captured_queries) == len(few.captured_queries)
    assert "Fundraising" in html and "data-week-total>15</td>" in html


# --- A volunteer's year ------------------------------------------------------------------------


def test_a_volunteer_sees_their_year_and_its_value(alpha: Tenant) -> None:
    user = _volunteer(alpha)
    this_year = timezone.localdate().year
    with schema_context("alpha"):
        ben = Person.objects.get(user=user)
        HourEntryFactory.create(person=ben, date=date(this_year, 1, 1), hours="10", approve=True)
        HourEntryFactory.create(person=ben, date=date(this_year, 1, 1), hours="2")
        HourEntryFactory.create(
            person=ben, date=date(this_year - 1, 12, 1), hours="7", approve=True
        )

    html = alpha.client(user).get("/hours/volunteering/").content.decode()

    assert "worth $347.90" in html  # 10 x 34.79
    assert "worth $69.58 once approved" in html
    assert "$34.79 an hour" in html
    assert "Program services" in html


def test_staff_without_a_volunteer_record_are_sent_to_their_timesheet(alpha: Tenant) -> None:
    user = alpha.user(Role.FUNDRAISER)
    with schema_context("alpha"):
        StaffRecordFactory.create(person=PersonFactory.create(full_name="Sam", user=user))

    html = alpha.client(user).get("/hours/volunteering/").content.decode()

    assert "You have no volunteer record" in html


# --- Approvals ---------------------------------------------------------------------------------


@pytest.fixture
def queue(alpha: Tenant) -> dict[str, Any]:
    """Ben's week (two entries), Ann's week (one), and the coordinator's own entry."""
    coordinator = alpha.user(Role.VOLUNTEER_COORDINATOR, email="cora@alpha.org")
    with schema_context("alpha"):
        ben = VolunteerFactory.create(full_name="Ben Ode").person
        ann = VolunteerFactory.create(full_name="Ann Lee").person
        cora = VolunteerFactory.create(
            full_name="Cora", person=PersonFactory.create(full_name="Cora", user=coordinator)
        ).person
        entries = {
            "ben": [
                HourEntryFactory.create(person=ben, date=MONDAY, hours="2"),
                HourEntryFactory.create(person=ben, date=MONDAY + timedelta(days=1), hours="3"),
            ],
            "ann": [
                HourEntryFactory.create(
                    person=ann,
                    date=MONDAY + timedelta(days=9),
                    hours="4",
                    function=MG,
                    program=None,
                )
            ],
            "cora": [HourEntryFactory.create(person=cora, date=MONDAY, hours="1")],
        }
    return {"coordinator": coordinator, "client": alpha.client(coordinator), "entries": entries}


def test_the_queue_groups_entries_by_person_and_week(alpha: Tenant, queue: dict[str, Any]) -> None:
    html = queue["client"].get("/hours/approvals/").content.decode()

    assert html.index("Ann Lee, week of Mar 9, 2026") < html.index("Ben Ode, week of Mar 2, 2026")
    assert 'Ben Ode, week of Mar 2, 2026 <span class="muted">· 5 hours</span>' in html
    assert "Yours: someone else decides" in html
    cora = queue["entries"]["cora"][0]
    assert f'value="{cora.pk}"' not in html
    assert "4 entries" in html


def test_the_queue_filters_in_the_url_and_exports_what_it_shows(
    alpha: Tenant, queue: dict[str, Any]
) -> None:
    client = queue["client"]

    by_person = client.get("/hours/approvals/?person=ben").content.decode()
    by_program = client.get("/hours/approvals/?program=PRG").content.decode()
    by_week = client.get("/hours/approvals/?week=2026-03-11").content.decode()
    bad = client.get("/hours/approvals/?week=soon&program=NOPE")
    csv = b"".join(client.get("/hours/approvals/?person=ben&format=csv").streaming_content)

    assert "Ben Ode" in by_person and "Ann Lee" not in by_person
    assert "Ann Lee" not in by_program and "Cora" in by_program
    assert "Ann Lee" in by_week and "Ben Ode" not in by_week
    assert bad.status_code == 200
    assert "A date, like 2026-11-30." in bad.content.decode()
    lines = csv.decode().splitlines()
    assert lines[0] == "Entry,Person,Week of,Date,Program or function,Hours,Kind"
    assert [line.split(",")[1:6] for line in lines[1:]] == [
        ["Ben Ode", "2026-03-02", "2026-03-02", "Program services", "2.00"],
        ["Ben Ode", "2026-03-02", "2026-03-03", "Program services", "3.00"],
    ]


def test_the_queue_sorts_by_week_or_person_in_the_url(alpha: Tenant, queue: dict[str, Any]) -> None:
    client = queue["client"]

    by_week = client.get("/hours/approvals/?sort=week").content.decode()
    by_week_last_first = client.get("/hours/approvals/?sort=-week").content.decode()
    unknown = client.get("/hours/approvals/?sort=hours--")

    assert by_week.index("Ben Ode, week of Mar 2") < by_week.index("Cora, week of Mar 2")
    assert by_week.index("Cora, week of Mar 2") < by_week.index("Ann Lee, week of Mar 9")
    assert by_week_last_first.index("Ann Lee, week of Mar 9") < by_week_last_first.index(
        "Ben Ode, week of Mar 2"
    )
    assert unknown.status_code == 200  # an unknown sort falls back to the person


def test_ticked_hours_are_approved_in_bulk(alpha: Tenant, queue: dict[str, Any]) -> None:
    ids = [entry.pk for entry in queue["entries"]["ben"]]

    response = queue["client"].post(
        "/hours/approvals/decide/",
        {"entry": ids, "action": "approve", "next": "/hours/approvals/?person=ben"},
    )
    page = queue["client"].get(response["Location"]).content.decode()

    assert response.status_code == 302 and response["Location"] == "/hours/approvals/?person=ben"
    assert "Approved 2 entries." in page
    assert [state for _, state, _ in _states("Ben Ode")] == [HourState.APPROVED] * 2


def test_a_rejection_needs_its_reason(alpha: Tenant, queue: dict[str, Any]) -> None:
    ids = [entry.pk for entry in queue["entries"]["ben"]]
    client = queue["client"]

    without = client.post(
        "/hours/approvals/decide/", {"entry": ids, "action": "reject"}, follow=True
    )
    after_without = _states("Ben Ode")
    with_reason = client.post(
        "/hours/approvals/decide/",
        {"entry": ids, "action": "reject", "reason": "Wrong week"},
        follow=True,
    )

    assert "Say why the hours are rejected" in without.content.decode()
    assert [state for _, state, _ in after_without] == [HourState.SUBMITTED] * 2
    assert "Rejected 2 entries." in with_reason.content.decode()
    with schema_context("alpha"):
        assert set(
            HourEntry.objects.filter(pk__in=ids).values_list("state", "rejection_reason")
        ) == {(HourState.REJECTED, "Wrong week")}


def test_no_one_approves_their_own_hours(alpha: Tenant, queue: dict[str, Any]) -> None:
    own = queue["entries"]["cora"][0]
    ben = queue["entries"]["ben"][0]

    page = queue["client"].post(
        "/hours/approvals/decide/", {"entry": [ben.pk, own.pk], "action": "approve"}, follow=True
    )

    assert (
        f"Hour entry {own.pk} is your own; someone else approves it. Nothing was changed."
        in page.content.decode()
    )
    assert [state for _, state, _ in _states("Ben Ode")] == [HourState.SUBMITTED] * 2
    assert _states("Cora") == [(MONDAY, HourState.SUBMITTED, "1.00")]


def test_own_hours_are_refused_over_the_api_too(alpha: Tenant, queue: dict[str, Any]) -> None:
    own = queue["entries"]["cora"][0]
    api = alpha.api(queue["coordinator"])

    approve = api.post(f"/api/v1/personnel/hours/{own.pk}/approve/")
    reject = api.post(f"/api/v1/personnel/hours/{own.pk}/reject/", {"reason": "Mine"})

    assert api_error(approve, 403)["message"] == (
        f"Hour entry {own.pk} is your own; someone else approves it."
    )
    assert "your own" in api_error(reject, 403)["message"]
    assert _states("Cora") == [(MONDAY, HourState.SUBMITTED, "1.00")]


def test_nothing_ticked_is_said(alpha: Tenant, queue: dict[str, Any]) -> None:
    page = queue["client"].post("/hours/approvals/decide/", {"action": "approve"}, follow=True)

    assert "Tick the hours to approve or reject first." in page.content.decode()


def test_the_queue_runs_a_fixed_number_of_queries(
    alpha: Tenant, queue: dict[str, Any], count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = queue["client"]
    client.get("/hours/approvals/")
    with count_queries() as few:
        assert client.get("/hours/approvals/").status_code == 200
    with schema_context("alpha"):
        for number in range(6):
            person = VolunteerFactory.create(full_name=f"Extra {number}").person
            HourEntryFactory.create(person=person, date=MONDAY, hours="1")
            HourEntryFactory.create(person=person, date=MONDAY + timedelta(days=7), hours="1")
    with count_queries() as many:
        html = client.get("/hours/approvals/").content.decode()

    assert len(many.captured_queries) == len(few.captured_queries)
    assert "16 entries" in html


def test_approvers_see_how_many_hours_await_them_on_the_dashboard(
    alpha: Tenant, queue: dict[str, Any]
) -> None:
    coordinator = queue["client"].get("/").content.decode()
    volunteer = alpha.client(alpha.user(Role.VOLUNTEER)).get("/").content.decode()

    # Cora's own entry is someone else's to decide: three of the four are hers.
    assert '<a href="/hours/approvals/">3 entries awaiting approval</a>' in coordinator
    assert "awaiting approval" not in volunteer
    assert 'href="/hours/timesheet/">your timesheet</a>' in volunteer
