"""Many hour entries logged and approved at once (hour_entries_submit, hour_entries_approve):
the rows and audit rows one by one would give, each entry checked by the same rules, all or
none, in a number of statements that does not grow with the entries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import JournalEntry
from tenant_apps.accounting.tests.factories import months_closed_through
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel.models import HourEntry, HourState, WorkerKind
from tenant_apps.personnel.services.approvals import hour_entries_approve
from tenant_apps.personnel.services.hours import HourSpec, hour_entries_submit, hour_entry_submit
from tenant_apps.personnel.tests.factories import StaffRecordFactory, VolunteerFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def test_entries_logged_together_are_as_logged_one_by_one(in_alpha: Tenant) -> None:
    volunteer = VolunteerFactory.create(full_name="Ann Park", start_date=date(2026, 1, 1)).person
    staff = StaffRecordFactory.create(full_name="Bo Diaz", start_date=date(2026, 1, 1)).person
    accounting.program_create(code="TUT", name="Tutoring", acting_user=None)
    alone = hour_entry_submit(
        person=volunteer,
        date=DAY,
        hours="2.00",
        function="program",
        program="TUT",
        acting_user=in_alpha.owner,
    )

    together = hour_entries_submit(
        entries=[
            HourSpec(person=volunteer, date=DAY, hours="2.00", function="program", program="TUT"),
            HourSpec(person=staff, date=DAY, hours="8.00", function="management_general"),
        ],
        acting_user=in_alpha.owner,
    )

    first, second = together
    fields = ("person_id", "date", "hours", "function", "program_id", "kind", "state")
    assert [getattr(first, name) for name in fields] == [getattr(alone, name) for name in fields]
    assert (second.kind, second.state) == (WorkerKind.STAFF, HourState.SUBMITTED)
    assert first.submitted_by == in_alpha.owner
    for entry in (alone, first, second):
        assert list(
            AuditEvent.objects.filter(object_type="hourentry", object_id=str(entry.pk)).values_list(
                "action", "detail"
            )
        ) == [
            (
                "hour_entry.submit",
                {"person": entry.person_id, "date": str(entry.date), "hours": str(entry.hours)},
            )
        ]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"hours": "20.00"}, "Entry 2: hours: Ann Park already has 6.00 hours on 2026-03-10"),
        ({"date": date(2025, 12, 1)}, "Entry 2: date: Ann Park was not on staff or volunteering"),
        ({"function": "program", "program": "NOPE"}, "Entry 2: There is no program 'NOPE'"),
        ({"hours": "0"}, "Entry 2: hours: more than 0"),
    ],
)
def test_one_entry_refused_logs_none(
    in_alpha: Tenant, second: dict[str, object], message: str
) -> None:
    person = VolunteerFactory.create(full_name="Ann Park", start_date=date(2026, 1, 1)).person
    given: dict[str, object] = {"hours": "1.00", "function": "fundraising", "date": DAY}

    with pytest.raises(ServiceError, match=message):
        hour_entries_submit(
            entries=[
                HourSpec(person=person, date=DAY, hours="6.00", function="fundraising"),
                HourSpec(person=person, **{**given, **second}),  # type: ignore[arg-type]
            ],
            acting_user=None,
            today=date(2026, 6, 1),
        )

    assert not HourEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="hour_entry.submit").exists()


def test_the_statements_do_not_grow_with_the_entries(in_alpha: Tenant) -> None:
    people = [
        VolunteerFactory.create(full_name=f"Volunteer {n}", start_date=date(2026, 1, 1)).person
        for n in range(3)
    ]
    counts = []
    for weeks in (1, 6):
        entries = [
            HourSpec(
                person=person,
                date=DAY + timedelta(days=7 * week),
                hours="3.00",
                function="fundraising",
            )
            for week in range(weeks)
            for person in people
        ]
        with CaptureQueriesContext(connection) as queries:
            hour_entries_submit(entries=entries, acting_user=None, today=date(2026, 6, 1))
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert HourEntry.objects.count() == 21


def test_approving_many_entries_writes_them_together(in_alpha: Tenant) -> None:
    people = [
        VolunteerFactory.create(full_name=f"Volunteer {n}", start_date=date(2026, 1, 1)).person
        for n in range(3)
    ]
    counts = []
    for weeks in (1, 6):
        logged = hour_entries_submit(
            entries=[
                HourSpec(
                    person=person,
                    date=DAY + timedelta(days=7 * week),
                    hours="3.00",
                    function="fundraising",
                )
                for week in range(weeks)
                for person in people
            ],
            acting_user=None,
            today=date(2026, 6, 1),
        )
        with CaptureQueriesContext(connection) as queries:
            hour_entries_approve(entries=logged, acting_user=in_alpha.owner)
        counts.append(len(queries))

    assert counts[0] == counts[1]
    approved = HourEntry.objects.filter(state=HourState.APPROVED, decided_by=in_alpha.owner)
    assert approved.count() == 21 and not approved.filter(decided_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="hour_entry.approve").count() == 21


def test_specialized_hours_approved_together_post_their_in_kind_values(in_alpha: Tenant) -> None:
    accounting.program_create(code="TUT", name="Tutoring", acting_user=None)
    lawyer = VolunteerFactory.create(
        full_name="Lee Law", specialized_rate="120.00", start_date=date(2026, 1, 1)
    ).person
    helper = VolunteerFactory.create(full_name="Hal", start_date=date(2026, 1, 1)).person
    logged = hour_entries_submit(
        entries=[
            HourSpec(
                person=lawyer,
                date=DAY,
                hours="2.50",
                function="program",
                program="TUT",
                specialized_skills=True,
            ),
            HourSpec(person=helper, date=DAY, hours="3.00", function="fundraising"),
            HourSpec(
                person=lawyer,
                date=DAY + timedelta(days=7),
                hours="1.00",
                function="management_general",
                specialized_skills=True,
            ),
        ],
        acting_user=None,
        today=date(2026, 6, 1),
    )

    approved = hour_entries_approve(entries=logged, acting_user=in_alpha.owner)

    first, plain, second = approved
    assert plain.in_kind_entry is None and plain.in_kind_value is None
    assert (first.in_kind_value, second.in_kind_value) == (Decimal("300.00"), Decimal("120.00"))
    for entry in (first, second):
        entry.refresh_from_db()
        assert entry.state == HourState.APPROVED and entry.in_kind_entry is not None
        assert entry.in_kind_entry.source_reference == f"hour-entry:{entry.pk}"
        assert entry.in_kind_entry.state == "posted"
    numbers = [entry.in_kind_entry.number if entry.in_kind_entry else None for entry in approved]
    assert list(
        AuditEvent.objects.filter(action="hour_entry.approve")
        .order_by("id")
        .values_list("object_id", "detail")
    ) == [
        (str(entry.pk), {"in_kind_entry": number})
        for entry, number in zip(approved, numbers, strict=True)
    ]
    assert numbers[1] is None and None not in (numbers[0], numbers[2])


def test_an_in_kind_value_refused_names_its_entry_and_approves_none(in_alpha: Tenant) -> None:
    lawyer = VolunteerFactory.create(
        full_name="Lee Law", specialized_rate="120.00", start_date=date(2025, 1, 1)
    ).person
    logged = hour_entries_submit(
        entries=[
            HourSpec(
                person=lawyer,
                date=DAY,
                hours="1.00",
                function="fundraising",
                specialized_skills=True,
            ),
            HourSpec(
                person=lawyer,
                date=date(2025, 11, 4),
                hours="1.00",
                function="fundraising",
                specialized_skills=True,
            ),
        ],
        acting_user=None,
        today=date(2026, 6, 1),
    )
    months_closed_through(date(2025, 11, 4))

    with pytest.raises(StateConflict) as caught:
        hour_entries_approve(entries=logged, acting_user=in_alpha.owner)

    assert caught.value.message.startswith(f"Hour entry {logged[1].pk}: ")
    assert "is closed" in caught.value.message
    assert caught.value.message.endswith("Nothing was changed.")
    assert list(caught.value.fields["entries"]) == [logged[1].pk]
    assert not HourEntry.objects.filter(state=HourState.APPROVED).exists()
    assert not JournalEntry.objects.exists()
