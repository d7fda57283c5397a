"""The weekly timesheet: a person's hours of one week (Monday to Sunday) by program or function,
saved as drafts or submitted for approval in one go. Every cell is checked before anything is
written: when one cell is wrong, nothing of the week is saved, and each wrong cell is named."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import number_parse
from tenant_apps.accounting.models import Program
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.personnel.models import (
    MAX_HOURS_A_DAY,
    UNDECIDED,
    HourEntry,
    HourState,
    Person,
)
from tenant_apps.personnel.services.hours import entry_values_check, may_log_for

if TYPE_CHECKING:
    from shared_apps.users.models import User

ZERO = Decimal("0.00")
DAYS_IN_A_WEEK = 7

type CellKey = tuple[str, int | None, date]


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class CellInput:
    """One cell of the grid as the page sends it: `name` is its field on the page (where a
    refusal is shown), `hours` the text typed in it (empty: no hours)."""

    name: str
    function: str
    program: Program | None
    day: date
    hours: str

    @property
    def key(self) -> CellKey:
        return (self.function, self.program.pk if self.program else None, self.day)


@dataclass
class WeekWritten:
    """What a save or a submission did, by entry id."""

    created: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.created or self.changed or self.removed or self.submitted)


@dataclass
class _Plan:
    """The writes a week needs, decided before any is made."""

    create: list[tuple[CellInput, dict[str, object]]] = field(default_factory=list)
    update: list[tuple[HourEntry, dict[str, object]]] = field(default_factory=list)
    remove: list[HourEntry] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def refuse(self, cell: CellInput, message: str) -> None:
        self.errors.setdefault(cell.name, []).append(message)


def _key_of(entry: HourEntry) -> CellKey:
    return (entry.function, entry.program_id, entry.date)


def _hours_typed(cell: CellInput, plan: _Plan) -> Decimal | None:
    """The hours of a cell, or None (with the refusal noted) when the text is not hours."""
    text = cell.hours.strip()
    if not text:
        return ZERO
    try:
        hours = number_parse(text, field=cell.name)
    except ServiceError:
        plan.refuse(cell, f"“{text}” is not a number of hours: type one like 7.5.")
        return None
    if hours < 0:
        plan.refuse(cell, "Hours cannot be negative.")
        return None
    if hours > MAX_HOURS_A_DAY:
        plan.refuse(cell, "A day has 24 hours: type at most 24.")
        return None
    return hours


def _cell_plan(
    cell: CellInput,
    hours: Decimal,
    entries: list[HourEntry],
    *,
    person: Person,
    today: date,
    plan: _Plan,
) -> None:
    """What to write for one cell whose hours differ from what it holds: the first entry still
    undecided takes the new hours, the others go; a cell with none gets a new entry."""
    live = [entry for entry in entries if entry.state in UNDECIDED]
    if any(entry.state == HourState.APPROVED for entry in entries):
        plan.refuse(cell, "Approved hours are locked: ask an approver to correct them.")
        return
    if hours == ZERO:
        plan.remove.extend(live)
        return
    if cell.day > today:
        plan.refuse(cell, "A day still to come: log hours once they are worked.")
        return
    first = live[0] if live else None
    try:
        values = entry_values_check(
            person=person,
            day=cell.day,
            hours=hours,
            function=cell.function,
            program=cell.program,
            activity=first.activity if first else "",
            specialized_skills=first.specialized_skills if first else False,
            today=today,
        )
    except ServiceError as error:
        messages = [message for found in error.fields.values() for message in found]
        plan.refuse(cell, " ".join(messages) or error.message)
        return
    if first is None:
        plan.create.append((cell, values))
    else:
        plan.update.append((first, values))
        plan.remove.extend(live[1:])


def _day_totals_check(
    cells: Sequence[CellInput],
    typed: dict[str, Decimal],
    entries: list[HourEntry],
    changed: set[str],
    plan: _Plan,
) -> None:
    """No day over 24 hours once the week is written: the cells as typed, with the entries of
    the week that no cell shows."""
    shown = {cell.key for cell in cells}
    totals: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        if entry.state != HourState.REJECTED and _key_of(entry) not in shown:
            totals[entry.date] += entry.hours
    for cell in cells:
        totals[cell.day] += typed.get(cell.name, ZERO)
    for cell in cells:
        total = totals[cell.day]
        if total > MAX_HOURS_A_DAY and cell.name in changed and typed.get(cell.name):
            day = date_format(cell.day, "l, M j")
            plan.refuse(cell, f"{day} would have {total} hours in all; a day has 24.")


def _plan_of(
    *, person: Person, start: date, cells: Sequence[CellInput], today: date
) -> tuple[_Plan, list[HourEntry]]:
    plan = _Plan()
    end = start + timedelta(days=DAYS_IN_A_WEEK - 1)
    entries = list(
        HourEntry.objects.filter(person=person, date__gte=start, date__lte=end).order_by("pk")
    )
    by_cell: dict[CellKey, list[HourEntry]] = defaultdict(list)
    for entry in entries:
        by_cell[_key_of(entry)].append(entry)
    names = [cell.name for cell in cells]
    if len(set(names)) != len(names) or len({cell.key for cell in cells}) != len(cells):
        raise ServiceError("cells: a cell of the week is named twice; nothing was saved.")
    typed: dict[str, Decimal] = {}
    changed: set[str] = set()
    for cell in cells:
        if not start <= cell.day <= end:
            plan.refuse(cell, f"Not a day of the week of {start}.")
            continue
        hours = _hours_typed(cell, plan)
        if hours is None:
            continue
        typed[cell.name] = hours
        held = sum(
            (entry.hours for entry in by_cell[cell.key] if entry.state != HourState.REJECTED),
            ZERO,
        )
        if hours != held:
            changed.add(cell.name)
            _cell_plan(cell, hours, by_cell[cell.key], person=person, today=today, plan=plan)
    _day_totals_check(cells, typed, entries, changed, plan)
    return plan, entries


def _week_write(
    *,
    person: Person,
    week: date,
    cells: Sequence[CellInput],
    acting_user: User | None,
    today: date | None,
    state: HourState,
) -> WeekWritten:
    may_log_for(person, acting_user)
    start = week_start(week)
    today = today or timezone.localdate()
    written = WeekWritten()
    with transaction.atomic():
        # The person's row is the lock every hour entry service takes: two saves of one week
        # run one after the other, so the day totals they check cannot both pass.
        Person.objects.select_for_update().get(pk=person.pk)
        plan, entries = _plan_of(person=person, start=start, cells=cells, today=today)
        if plan.errors:
            count = len(plan.errors)
            raise ServiceError(
                f"{count} cell{'s' if count != 1 else ''} of the week need"
                f"{'s' if count == 1 else ''} correcting; nothing was saved.",
                fields=plan.errors,
            )
        submitter = actor_of(acting_user)
        for entry in plan.remove:
            written.removed.append(entry.pk)
            entry.delete()
        for entry, values in plan.update:
            for name, value in values.items():
                setattr(entry, name, value)
            entry.state = state
            entry.submitted_by = submitter
            entry.save()
            written.changed.append(entry.pk)
        for _cell, values in plan.create:
            entry = HourEntry.objects.create(
                person=person, state=state, submitted_by=submitter, **values
            )
            written.created.append(entry.pk)
        if state == HourState.SUBMITTED:
            written_now = set(written.removed) | set(written.changed)
            drafts = [
                entry.pk
                for entry in entries
                if entry.state == HourState.DRAFT and entry.pk not in written_now
            ]
            HourEntry.objects.filter(pk__in=drafts).update(
                state=HourState.SUBMITTED, submitted_by=submitter, updated_at=timezone.now()
            )
            written.submitted = sorted(drafts + written.changed + written.created)
        if written.anything:
            audit_record(
                "timesheet.submit" if state == HourState.SUBMITTED else "timesheet.save",
                acting_user=acting_user,
                obj=person,
                week=str(start),
                created=written.created,
                changed=written.changed,
                removed=written.removed,
                submitted=written.submitted,
            )
    return written


def timesheet_save(
    *,
    person: Person,
    week: date,
    cells: Sequence[CellInput],
    acting_user: User | None,
    today: date | None = None,
) -> WeekWritten:
    """Keep the week as typed without sending it for approval: new and changed cells are
    drafts (a changed entry that awaited approval waits for the week's next submission)."""
    return _week_write(
        person=person,
        week=week,
        cells=cells,
        acting_user=acting_user,
        today=today,
        state=HourState.DRAFT,
    )


def timesheet_submit(
    *,
    person: Person,
    week: date,
    cells: Sequence[CellInput],
    acting_user: User | None,
    today: date | None = None,
) -> WeekWritten:
    """Write the week as typed and submit it: its drafts and changed cells await approval."""
    return _week_write(
        person=person,
        week=week,
        cells=cells,
        acting_user=acting_user,
        today=today,
        state=HourState.SUBMITTED,
    )
