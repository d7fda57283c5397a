"""Hour entries: logged by a person (or for them by someone who manages personnel), checked
against their staff or volunteer dates and the day's 24 hours, and changed while they wait
for approval."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import date_check, number_parse, text_check
from shared_apps.users.roles import Capability
from tenant_apps.accounting.models import Function, Program
from tenant_apps.core.services import (
    actor_of,
    audit_event,
    audit_events_record,
    audit_record,
    changes_save,
)
from tenant_apps.personnel.models import (
    MAX_HOURS_A_DAY,
    UNDECIDED,
    HourEntry,
    HourState,
    Person,
    StaffRecord,
    Volunteer,
    WorkerKind,
)
from tenant_apps.personnel.services.checks import NotAllowed, choice_check, program_check

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Hour entries ------------------------------------------------------------------------------


def may_log_for(person: Person, acting_user: User | None) -> None:
    """Anyone who manages personnel logs hours for anyone; others only for themselves."""
    if acting_user is None or not acting_user.is_authenticated:
        return  # the system (an import, a task)
    if acting_user.has_capability(Capability.PERSONNEL_WRITE):
        return
    if person.user_id != acting_user.pk:
        raise NotAllowed("You may log and change only your own hours.")


def _covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day <= end)


# A person's staff and volunteer records, when read for many entries at once.
Records = tuple[StaffRecord | None, Volunteer | None]


def _kind_on(person: Person, day: date, records: Records | None = None) -> str:
    """Staff when a staff record covers the day (work for one's employer is not volunteering),
    else volunteer when the volunteer record does; refused when neither does."""
    staff = StaffRecord.objects.filter(person=person).first() if records is None else records[0]
    if staff is not None and _covers(staff.start_date, staff.end_date, day):
        return WorkerKind.STAFF
    volunteer = Volunteer.objects.filter(person=person).first() if records is None else records[1]
    if volunteer is not None and _covers(volunteer.start_date, volunteer.end_date, day):
        return WorkerKind.VOLUNTEER
    spans = [
        f"{label} from {record.start_date} to {record.end_date or 'now'}"
        for label, record in (("staff", staff), ("volunteer", volunteer))
        if record is not None
    ]
    raise ServiceError(
        f"date: {person} was not on staff or volunteering on {day}"
        + (f" ({'; '.join(spans)})." if spans else ": they have no staff or volunteer record."),
        fields={"date": ["Outside this person's staff or volunteer dates."]},
    )


def entry_values_check(
    *,
    person: Person,
    day: Any,
    hours: Any,
    function: Any,
    program: Any,
    activity: Any,
    specialized_skills: bool,
    today: date,
    records: Records | None = None,
    programs: Mapping[str, Program] | None = None,
) -> dict[str, Any]:
    """The entry's values checked; `records` and `programs` are the person's records and the
    programs by code when the caller has read them for many entries."""
    date_check(day)
    if day > today:
        raise ServiceError(
            f"date: {day} is in the future; log hours once they are worked.",
            fields={"date": ["In the future."]},
        )
    hours = number_parse(hours, field="hours")
    if not 0 < hours <= MAX_HOURS_A_DAY:
        raise ServiceError(
            "hours: more than 0 and at most 24.", fields={"hours": ["More than 0, at most 24."]}
        )
    function = choice_check(function, field="function", choices=Function.values)
    if function == Function.PROGRAM and not program:
        raise ServiceError(
            "program: hours on program services name their program.",
            fields={"program": ["Required for program hours."]},
        )
    if function != Function.PROGRAM and program:
        raise ServiceError(
            f"program: only program hours name a program, not {function} hours.",
            fields={"program": ["Only for program hours."]},
        )
    kind = _kind_on(person, day, records)
    if specialized_skills and kind != WorkerKind.VOLUNTEER:
        raise ServiceError(
            "specialized_skills: only volunteers' hours are contributed services.",
            fields={"specialized_skills": ["Only for volunteer hours."]},
        )
    return {
        "date": day,
        "hours": hours,
        "function": function,
        "program": program_check(program, known=programs) if isinstance(program, str) else program,
        "activity": text_check(activity, field="activity", max_length=500),
        "specialized_skills": bool(specialized_skills),
        "kind": kind,
    }


def _day_total_check(person: Person, day: date, hours: Decimal, *, leaving_out: int | None) -> None:
    """Called with the person's row locked: two submissions for one person run one after the
    other, so they cannot both pass on the same day's total."""
    logged = HourEntry.objects.filter(person=person, date=day).exclude(state=HourState.REJECTED)
    if leaving_out is not None:
        logged = logged.exclude(pk=leaving_out)
    already = logged.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    if already + hours > MAX_HOURS_A_DAY:
        raise ServiceError(
            f"hours: {person} already has {already} hours on {day}; {hours} more would make "
            f"{already + hours}, and a day has 24.",
            fields={"hours": [f"Over 24 hours on {day} ({already} already logged)."]},
        )


def hour_entry_submit(
    *,
    person: Person,
    date: date,
    hours: Decimal | str,
    function: str,
    acting_user: User | None,
    program: str | Program | None = None,
    activity: str = "",
    specialized_skills: bool = False,
    today: date | None = None,
) -> HourEntry:
    """Log hours worked by `person` on `date` (their own, unless the acting user manages
    personnel). The entry waits for approval."""
    may_log_for(person, acting_user)
    values = entry_values_check(
        person=person,
        day=date,
        hours=hours,
        function=function,
        program=program,
        activity=activity,
        specialized_skills=specialized_skills,
        today=today or timezone.localdate(),
    )
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=person.pk)
        _day_total_check(person, values["date"], values["hours"], leaving_out=None)
        entry = HourEntry.objects.create(
            person=person, submitted_by=actor_of(acting_user), **values
        )
        audit_record(
            "hour_entry.submit",
            acting_user=acting_user,
            obj=entry,
            person=person.pk,
            date=str(entry.date),
            hours=str(entry.hours),
        )
    return entry


