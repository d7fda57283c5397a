"""Writes of the personnel app: people, staff records, volunteers, hour entries and their
approval, the settings, and the postings (payroll allocation, volunteers' specialized services).

Each top-level service owns its transaction and writes its audit row in it; refusals raise
ServiceError (400), NotAllowed (403) or StateConflict (409) with nothing written. Ledger postings
go through accounting.services.entry_record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import amount_parse, date_check
from shared_apps.users.roles import Capability
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import (
    Account,
    AccountType,
    EntrySource,
    Function,
    Program,
)
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.personnel.allocation import Allocation, allocation_compute
from tenant_apps.personnel.models import (
    MAX_HOURS_A_DAY,
    EmploymentType,
    HourEntry,
    HourState,
    PayrollAllocation,
    PayType,
    Person,
    PersonnelSettings,
    StaffRecord,
    Volunteer,
    VolunteerStatus,
    WorkerKind,
)
from tenant_apps.personnel.selectors import personnel_settings

if TYPE_CHECKING:
    from shared_apps.users.models import User
    from tenant_apps.donors.models import Donor

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
IN_KIND_REVENUE_ACCOUNT = "4120"  # UCOA: donated professional services
GENERAL_FUND = "GEN"


class NotAllowed(ServiceError):
    """The acting user may not do this to this object (their own hours, someone else's)."""

    status = 403
    code = "permission_denied"


# --- Helpers ---------------------------------------------------------------------------------


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if required and not text:
        raise ServiceError(f"{field}: required.", fields={field: ["Required."]})
    if len(text) > max_length:
        raise ServiceError(
            f"{field}: at most {max_length} characters.", fields={field: ["Too long."]}
        )
    return text


def _decimal(value: Any, *, field: str, places: int = 2) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(
            f"{field}: {value!r} is not a number.", fields={field: ["Not a number."]}
        ) from None
    if not number.is_finite():
        raise ServiceError(f"{field}: not a number.", fields={field: ["Not a number."]})
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        raise ServiceError(
            f"{field}: at most {places} decimal places.",
            fields={field: [f"At most {places} decimal places."]},
        )
    return number.quantize(quantum)


def _choice(value: Any, *, field: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ServiceError(
            f"{field}: one of {', '.join(choices)}.", fields={field: [f"Unknown {field}."]}
        )
    return str(value)


def _dates_check(start: Any, end: Any) -> None:
    date_check(start, field="start_date")
    if end is not None:
        date_check(end, field="end_date")
        if end < start:
            raise ServiceError(
                "end_date: the end date is before the start date.",
                fields={"end_date": ["Before the start date."]},
            )


def _program(code: str | None, *, field: str = "program") -> Program | None:
    if not code:
        return None
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise ServiceError(f"There is no program {code!r}.", fields={field: ["Unknown program."]})
    if not program.is_active:
        raise ServiceError(f"Program {code} is inactive.", fields={field: ["Inactive program."]})
    return program


def _changes_save[Model: (Person, StaffRecord, Volunteer)](
    obj: Model, changes: dict[str, Any], *, action: str, acting_user: User | None
) -> Model:
    with transaction.atomic():
        for name, value in changes.items():
            setattr(obj, name, value)
        obj.save()
        audit_detail = {
            name: (value.pk if hasattr(value, "pk") else str(value))
            for name, value in changes.items()
        }
        audit_record(action, acting_user=acting_user, obj=obj, **audit_detail)
    return obj


# --- Settings ----------------------------------------------------------------------------------


def _expense_account_check(code: Any, *, field: str) -> str:
    code = _text(code, field=field, max_length=20, required=True)
    account = Account.objects.filter(code=code).first()
    if account is None or account.type != AccountType.EXPENSE:
        raise ServiceError(
            f"{field}: {code} is not an expense account of the chart.",
            fields={field: ["Not an expense account."]},
        )
    if Account.objects.filter(parent=account).exists():
        raise ServiceError(
            f"{field}: {code} is a summary account; name one of its sub-accounts.",
            fields={field: ["A summary account."]},
        )
    return code


def settings_update(*, acting_user: User | None, **changes: Any) -> PersonnelSettings:
    """Change any of volunteer_hourly_rate, payroll_posting_enabled, salary_account,
    officer_salary_account, in_kind_expense_account."""
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "volunteer_hourly_rate":
            checked[name] = amount_parse(value, field=name)
        elif name == "payroll_posting_enabled":
            checked[name] = bool(value)
        elif name in ("salary_account", "officer_salary_account", "in_kind_expense_account"):
            checked[name] = _expense_account_check(value, field=name)
        else:
            raise ServiceError(f"{name}: not a personnel setting.", fields={name: ["Unknown."]})
    with transaction.atomic():
        settings_row = PersonnelSettings.objects.select_for_update().get(pk=personnel_settings().pk)
        changed = {
            name: [str(getattr(settings_row, name)), str(value)]
            for name, value in checked.items()
            if getattr(settings_row, name) != value
        }
        if not changed:
            return settings_row
        for name, value in checked.items():
            setattr(settings_row, name, value)
        settings_row.save()
        audit_record(
            "personnel_settings.update",
            acting_user=acting_user,
            obj=settings_row,
            **changed,
        )
    return settings_row


# --- People ------------------------------------------------------------------------------------


def _user_link_check(user: User | None, *, person: Person | None = None) -> User | None:
    if user is None:
        return None
    taken = Person.objects.filter(user=user)
    if person is not None:
        taken = taken.exclude(pk=person.pk)
    if taken.exists():
        raise ServiceError(
            f"The login {user.email} is already linked to another person.",
            fields={"user": ["Already linked to another person."]},
        )
    return user


def person_create(
    *,
    full_name: str,
    acting_user: User | None,
    email: str = "",
    phone: str = "",
    user: User | None = None,
    donor: Donor | None = None,
) -> Person:
    full_name = _text(full_name, field="full_name", max_length=200, required=True)
    email = _text(email, field="email", max_length=254).lower()
    phone = _text(phone, field="phone", max_length=40)
    user = _user_link_check(user)
    with transaction.atomic():
        person = Person.objects.create(
            full_name=full_name, email=email, phone=phone, user=user, donor=donor
        )
        audit_record("person.create", acting_user=acting_user, obj=person, name=full_name)
    return person


PERSON_FIELDS = ("full_name", "email", "phone", "user", "donor")


def person_update(*, person: Person, acting_user: User | None, **changes: Any) -> Person:
    """Change any of PERSON_FIELDS (user and donor may be None to unlink)."""
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "full_name":
            checked[name] = _text(value, field=name, max_length=200, required=True)
        elif name == "email":
            checked[name] = _text(value, field=name, max_length=254).lower()
        elif name == "phone":
            checked[name] = _text(value, field=name, max_length=40)
        elif name == "user":
            checked[name] = _user_link_check(value, person=person)
        elif name == "donor":
            checked[name] = value
        else:
            raise ServiceError(f"{name}: not a field of a person.", fields={name: ["Unknown."]})
    checked = {name: value for name, value in checked.items() if getattr(person, name) != value}
    if not checked:
        return person
    return _changes_save(person, checked, action="person.update", acting_user=acting_user)


# --- Staff records -----------------------------------------------------------------------------

STAFF_FIELDS = (
    "position",
    "department",
    "employment_type",
    "pay_type",
    "pay_rate",
    "is_officer",
    "start_date",
    "end_date",
    "split_program",
    "split_management_general",
    "split_fundraising",
    "default_program",
)


def _staff_values_check(values: dict[str, Any]) -> dict[str, Any]:
    """The full set of a staff record's values, checked together (the split adds up to 100,
    its program share names a program, the dates are in order)."""
    checked = dict(values)
    checked["position"] = _text(values["position"], field="position", max_length=200, required=True)
    checked["department"] = _text(values["department"], field="department", max_length=200)
    checked["employment_type"] = _choice(
        values["employment_type"], field="employment_type", choices=EmploymentType.values
    )
    checked["pay_type"] = _choice(values["pay_type"], field="pay_type", choices=PayType.values)
    checked["pay_rate"] = amount_parse(values["pay_rate"], field="pay_rate")
    _dates_check(values["start_date"], values["end_date"])
    for name in ("split_program", "split_management_general", "split_fundraising"):
        checked[name] = _decimal(values[name], field=name)
        if not 0 <= checked[name] <= HUNDRED:
            raise ServiceError(
                f"{name}: a percent from 0 to 100.", fields={name: ["From 0 to 100."]}
            )
    total = (
        checked["split_program"]
        + checked["split_management_general"]
        + checked["split_fundraising"]
    )
    if total != HUNDRED:
        raise ServiceError(
            f"The default split adds up to {total}%, not 100%.",
            fields={"split": [f"Adds up to {total}%, not 100%."]},
        )
    program = values["default_program"]
    if isinstance(program, str) or program is None:
        program = _program(program, field="default_program")
    checked["default_program"] = program
    if checked["split_program"] and program is None:
        raise ServiceError(
            "default_program: a program share needs the program it goes to.",
            fields={"default_program": ["Required when the program share is above 0."]},
        )
    return checked


def staff_record_create(
    *,
    person: Person,
    position: str,
    employment_type: str,
    pay_type: str,
    pay_rate: Decimal | str,
    start_date: date,
    acting_user: User | None,
    department: str = "",
    is_officer: bool = False,
    end_date: date | None = None,
    split_program: Decimal | str = "0",
    split_management_general: Decimal | str = "100",
    split_fundraising: Decimal | str = "0",
    default_program: str | Program | None = None,
) -> StaffRecord:
    values = _staff_values_check(
        {
            "position": position,
            "department": department,
            "employment_type": employment_type,
            "pay_type": pay_type,
            "pay_rate": pay_rate,
            "is_officer": bool(is_officer),
            "start_date": start_date,
            "end_date": end_date,
            "split_program": split_program,
            "split_management_general": split_management_general,
            "split_fundraising": split_fundraising,
            "default_program": default_program,
        }
    )
    return _work_record_create(
        StaffRecord,
        person,
        values,
        refusal=f"{person} already has a staff record; change that one.",
        action="staff_record.create",
        acting_user=acting_user,
        position=values["position"],
    )


def _work_record_create[Record: (StaffRecord, Volunteer)](
    model: type[Record],
    person: Person,
    values: dict[str, Any],
    *,
    refusal: str,
    action: str,
    acting_user: User | None,
    **detail: Any,
) -> Record:
    """A person's one staff or volunteer record, made from checked `values`; a second one is
    refused with `refusal`."""
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=person.pk)
        if model.objects.filter(person=person).exists():
            raise StateConflict(refusal)
        record = model.objects.create(person=person, **values)
        audit_record(action, acting_user=acting_user, obj=record, person=person.pk, **detail)
    return record


def _outside_hours(person: Person, kind: str, start: date, end: date | None) -> int:
    entries = HourEntry.objects.filter(person=person, kind=kind).exclude(state=HourState.REJECTED)
    outside = entries.filter(date__lt=start)
    if end is not None:
        outside = outside | entries.filter(date__gt=end)
    return outside.count()


def _work_record_update[Record: (StaffRecord, Volunteer)](
    record: Record,
    changes: dict[str, Any],
    *,
    fields: tuple[str, ...],
    check: Callable[[dict[str, Any]], dict[str, Any]],
    kind: str,
    noun: str,
    action: str,
    acting_user: User | None,
) -> Record:
    """Change any of `fields` of a staff or volunteer record; `check` checks the record whole
    after the change. Dates may not leave hours of that `kind` already logged outside them."""
    unknown = [name for name in changes if name not in fields]
    if unknown:
        raise ServiceError(
            f"{unknown[0]}: not a field of {noun}.", fields={unknown[0]: ["Unknown."]}
        )
    values = check({name: getattr(record, name) for name in fields} | changes)
    changed = {name: values[name] for name in fields if getattr(record, name) != values[name]}
    if not changed:
        return record
    with transaction.atomic():
        if {"start_date", "end_date"} & set(changed) and _outside_hours(
            record.person, kind, values["start_date"], values["end_date"]
        ):
            raise StateConflict(
                f"{record.person} has {kind} hours outside {values['start_date']} to "
                f"{values['end_date'] or 'now'}; those dates would leave them out."
            )
        return _changes_save(record, changed, action=action, acting_user=acting_user)


def staff_record_update(
    *, record: StaffRecord, acting_user: User | None, **changes: Any
) -> StaffRecord:
    """Change any of STAFF_FIELDS; the record is checked whole after the change. Dates may not
    leave hours already logged outside them."""
    return _work_record_update(
        record,
        changes,
        fields=STAFF_FIELDS,
        check=_staff_values_check,
        kind=WorkerKind.STAFF,
        noun="a staff record",
        action="staff_record.update",
        acting_user=acting_user,
    )


# --- Volunteers --------------------------------------------------------------------------------

VOLUNTEER_FIELDS = (
    "skills",
    "availability",
    "emergency_contact_name",
    "emergency_contact_phone",
    "background_check_on",
    "status",
    "start_date",
    "end_date",
    "specialized_rate",
)


def _volunteer_values_check(values: dict[str, Any]) -> dict[str, Any]:
    checked = dict(values)
    skills = values["skills"] or []
    if not isinstance(skills, list | tuple) or not all(isinstance(s, str) for s in skills):
        raise ServiceError("skills: a list of tags.", fields={"skills": ["A list of tags."]})
    tags = sorted({skill.strip().lower() for skill in skills if skill.strip()})
    if any(len(tag) > 50 for tag in tags) or len(tags) > 50:
        raise ServiceError(
            "skills: at most 50 tags of at most 50 characters.", fields={"skills": ["Too long."]}
        )
    checked["skills"] = tags
    checked["availability"] = _text(values["availability"], field="availability", max_length=500)
    checked["emergency_contact_name"] = _text(
        values["emergency_contact_name"], field="emergency_contact_name", max_length=200
    )
    checked["emergency_contact_phone"] = _text(
        values["emergency_contact_phone"], field="emergency_contact_phone", max_length=40
    )
    if values["background_check_on"] is not None:
        date_check(values["background_check_on"], field="background_check_on")
    checked["status"] = _choice(values["status"], field="status", choices=VolunteerStatus.values)
    _dates_check(values["start_date"], values["end_date"])
    if values["specialized_rate"] is not None:
        checked["specialized_rate"] = amount_parse(
            values["specialized_rate"], field="specialized_rate"
        )
    return checked


def volunteer_create(
    *,
    person: Person,
    start_date: date,
    acting_user: User | None,
    skills: Sequence[str] = (),
    availability: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
    background_check_on: date | None = None,
    status: str = VolunteerStatus.ACTIVE,
    end_date: date | None = None,
    specialized_rate: Decimal | str | None = None,
) -> Volunteer:
    values = _volunteer_values_check(
        {
            "skills": list(skills),
            "availability": availability,
            "emergency_contact_name": emergency_contact_name,
            "emergency_contact_phone": emergency_contact_phone,
            "background_check_on": background_check_on,
            "status": status,
            "start_date": start_date,
            "end_date": end_date,
            "specialized_rate": specialized_rate,
        }
    )
    return _work_record_create(
        Volunteer,
        person,
        values,
        refusal=f"{person} is already a volunteer; change that record.",
        action="volunteer.create",
        acting_user=acting_user,
    )


def volunteer_update(
    *, volunteer: Volunteer, acting_user: User | None, **changes: Any
) -> Volunteer:
    """Change any of VOLUNTEER_FIELDS, as staff_record_update changes a staff record."""
    return _work_record_update(
        volunteer,
        changes,
        fields=VOLUNTEER_FIELDS,
        check=_volunteer_values_check,
        kind=WorkerKind.VOLUNTEER,
        noun="a volunteer",
        action="volunteer.update",
        acting_user=acting_user,
    )


# --- Hour entries ------------------------------------------------------------------------------


def _may_log_for(person: Person, acting_user: User | None) -> None:
    """Anyone who manages personnel logs hours for anyone; others only for themselves."""
    if acting_user is None or not acting_user.is_authenticated:
        return  # the system (an import, a task)
    if acting_user.has_capability(Capability.PERSONNEL_WRITE):
        return
    if person.user_id != acting_user.pk:
        raise NotAllowed("You may log and change only your own hours.")


def _covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day <= end)


