"""Personnel services: the rules of hour entries, staff records and volunteers, approvals, the
in-kind and payroll postings, and the database's own guards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource, Function, JournalEntry
from tenant_apps.core.models import AuditEvent
from tenant_apps.personnel import selectors
from tenant_apps.personnel.allocation import allocation_compute, days_in_range, largest_remainder
from tenant_apps.personnel.models import (
    HourEntry,
    HourState,
    PayrollAllocation,
    StaffRecord,
    WorkerKind,
)
from tenant_apps.personnel.services.approvals import (
    hour_entries_approve,
    hour_entries_reject,
    hour_entry_approve,
    hour_entry_reject,
)
from tenant_apps.personnel.services.checks import NotAllowed
from tenant_apps.personnel.services.hours import hour_entry_submit, hour_entry_update
from tenant_apps.personnel.services.payroll import payroll_allocation_post
from tenant_apps.personnel.services.settings import settings_update
from tenant_apps.personnel.services.staff import staff_record_update
from tenant_apps.personnel.services.volunteers import volunteer_update
from tenant_apps.personnel.tests.factories import (
    HourEntryFactory,
    PersonFactory,
    StaffRecordFactory,
    VolunteerFactory,
)
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PROGRAM, MG, FR = Function.PROGRAM, Function.MANAGEMENT_GENERAL, Function.FUNDRAISING
DAY = date(2026, 3, 10)


def _refused(error: type[ServiceError] = ServiceError, **submit: Any) -> ServiceError:
    """Submitting is refused and nothing is saved."""
    before = HourEntry.objects.count()
    with pytest.raises(error) as caught:
        hour_entry_submit(acting_user=None, **submit)
    assert HourEntry.objects.count() == before
    return caught.value


# --- Hour entries --------------------------------------------------------------------------


def test_hours_are_logged_as_staff_or_volunteer_by_the_records_dates(in_alpha: Tenant) -> None:
    person = VolunteerFactory.create(full_name="Ann Park", start_date=date(2026, 1, 1)).person
    StaffRecordFactory.create(
        full_name="Ann Park", person=person, start_date=date(2026, 3, 1), end_date=date(2026, 3, 31)
    )

    as_volunteer = HourEntryFactory.create(person=person, date=date(2026, 2, 10), hours="2.00")
    as_staff = HourEntryFactory.create(person=person, date=DAY, hours="2.00")

    assert (as_volunteer.kind, as_staff.kind) == (WorkerKind.VOLUNTEER, WorkerKind.STAFF)
    assert as_staff.state == HourState.SUBMITTED
    assert AuditEvent.objects.filter(action="hour_entry.submit").count() == 2


def test_a_day_holds_at_most_24_hours_across_entries(in_alpha: Tenant) -> None:
    person = VolunteerFactory.create(full_name="Ann Park").person
    HourEntryFactory.create(person=person, date=DAY, hours="10.00")
    HourEntryFactory.create(person=person, date=DAY, hours="13.75")

    error = _refused(person=person, date=DAY, hours="0.50", function=MG)

    assert "23.75 hours on 2026-03-10" in error.message
    assert "24.25" in error.message
    assert error.fields["hours"]
    # Up to 24 exactly is fine.
    assert HourEntryFactory.create(person=person, date=DAY, hours="0.25").hours == Decimal("0.25")


def test_rejected_hours_do_not_count_toward_the_day(in_alpha: Tenant) -> None:
    person = VolunteerFactory.create(full_name="Ann Park").person
    entry = HourEntryFactory.create(person=person, date=DAY, hours="20.00")
    hour_entry_reject(entry=entry, reason="Typo", acting_user=None)

    assert HourEntryFactory.create(person=person, date=DAY, hours="20.00").hours == Decimal("20.00")


@pytest.mark.parametrize(
    ("submit", "field", "words"),
    [
        ({"date": date(2999, 1, 1)}, "date", "in the future"),
        ({"date": date(2024, 12, 31)}, "date", "not on staff or volunteering"),
        ({"hours": "0"}, "hours", "more than 0"),
        ({"hours": "24.01"}, "hours", "at most 24"),
        ({"hours": "1.005"}, "hours", "2 decimal places"),
        ({"hours": "many"}, "hours", "not a number"),
        ({"function": "marketing"}, "function", "one of"),
        ({"function": PROGRAM, "program": None}, "program", "name their program"),
        ({"function": MG, "program": "PRG"}, "program", "only program hours"),
        ({"function": PROGRAM, "program": "NOPE"}, "program", "no program"),
    ],
)
def test_invalid_hours_are_refused_with_a_clear_error(
    in_alpha: Tenant, submit: dict[str, Any], field: str, words: str
) -> None:
    person = VolunteerFactory.create(full_name="Ann Park", start_date=date(2025, 1, 1)).person
    values: dict[str, Any] = {"person": person, "date": DAY, "hours": "2.00", "function": MG}
    values |= submit

    error = _refused(**values)

    assert words in error.message, error.message
    assert field in error.fields


def test_hours_after_the_end_date_or_without_any_record_are_refused(in_alpha: Tenant) -> None:
    staff = StaffRecordFactory.create(
        full_name="Sam Chen", start_date=date(2026, 1, 1), end_date=date(2026, 2, 28)
    )
    nobody = PersonFactory.create(full_name="Nobody")

    late = _refused(person=staff.person, date=DAY, hours="1", function=MG)
    none = _refused(person=nobody, date=DAY, hours="1", function=MG)

    assert "staff from 2026-01-01 to 2026-02-28" in late.message
    assert "no staff or volunteer record" in none.message


def test_only_volunteer_hours_are_specialized_skills(in_alpha: Tenant) -> None:
    staff = StaffRecordFactory.create(full_name="Sam Chen")

    error = _refused(person=staff.person, date=DAY, hours="1", function=MG, specialized_skills=True)

    assert "specialized_skills" in error.fields


def test_someone_without_personnel_rights_logs_only_their_own_hours(in_alpha: Tenant) -> None:
    login = in_alpha.user(Role.VOLUNTEER, email="ann@example.org")
    own = VolunteerFactory.create(
        full_name="Ann Park", person=PersonFactory.create(full_name="Ann Park", user=login)
    ).person
    other = VolunteerFactory.create(full_name="Ben Ode").person

    mine = hour_entry_submit(person=own, date=DAY, hours="2", function=MG, acting_user=login)
    with pytest.raises(NotAllowed):
        hour_entry_submit(person=other, date=DAY, hours="2", function=MG, acting_user=login)

    assert mine.submitted_by == login
    assert not HourEntry.objects.filter(person=other).exists()


def test_the_database_refuses_a_25_hour_day_and_programless_program_hours(in_alpha: Tenant) -> None:
    person = VolunteerFactory.create(full_name="Ann Park").person
    entry = HourEntryFactory.create(person=person, date=DAY, hours="20.00")

    with pytest.raises(IntegrityError, match="a day has 24"), transaction.atomic():
        HourEntry.objects.create(
            person=person, kind=WorkerKind.VOLUNTEER, date=DAY, hours="5.00", function=MG
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        HourEntry.objects.filter(pk=entry.pk).update(program_id=None, function=PROGRAM)

    assert HourEntry.objects.filter(person=person).count() == 1


# --- Approvals ----------------------------------------------------------------------------


def test_approving_and_rejecting(in_alpha: Tenant, coordinator_user: User) -> None:
    person = VolunteerFactory.create(full_name="Ann Park").person
    approved = hour_entry_approve(
        entry=HourEntryFactory.create(person=person, date=DAY, hours="2"),
        acting_user=coordinator_user,
    )
    rejected = hour_entry_reject(
        entry=HourEntryFactory.create(person=person, date=DAY, hours="3"),
        reason="Wrong day",
        acting_user=coordinator_user,
    )

    assert (approved.state, approved.decided_by, approved.in_kind_entry) == (
        HourState.APPROVED,
        coordinator_user,
        None,
    )
    assert (rejected.state, rejected.rejection_reason) == (HourState.REJECTED, "Wrong day")
    with pytest.raises(StateConflict, match="already approved"):
        hour_entry_approve(entry=approved, acting_user=coordinator_user)
    with pytest.raises(ServiceError, match="say why"):
        hour_entry_reject(
            entry=HourEntryFactory.create(person=person, date=DAY, hours="1"),
            reason=" ",
            acting_user=None,
        )


def test_an_approver_cannot_approve_their_own_hours(
    in_alpha: Tenant, coordinator_user: User
) -> None:
    person = VolunteerFactory.create(
        full_name="Cora", person=PersonFactory.create(full_name="Cora", user=coordinator_user)
    ).person
    entry = HourEntryFactory.create(person=person, date=DAY, hours="2")

    with pytest.raises(NotAllowed, match="your own"):
        hour_entry_approve(entry=entry, acting_user=coordinator_user)

    entry.refresh_from_db()
    assert entry.state == HourState.SUBMITTED


def test_approved_hours_are_not_edited(in_alpha: Tenant) -> None:
    person = VolunteerFactory.create(full_name="Ann Park").person
    submitted = HourEntryFactory.create(person=person, date=DAY, hours="2")
    changed = hour_entry_update(entry=submitted, hours="3.50", acting_user=None)
    approved = HourEntryFactory.create(person=person, date=DAY, hours="1", approve=True)

    with pytest.raises(StateConflict, match="submit a new entry"):
        hour_entry_update(entry=approved, hours="2", acting_user=None)

    assert changed.hours == Decimal("3.50")
    approved.refresh_from_db()
    assert approved.hours == Decimal("1.00")


def test_a_bulk_approval_is_all_or_nothing_and_names_the_entry(in_alpha: Tenant) -> None:
    person = VolunteerFactory.create(full_name="Ann Park").person
    first = HourEntryFactory.create(person=person, date=DAY, hours="1")
    decided = HourEntryFactory.create(person=person, date=DAY, hours="1", approve=True)
    last = HourEntryFactory.create(person=person, date=DAY, hours="1")

    with pytest.raises(StateConflict) as caught:
        hour_entries_approve(entries=[first, decided, last], acting_user=None)

    assert f"Hour entry {decided.pk} is already approved" in caught.value.message
    assert caught.value.message.endswith("Nothing was changed.")
    assert list(caught.value.fields["entries"]) == [decided.pk]
    assert HourEntry.objects.filter(state=HourState.SUBMITTED).count() == 2
    done = hour_entries_reject(entries=[first, last], reason="Dup", acting_user=None)
    assert {entry.state for entry in done} == {HourState.REJECTED}


def test_specialized_hours_post_as_in_kind_when_approved(in_alpha: Tenant) -> None:
    lawyer = VolunteerFactory.create(full_name="Lee Law", specialized_rate="120.00").person
    helper = VolunteerFactory.create(full_name="Hal").person
    entry = HourEntryFactory.create(
        person=lawyer, date=DAY, hours="2.50", program="PRG", specialized_skills=True, approve=True
    )
    at_tenant_rate = HourEntryFactory.create(
        person=helper, date=DAY, hours="1.00", function=MG, specialized_skills=True, approve=True
    )

    assert entry.in_kind_entry is not None
    lines = {
        (line.account.code, line.function, str(line.debit), str(line.credit))
        for line in entry.in_kind_entry.lines.select_related("account")
    }
    assert entry.in_kind_entry.source == EntrySource.IN_KIND
    assert entry.in_kind_value == Decimal("300.00")  # 2.5 x 120.00
    assert lines == {("8560", PROGRAM, "300.00", "0.00"), ("4120", None, "0.00", "300.00")}
    assert at_tenant_rate.in_kind_value == Decimal("34.79")  # the organization's rate
    assert (
        HourEntryFactory.create(person=helper, date=DAY, hours="1", approve=True).in_kind_entry
        is None
    )


# --- Staff and volunteers --------------------------------------------------------------------


def test_a_default_split_adds_up_to_100_and_names_its_program(in_alpha: Tenant) -> None:
    with pytest.raises(ServiceError, match="adds up to 90.00%"):
        StaffRecordFactory.create(
            full_name="A", split_program="0", split_management_general="80", split_fundraising="10"
        )
    with pytest.raises(ServiceError, match="needs the program"):
        StaffRecordFactory.create(full_name="B", split_program="50", split_management_general="50")
    with pytest.raises(ServiceError, match="0 to 100"):
        StaffRecordFactory.create(
            full_name="C",
            split_program="-10",
            split_management_general="110",
            default_program="PRG",
        )

    assert not StaffRecord.objects.exists()


def test_the_database_refuses_a_split_that_does_not_add_up(in_alpha: Tenant) -> None:
    record = StaffRecordFactory.create(full_name="Maria")

    with pytest.raises(IntegrityError, match="staffrecord_split_adds_up"), transaction.atomic():
        StaffRecord.objects.filter(pk=record.pk).update(split_fundraising=5)


def test_staff_dates_may_not_leave_logged_hours_outside(in_alpha: Tenant) -> None:
    record = StaffRecordFactory.create(full_name="Sam", start_date=date(2026, 1, 1))
    HourEntryFactory.create(person=record.person, date=DAY, hours="2")

    with pytest.raises(StateConflict, match="staff hours outside"):
        staff_record_update(record=record, end_date=date(2026, 3, 1), acting_user=None)
    changed = staff_record_update(
        record=record, end_date=date(2026, 3, 31), position="Director", acting_user=None
    )

    assert (changed.end_date, changed.position) == (date(2026, 3, 31), "Director")


def test_a_person_has_one_staff_record_and_one_volunteer_record(in_alpha: Tenant) -> None:
    record = StaffRecordFactory.create(full_name="Sam")
    VolunteerFactory.create(full_name="Sam", person=record.person)

    with pytest.raises(StateConflict, match="already has a staff record"):
        StaffRecordFactory.create(full_name="Sam", person=record.person)
    with pytest.raises(StateConflict, match="already a volunteer"):
        VolunteerFactory.create(full_name="Sam", person=record.person)


def test_a_login_links_to_one_person(in_alpha: Tenant) -> None:
    login = in_alpha.user(Role.VOLUNTEER, email="v@example.org")
    PersonFactory.create(full_name="One", user=login)

    with pytest.raises(ServiceError, match="already linked"):
        PersonFactory.create(full_name="Two", user=login)


def test_volunteer_skills_are_tags(in_alpha: Tenant) -> None:
    volunteer = VolunteerFactory.create(
        full_name="Ann", skills=["Cooking ", "driving", "cooking", ""]
    )

    assert volunteer.skills == ["cooking", "driving"]
    with pytest.raises(ServiceError, match="end date is before"):
        volunteer_update(volunteer=volunteer, end_date=date(2024, 1, 1), acting_user=None)


# --- Payroll allocation rules --------------------------------------------------------------


def test_salaried_pay_is_prorated_by_the_days_employed_in_each_year() -> None:
    # 1 July to 31 December 2026: 184 days of 365.
    assert days_in_range(date(2026, 1, 1), date(2026, 12, 31), date(2026, 7, 1), None) == (
        184,
        Fraction(184, 365),
    )
    # A leap year's day is 1/366 of that year's pay: 29 February 2028 to 1 March 2028.
    assert days_in_range(date(2028, 2, 29), date(2028, 3, 1), date(2020, 1, 1), None) == (
        2,
        Fraction(2, 366),
    )
    # Across a year end: 31 December 2027 (1/365) and 1 January 2028 (1/366).
    assert days_in_range(date(2027, 12, 31), date(2028, 1, 1), date(2020, 1, 1), None)[1] == (
        Fraction(1, 365) + Fraction(1, 366)
    )
    assert days_in_range(date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 1), None) == (
        0,
        Fraction(0),
    )


def test_largest_remainder_parts_add_up_to_the_whole() -> None:
    # 100.00 in three equal parts: 33.33 each and one cent left, to the first.
    assert largest_remainder(Decimal("100.00"), [Fraction(1)] * 3) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert sum(largest_remainder(Decimal("0.05"), [Fraction(7), Fraction(3)])) == Decimal("0.05")


def test_a_salaried_member_with_hours_is_split_by_hours_and_prorated(in_alpha: Tenant) -> None:
    # Director (an officer) from 16 March 2026 at 73,000.00 a year: 16 days of 365 = 3,200.00.
    # Approved hours: 10 PRG, 5 fundraising (a submitted one does not count): 2/3 and 1/3,
    # 2,133.333... and 1,066.666...: 2,133.33 and 1,066.67 (the larger remainder takes the cent).
    record = StaffRecordFactory.create(
        full_name="Dee Rector", pay_rate="73000.00", is_officer=True, start_date=date(2026, 3, 16)
    )
    HourEntryFactory.create(
        person=record.person, date=date(2026, 3, 17), hours="10.00", approve=True
    )
    HourEntryFactory.create(
        person=record.person, date=date(2026, 3, 18), hours="5.00", function=FR, approve=True
    )
    HourEntryFactory.create(person=record.person, date=date(2026, 3, 19), hours="8.00", function=MG)
    StaffRecordFactory.create(full_name="Cy Contractor", employment_type="contractor")

    allocation = allocation_compute(start=date(2026, 3, 1), end=date(2026, 3, 31))

    (staff,) = allocation.staff  # the contractor is not on the payroll
    assert (staff.account, staff.days_employed, staff.cost) == ("7010", 16, Decimal("3200.00"))
    assert [(part.function, part.amount) for part in staff.parts] == [
        (PROGRAM, Decimal("2133.33")),
        (FR, Decimal("1066.67")),
    ]


# --- Postings -----------------------------------------------------------------------------


def _march_payroll() -> None:
    StaffRecordFactory.create(
        full_name="Fay", split_program="0", split_management_general="50", split_fundraising="50"
    )


def test_posting_the_allocation_is_off_by_default(in_alpha: Tenant) -> None:
    _march_payroll()

    with pytest.raises(StateConflict, match="is off"):
        payroll_allocation_post(start=date(2026, 3, 1), end=date(2026, 3, 31), acting_user=None)

    assert not JournalEntry.objects.filter(source=EntrySource.PAYROLL).exists()


def test_a_day_of_payroll_is_allocated_once(in_alpha: Tenant) -> None:
    _march_payroll()
    settings_update(payroll_posting_enabled=True, acting_user=None)
    payroll_allocation_post(start=date(2026, 3, 1), end=date(2026, 3, 31), acting_user=None)

    for start, end in (
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 3, 31), date(2026, 4, 5)),
    ):
        with pytest.raises(StateConflict, match="a day's salaries move once"):
            payroll_allocation_post(start=start, end=end, acting_user=None)

    assert JournalEntry.objects.filter(source=EntrySource.PAYROLL).count() == 1


def test_nothing_to_move_is_refused(in_alpha: Tenant) -> None:
    StaffRecordFactory.create(full_name="Mo")  # all management and general
    settings_update(payroll_posting_enabled=True, acting_user=None)

    with pytest.raises(StateConflict, match="Nothing to move"):
        payroll_allocation_post(start=date(2026, 3, 1), end=date(2026, 3, 31), acting_user=None)


# --- Settings and merges ----------------------------------------------------------------------


def test_settings_name_real_expense_accounts(in_alpha: Tenant) -> None:
    assert selectors.personnel_settings().volunteer_hourly_rate == Decimal("34.79")
    with pytest.raises(ServiceError, match="not an expense account"):
        settings_update(salary_account="1010", acting_user=None)
    with pytest.raises(ServiceError, match="summary account"):
        settings_update(salary_account="7000", acting_user=None)
    with pytest.raises(ServiceError, match="more than zero"):
        settings_update(volunteer_hourly_rate="0", acting_user=None)

    changed = settings_update(volunteer_hourly_rate="31.80", acting_user=None)

    assert changed.volunteer_hourly_rate == Decimal("31.80")
    assert AuditEvent.objects.filter(action="personnel_settings.update").count() == 1


def test_a_donor_merge_moves_the_link_to_the_survivor(in_alpha: Tenant) -> None:
    from tenant_apps.donors.services import donor_merge
    from tenant_apps.donors.tests.factories import DonorFactory

    survivor, merged = (
        DonorFactory.create(first_name="Ann", last_name="Park"),
        DonorFactory.create(first_name="Ann", last_name="Parke"),
    )
    person = PersonFactory.create(full_name="Ann Park", donor=merged)

    result = donor_merge(survivor=survivor, merged=merged, acting_user=None)

    person.refresh_from_db()
    assert person.donor == survivor
    assert result.moved["personnel.people"] == {"people": [person.pk]}


def test_a_program_in_use_cannot_be_deleted(in_alpha: Tenant) -> None:
    program = accounting.program_create(code="FOOD", name="Food", acting_user=None)
    HourEntryFactory.create(
        person=VolunteerFactory.create(full_name="Ann").person, date=DAY, hours="1", program="FOOD"
    )

    with pytest.raises(ProtectedError), transaction.atomic():
        program.delete()


def test_the_database_refuses_overlapping_payroll_allocations(in_alpha: Tenant) -> None:
    _march_payroll()
    settings_update(payroll_posting_enabled=True, acting_user=None)
    record = payroll_allocation_post(
        start=date(2026, 3, 1), end=date(2026, 3, 31), acting_user=None
    )
    other = accounting.entry_record(
        date=date(2026, 4, 1),
        memo="x",
        lines=[
            accounting.LineSpec(account="7020", fund="GEN", debit="1.00", function=MG),
            accounting.LineSpec(account="1010", fund="GEN", credit="1.00"),
        ],
        source=EntrySource.MANUAL,
        acting_user=None,
    )

    with pytest.raises(IntegrityError, match="payrollallocation_no_overlap"), transaction.atomic():
        PayrollAllocation.objects.create(
            start=date(2026, 3, 31), end=date(2026, 4, 1), entry=other, total_cost=1,
            amount_moved=1,
        )  # fmt: skip
    assert PayrollAllocation.objects.get() == record