@dataclass(frozen=True)
class HourSpec:
    """One entry of a batch (hour_entries_submit): what hour_entry_submit takes, but the user
    and today."""

    person: Person
    date: date
    hours: Decimal | str
    function: str
    program: str | Program | None = None
    activity: str = ""
    specialized_skills: bool = False


def hour_entries_submit(
    *, entries: Sequence[HourSpec], acting_user: User | None, today: date | None = None
) -> list[HourEntry]:
    """Log many entries at once (a sign-in sheet, a term of Saturdays), all or none, each
    checked as hour_entry_submit checks one and written with the same rows (the entry, its
    audit row): the people's records and the programs read once, the people locked and the
    days' totals read in one query each, the entries and audit rows written in one statement
    each. A refusal names the entry by its place in the list."""
    if not entries:
        raise ServiceError("entries: name at least one entry.", fields={"entries": ["Empty."]})
    today = today or timezone.localdate()
    person_ids = sorted({spec.person.pk for spec in entries})
    staff = {row.person_id: row for row in StaffRecord.objects.filter(person_id__in=person_ids)}
    volunteers = {row.person_id: row for row in Volunteer.objects.filter(person_id__in=person_ids)}
    codes = {spec.program for spec in entries if isinstance(spec.program, str) and spec.program}
    programs = {program.code: program for program in Program.objects.filter(code__in=codes)}

    def refused(index: int, error: ServiceError) -> ServiceError:
        return type(error)(f"Entry {index + 1}: {error.message}", fields=error.fields)

    checked = []
    for index, spec in enumerate(entries):
        try:
            may_log_for(spec.person, acting_user)
            checked.append(
                entry_values_check(
                    person=spec.person,
                    day=spec.date,
                    hours=spec.hours,
                    function=spec.function,
                    program=spec.program,
                    activity=spec.activity,
                    specialized_skills=spec.specialized_skills,
                    today=today,
                    records=(staff.get(spec.person.pk), volunteers.get(spec.person.pk)),
                    programs=programs,
                )
            )
        except ServiceError as error:
            raise refused(index, error) from error
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk__in=person_ids).order_by("pk"))
        totals: dict[tuple[int, date], Decimal] = {
            (row["person_id"], row["date"]): row["total"]
            for row in HourEntry.objects.filter(
                person_id__in=person_ids, date__in={values["date"] for values in checked}
            )
            .exclude(state=HourState.REJECTED)
            .values("person_id", "date")
            .annotate(total=Sum("hours"))
        }
        for index, (spec, values) in enumerate(zip(entries, checked, strict=True)):
            key = (spec.person.pk, values["date"])
            already = totals.get(key, Decimal("0"))
            if already + values["hours"] > MAX_HOURS_A_DAY:
                raise refused(
                    index,
                    ServiceError(
                        f"hours: {spec.person} already has {already} hours on {key[1]}; "
                        f"{values['hours']} more would make {already + values['hours']}, "
                        "and a day has 24.",
                        fields={
                            "hours": [f"Over 24 hours on {key[1]} ({already} already logged)."]
                        },
                    ),
                )
            totals[key] = already + values["hours"]
        created = HourEntry.objects.bulk_create(
            HourEntry(person=spec.person, submitted_by=actor_of(acting_user), **values)
            for spec, values in zip(entries, checked, strict=True)
        )
        audit_events_record(
            [
                audit_event(
                    "hour_entry.submit",
                    acting_user=acting_user,
                    obj=entry,
                    person=entry.person_id,
                    date=str(entry.date),
                    hours=str(entry.hours),
                )
                for entry in created
            ]
        )
    return created


HOUR_FIELDS = ("date", "hours", "function", "program", "activity", "specialized_skills")


def hour_entry_update(
    *, entry: HourEntry, acting_user: User | None, today: date | None = None, **changes: Any
) -> HourEntry:
    """Change a draft or submitted entry. Approved and rejected ones are decided: a correction
    is a new entry."""
    unknown = [name for name in changes if name not in HOUR_FIELDS]
    if unknown:
        raise ServiceError(
            f"{unknown[0]}: not a field of an hour entry.", fields={unknown[0]: ["Unknown."]}
        )
    may_log_for(entry.person, acting_user)
    if "function" in changes and changes["function"] != Function.PROGRAM:
        changes.setdefault("program", None)
    current = {name: getattr(entry, name) for name in HOUR_FIELDS}
    merged = current | changes
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=entry.person_id)
        entry = HourEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state not in UNDECIDED:
            raise StateConflict(
                f"Hour entry {entry.pk} is {entry.state}; submit a new entry to correct it."
            )
        values = entry_values_check(
            person=entry.person,
            day=merged["date"],
            hours=merged["hours"],
            function=merged["function"],
            program=merged["program"],
            activity=merged["activity"],
            specialized_skills=merged["specialized_skills"],
            today=today or timezone.localdate(),
        )
        _day_total_check(entry.person, values["date"], values["hours"], leaving_out=entry.pk)
        changed = {name: value for name, value in values.items() if getattr(entry, name) != value}
        # This row's audit keeps a related row's key as text too ("7", not 7).
        return changes_save(
            entry,
            changed,
            action="hour_entry.update",
            acting_user=acting_user,
            **{name: str(getattr(value, "pk", value)) for name, value in changed.items()},
        )
