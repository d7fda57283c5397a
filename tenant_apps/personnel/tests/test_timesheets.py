"""The weekly timesheet's services: a week saved as drafts and submitted, every cell checked
before anything is written, approved cells locked, rejected hours corrected by new entries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from saas_platform.lib.errors import ServiceError
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import Function, Program
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel.models import HourEntry, HourState, Person
from tenant_apps.personnel.selectors_hours import timesheet_week, volunteer_year
from tenant_apps.personnel.services.approvals import (
    hour_entries_approve,
    hour_entry_approve,
    hour_entry_reject,
)
from tenant_apps.personnel.services.checks import NotAllowed
from tenant_apps.personnel.services.timesheets import (
    CellInput,
    timesheet_save,
    timesheet_submit,
    week_start,
)
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    PersonFactory,
    VolunteerFactory,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)
TODAY = date(2026, 3, 6)  # the Friday of that week
MG = Function.MANAGEMENT_GENERAL


def _row(index: int, hours: list[str], *, function: str = Function.PROGRAM) -> list[CellInput]:
    program = Program.objects.get(code="PRG") if function == Function.PROGRAM else None
    return [
        CellInput(
            name=f"row-{index}-{offset}",
            function=function,
            program=program,
            day=MONDAY + timedelta(days=offset),
            hours=typed,
        )
        for offset, typed in enumerate(hours)
    ]


@pytest.fixture
def ben(in_alpha: Tenant) -> Person:
    user = in_alpha.user(Role.VOLUNTEER, email="ben@alpha.org")
    return VolunteerFactory.create(
        full_name="Ben Ode", person=PersonFactory.create(full_name="Ben Ode", user=user)
    ).person


def _states(person: Person) -> list[tuple[date, str, Decimal]]:
    return [
        (entry.date, entry.state, entry.hours)
        for entry in HourEntry.objects.filter(person=person).order_by("date", "pk")
    ]


def test_a_week_is_saved_as_drafts_then_submitted(ben: Person) -> None:
    cells = _row(0, ["4", "3.5", "", "", "", "", ""]) + _row(
        1, ["1", "", "", "", "", "", ""], function=MG
    )

    saved = timesheet_save(person=ben, week=MONDAY, cells=cells, acting_user=ben.user, today=TODAY)
    week = timesheet_week(person=ben, start=MONDAY)
    submitted = timesheet_submit(
        person=ben, week=MONDAY + timedelta(days=3), cells=cells, acting_user=ben.user, today=TODAY
    )

    assert len(saved.created) == 3 and saved.submitted == []
    assert [row.line.label for row in week.rows] == ["Program services", "Management and general"]
    assert week.rows[0].cells[1].hours == Decimal("3.50")
    assert week.rows[0].cells[1].state_label == "Draft"
    assert sorted(submitted.submitted) == sorted(saved.created)
    assert {state for _, state, _ in _states(ben)} == {HourState.SUBMITTED}
    actions = list(
        AuditEvent.objects.filter(action__startswith="timesheet.", object_id=str(ben.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["timesheet.save", "timesheet.submit"]


def test_one_wrong_cell_saves_nothing_and_each_is_named(ben: Person) -> None:
    HourEntryFactory.create(person=ben, date=MONDAY, hours="20", function=MG, program=None)
    cells = _row(0, ["5", "lots", "-1", "25", "", "", "2"])

    with pytest.raises(ServiceError) as refused:
        timesheet_save(person=ben, week=MONDAY, cells=cells, acting_user=ben.user, today=TODAY)

    assert refused.value.message == "5 cells of the week need correcting; nothing was saved."
    assert refused.value.fields == {
        "row-0-0": ["Monday, Mar 2 would have 25.00 hours in all; a day has 24."],
        "row-0-1": ["“lots” is not a number of hours: type one like 7.5."],
        "row-0-2": ["Hours cannot be negative."],
        "row-0-3": ["A day has 24 hours: type at most 24."],
        "row-0-6": ["A day still to come: log hours once they are worked."],
    }
    assert _states(ben) == [(MONDAY, HourState.SUBMITTED, Decimal("20.00"))]


def test_approved_hours_are_locked_and_the_rest_of_the_week_saves(ben: Person) -> None:
    approved = HourEntryFactory.create(person=ben, date=MONDAY, hours="3", approve=True)

    with pytest.raises(ServiceError) as refused:
        timesheet_save(
            person=ben, week=MONDAY, cells=_row(0, ["4", "", "", "", "", "", ""]),
            acting_user=ben.user, today=TODAY,
        )  # fmt: skip
    kept = timesheet_save(
        person=ben, week=MONDAY, cells=_row(0, ["3", "2", "", "", "", "", ""]),
        acting_user=ben.user, today=TODAY,
    )  # fmt: skip

    assert refused.value.fields == {
        "row-0-0": ["Approved hours are locked: ask an approver to correct them."]
    }
    assert len(kept.created) == 1 and kept.changed == [] and kept.removed == []
    assert HourEntry.objects.get(pk=approved.pk).hours == Decimal("3.00")


def test_changed_and_cleared_cells_change_and_remove_their_entries(ben: Person) -> None:
    monday = HourEntryFactory.create(person=ben, date=MONDAY, hours="3")
    tuesday = HourEntryFactory.create(person=ben, date=MONDAY + timedelta(days=1), hours="2")

    saved = timesheet_save(
        person=ben, week=MONDAY, cells=_row(0, ["5", "", "", "", "", "", ""]),
        acting_user=ben.user, today=TODAY,
    )  # fmt: skip

    assert saved.changed == [monday.pk] and saved.removed == [tuesday.pk]
    # A changed entry that awaited approval is a draft until the week is submitted again.
    assert _states(ben) == [(MONDAY, HourState.DRAFT, Decimal("5.00"))]


def test_rejected_hours_are_corrected_by_a_new_entry(ben: Person, in_alpha: Tenant) -> None:
    entry = HourEntryFactory.create(person=ben, date=MONDAY, hours="9")
    hour_entry_reject(entry=entry, reason="Nine hours of tutoring?", acting_user=in_alpha.owner)
    week = timesheet_week(person=ben, start=MONDAY)

    corrected = timesheet_submit(
        person=ben, week=MONDAY, cells=_row(0, ["4", "", "", "", "", "", ""]),
        acting_user=ben.user, today=TODAY,
    )  # fmt: skip

    assert [(row.line.label, cell.rejections) for row, cell in week.rejected] == [
        ("Program services", [(Decimal("9.00"), "Nine hours of tutoring?")])
    ]
    assert _states(ben) == [
        (MONDAY, HourState.REJECTED, Decimal("9.00")),
        (MONDAY, HourState.SUBMITTED, Decimal("4.00")),
    ]
    assert corrected.created != [entry.pk]
    assert timesheet_week(person=ben, start=MONDAY).rejected == []


def test_a_volunteer_writes_only_their_own_week(ben: Person, in_alpha: Tenant) -> None:
    other = VolunteerFactory.create(full_name="Ann").person

    with pytest.raises(NotAllowed):
        timesheet_save(
            person=other, week=MONDAY, cells=_row(0, ["1", "", "", "", "", "", ""]),
            acting_user=ben.user, today=TODAY,
        )  # fmt: skip

    assert not HourEntry.objects.filter(person=other).exists()


def test_drafts_are_not_decided_and_no_one_decides_their_own(ben: Person, in_alpha: Tenant) -> None:
    timesheet_save(
        person=ben, week=MONDAY, cells=_row(0, ["1", "", "", "", "", "", ""]),
        acting_user=ben.user, today=TODAY,
    )  # fmt: skip
    draft = HourEntry.objects.get(person=ben)
    coordinator = in_alpha.user(Role.VOLUNTEER_COORDINATOR)
    mine = VolunteerFactory.create(
        full_name="Cora", person=PersonFactory.create(full_name="Cora", user=coordinator)
    ).person
    own = HourEntryFactory.create(person=mine, date=MONDAY, hours="2")

    with pytest.raises(ServiceError) as not_submitted:
        hour_entry_approve(entry=draft, acting_user=coordinator)
    with pytest.raises(NotAllowed) as approving_own:
        hour_entries_approve(entries=[own], acting_user=coordinator)
    with pytest.raises(NotAllowed) as rejecting_own:
        hour_entry_reject(entry=own, reason="Mine", acting_user=coordinator)

    assert "is a draft" in not_submitted.value.message
    assert approving_own.value.message == (
        f"Hour entry {own.pk} is your own; someone else approves it. Nothing was changed."
    )
    assert "your own" in rejecting_own.value.message
    assert HourEntry.objects.get(pk=own.pk).state == HourState.SUBMITTED


def test_a_volunteers_year_is_valued_at_the_hourly_rate(ben: Person, in_alpha: Tenant) -> None:
    HourEntryFactory.create(person=ben, date=MONDAY, hours="3", approve=True)
    HourEntryFactory.create(person=ben, date=MONDAY, hours="2", function=MG, program=None)
    HourEntryFactory.create(person=ben, date=date(2025, 6, 2), hours="7", approve=True)

    year = volunteer_year(person=ben, year=2026)

    assert [(line.label, line.approved, line.awaiting) for line in year.lines] == [
        ("Program services", Decimal("3.00"), Decimal("0.00")),
        ("Management and general", Decimal("0.00"), Decimal("2.00")),
    ]
    assert year.approved_value == Decimal("104.37")  # 3 x 34.79
    assert year.awaiting_value == Decimal("69.58")


def test_week_start_is_the_monday() -> None:
    assert week_start(date(2026, 3, 8)) == MONDAY
    assert week_start(MONDAY) == MONDAY