def _kind_on(person: Person, day: date) -> str:
    """Staff when a staff record covers the day (work for one's employer is not volunteering),
    else volunteer when the volunteer record does; refused when neither does."""
    staff = StaffRecord.objects.filter(person=person).first()
    if staff is not None and _covers(staff.start_date, staff.end_date, day):
        return WorkerKind.STAFF
    volunteer = Volunteer.objects.filter(person=person).first()
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


def _entry_values_check(
    *,
    person: Person,
    day: Any,
    hours: Any,
    function: Any,
    program: Any,
    activity: Any,
    specialized_skills: bool,
    today: date,
) -> dict[str, Any]:
    date_check(day)
    if day > today:
        raise ServiceError(
            f"date: {day} is in the future; log hours once they are worked.",
            fields={"date": ["In the future."]},
        )
    hours = _decimal(hours, field="hours")
    if not 0 < hours <= MAX_HOURS_A_DAY:
        raise ServiceError(
            "hours: more than 0 and at most 24.", fields={"hours": ["More than 0, at most 24."]}
        )
    function = _choice(function, field="function", choices=Function.values)
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
    kind = _kind_on(person, day)
    if specialized_skills and kind != WorkerKind.VOLUNTEER:
        raise ServiceError(
            "specialized_skills: only volunteers' hours are contributed services.",
            fields={"specialized_skills": ["Only for volunteer hours."]},
        )
    return {
        "date": day,
        "hours": hours,
        "function": function,
        "program": _program(program) if isinstance(program, str) else program,
        "activity": _text(activity, field="activity", max_length=500),
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
    _may_log_for(person, acting_user)
    values = _entry_values_check(
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


HOUR_FIELDS = ("date", "hours", "function", "program", "activity", "specialized_skills")


def hour_entry_update(
    *, entry: HourEntry, acting_user: User | None, today: date | None = None, **changes: Any
) -> HourEntry:
    """Change a submitted entry. Approved and rejected ones are decided: a correction is a new
    entry."""
    unknown = [name for name in changes if name not in HOUR_FIELDS]
    if unknown:
        raise ServiceError(
            f"{unknown[0]}: not a field of an hour entry.", fields={unknown[0]: ["Unknown."]}
        )
    _may_log_for(entry.person, acting_user)
    if "function" in changes and changes["function"] != Function.PROGRAM:
        changes.setdefault("program", None)
    current = {name: getattr(entry, name) for name in HOUR_FIELDS}
    merged = current | changes
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=entry.person_id)
        entry = HourEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != HourState.SUBMITTED:
            raise StateConflict(
                f"Hour entry {entry.pk} is {entry.state}; submit a new entry to correct it."
            )
        values = _entry_values_check(
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
        if not changed:
            return entry
        for name, value in changed.items():
            setattr(entry, name, value)
        entry.save()
        audit_record(
            "hour_entry.update",
            acting_user=acting_user,
            obj=entry,
            **{name: str(getattr(value, "pk", value)) for name, value in changed.items()},
        )
    return entry


def _decision_check(entry: HourEntry, acting_user: User | None) -> None:
    if entry.state != HourState.SUBMITTED:
        raise StateConflict(f"Hour entry {entry.pk} is already {entry.state}.")
    if acting_user is not None and entry.person.user_id == acting_user.pk:
        raise NotAllowed(f"Hour entry {entry.pk} is your own; someone else approves it.")


def _in_kind_post(entry: HourEntry, *, acting_user: User | None) -> None:
    """A volunteer's specialized services are recognized (ASC 958-605-25-16): Dr the in-kind
    expense with the entry's function and program, Cr 4120 donated professional services, in
    the general fund, at the volunteer's specialized rate (or the organization's hourly rate)."""
    settings_row = personnel_settings()
    rate = entry.person.volunteer.specialized_rate or settings_row.volunteer_hourly_rate
    value = (entry.hours * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    posted = accounting.entry_record(
        date=entry.date,
        memo=f"Specialized volunteer services: {entry.person}, {entry.hours} h at {rate}",
        lines=[
            accounting.LineSpec(
                account=settings_row.in_kind_expense_account,
                fund=GENERAL_FUND,
                debit=value,
                function=entry.function,
                program=entry.program.code if entry.program else None,
            ),
            accounting.LineSpec(account=IN_KIND_REVENUE_ACCOUNT, fund=GENERAL_FUND, credit=value),
        ],
        source=EntrySource.IN_KIND,
        source_reference=f"hour-entry:{entry.pk}",
        acting_user=acting_user,
    )
    entry.in_kind_value = value
    entry.in_kind_entry = posted


def _approve(entry: HourEntry, *, acting_user: User | None) -> HourEntry:
    _decision_check(entry, acting_user)
    entry.state = HourState.APPROVED
    entry.decided_by = actor_of(acting_user)
    entry.decided_at = timezone.now()
    if entry.specialized_skills:
        _in_kind_post(entry, acting_user=acting_user)
    entry.save()
    audit_record(
        "hour_entry.approve",
        acting_user=acting_user,
        obj=entry,
        in_kind_entry=entry.in_kind_entry.number if entry.in_kind_entry else None,
    )
    return entry


def _reject(entry: HourEntry, *, reason: str, acting_user: User | None) -> HourEntry:
    _decision_check(entry, acting_user)
    entry.state = HourState.REJECTED
    entry.rejection_reason = reason
    entry.decided_by = actor_of(acting_user)
    entry.decided_at = timezone.now()
    entry.save()
    audit_record("hour_entry.reject", acting_user=acting_user, obj=entry, reason=reason)
    return entry


def _locked(entries: Sequence[HourEntry]) -> list[HourEntry]:
    ids = [entry.pk for entry in entries]
    found = {
        entry.pk: entry
        for entry in HourEntry.objects.select_for_update(of=("self",))
        .select_related("person__volunteer", "program")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    return [found[pk] for pk in ids]


def _reason_check(reason: str) -> str:
    reason = _text(reason, field="reason", max_length=500)
    if not reason:
        raise ServiceError(
            "reason: say why the hours are rejected, so they can be corrected.",
            fields={"reason": ["Required."]},
        )
    return reason


def hour_entry_approve(*, entry: HourEntry, acting_user: User | None) -> HourEntry:
    """Approve submitted hours; specialized volunteer services post as in-kind with it."""
    with transaction.atomic():
        return _approve(_locked([entry])[0], acting_user=acting_user)


def hour_entry_reject(*, entry: HourEntry, reason: str, acting_user: User | None) -> HourEntry:
    reason = _reason_check(reason)
    with transaction.atomic():
        return _reject(_locked([entry])[0], reason=reason, acting_user=acting_user)


def _bulk(entries: Sequence[HourEntry], decide: Any) -> list[HourEntry]:
    """All or nothing: the first refusal names its entry and undoes the others."""
    if not entries:
        raise ServiceError("entries: name at least one entry.", fields={"entries": ["Empty."]})
    if len({entry.pk for entry in entries}) != len(entries):
        raise ServiceError(
            "entries: an entry is named twice.", fields={"entries": ["Named twice."]}
        )
    with transaction.atomic():
        decided = []
        for entry in _locked(entries):
            try:
                decided.append(decide(entry))
            except ServiceError as error:
                message = error.message
                if not message.startswith(f"Hour entry {entry.pk}"):
                    message = f"Hour entry {entry.pk}: {message}"
                raise type(error)(
                    f"{message} Nothing was changed.", fields={"entries": {entry.pk: [message]}}
                ) from error
    return decided


def hour_entries_approve(
    *, entries: Sequence[HourEntry], acting_user: User | None
) -> list[HourEntry]:
    return _bulk(entries, lambda entry: _approve(entry, acting_user=acting_user))


def hour_entries_reject(
    *, entries: Sequence[HourEntry], reason: str, acting_user: User | None
) -> list[HourEntry]:
    reason = _reason_check(reason)
    return _bulk(entries, lambda entry: _reject(entry, reason=reason, acting_user=acting_user))


# --- Payroll allocation posting ----------------------------------------------------------------


def payroll_allocation_lines(allocation: Allocation) -> list[accounting.LineSpec]:
    """What the allocation moves, as lines: per salary account, Dr each function and program
    other than management and general with its share, Cr management and general with their sum.
    Payroll is recorded in management and general (the payroll provider's entry); this entry
    moves it to where the hours show the work was done."""
    moved: dict[tuple[str, str, str | None], Decimal] = defaultdict(Decimal)
    for staff in allocation.staff:
        for part in staff.parts:
            if part.function != Function.MANAGEMENT_GENERAL and part.amount:
                moved[(staff.account, part.function, part.program_code)] += part.amount
    lines = [
        accounting.LineSpec(
            account=account,
            fund=GENERAL_FUND,
            debit=amount,
            function=function,
            program=program,
            memo="Payroll allocation",
        )
        for (account, function, program), amount in sorted(
            moved.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")
        )
    ]
    by_account: dict[str, Decimal] = defaultdict(Decimal)
    for (account, _, _), amount in moved.items():
        by_account[account] += amount
    lines += [
        accounting.LineSpec(
            account=account,
            fund=GENERAL_FUND,
            credit=amount,
            function=Function.MANAGEMENT_GENERAL,
            memo="Payroll allocation",
        )
        for account, amount in sorted(by_account.items())
    ]
    return lines


def payroll_allocation_post(
    *, start: date, end: date, acting_user: User | None
) -> PayrollAllocation:
    """Post the payroll allocation of a date range as one entry dated its last day. Refused when
    posting is off in the settings, when nothing moves, and when any day of the range has been
    allocated already."""
    with transaction.atomic():
        settings_row = PersonnelSettings.objects.select_for_update().get(pk=personnel_settings().pk)
        if not settings_row.payroll_posting_enabled:
            raise StateConflict(
                "Posting the payroll allocation is off; an administrator turns it on in the "
                "personnel settings."
            )
        overlapping = PayrollAllocation.objects.filter(start__lte=end, end__gte=start).first()
        if overlapping is not None:
            raise StateConflict(
                f"The payroll from {overlapping.start} to {overlapping.end} was allocated in "
                f"entry {overlapping.entry.number}; a day's salaries move once."
            )
        allocation = allocation_compute(start=start, end=end)
        lines = payroll_allocation_lines(allocation)
        if not lines:
            raise StateConflict(
                f"Nothing to move from {start} to {end}: every salary stays in management "
                "and general."
            )
        entry = accounting.entry_record(
            date=end,
            memo=f"Payroll allocation {start} to {end}",
            lines=lines,
            source=EntrySource.PAYROLL,
            source_reference=f"{start}..{end}",
            acting_user=acting_user,
        )
        record = PayrollAllocation.objects.create(
            start=start,
            end=end,
            entry=entry,
            total_cost=allocation.total_cost,
            amount_moved=sum((line.debit for line in lines if line.debit), Decimal("0")),
            created_by=actor_of(acting_user),
        )
        audit_record(
            "payroll_allocation.post",
            acting_user=acting_user,
            obj=record,
            start=str(start),
            end=str(end),
            entry=entry.number,
        )
    return record


# --- Donor merges ------------------------------------------------------------------------------


def merge_personnel(survivor: Donor, merged: Donor) -> dict[str, Any]:
    """People linked to the merged donor now point at the survivor."""
    people = list(Person.objects.filter(donor=merged).values_list("pk", flat=True))
    Person.objects.filter(pk__in=people).update(donor=survivor, updated_at=timezone.now())
    return {"people": people}
