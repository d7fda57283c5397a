"""Follow-up tasks on donors: one given to a member of staff with a due day, changed, marked
done, and opened again."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import date_check, text_check
from shared_apps.users.roles import Capability
from shared_apps.users.selectors import users_with_capability
from tenant_apps.core.services import actor_of, audit_record, audit_value, changes_save
from tenant_apps.donors.models import Donor, DonorTask
from tenant_apps.donors.services.checks import NOTE_MAX_LENGTH, not_merged_check

if TYPE_CHECKING:
    from shared_apps.users.models import User

TITLE_MAX_LENGTH = 200
# A task is given to someone who can open the donor it is about.
ASSIGNEE_CAPABILITY = Capability.DONORS_READ

# --- Checks ------------------------------------------------------------------------------------


def due_on_check(value: date | str | None) -> date:
    """The due day: a date, or its text as YYYY-MM-DD (what a date field and the API send)."""
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ServiceError(
                f"due_on: {text or 'an empty value'} is not a date; write it as YYYY-MM-DD.",
                fields={"due_on": ["Not a date: YYYY-MM-DD."]},
            )
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ServiceError(
                f"due_on: {text} is not a day of the calendar.",
                fields={"due_on": ["No such day."]},
            ) from None
    return date_check(value, field="due_on")


def assignee_check(assignee: User | None) -> User:
    """The assignee as this organization's own user: active and able to open donors. A user of
    another organization (ids repeat across schemas) is not found here by id and email."""
    if assignee is None:
        raise ServiceError(
            "A task is given to someone.", fields={"assignee": ["Choose who does it."]}
        )
    found = (
        users_with_capability(ASSIGNEE_CAPABILITY)
        .filter(pk=assignee.pk, email=assignee.email)
        .first()
    )
    if found is None:
        raise ServiceError(
            f"{assignee.email} is not an active member of staff who can open donors here.",
            fields={"assignee": ["Not one of the organization's active staff."]},
        )
    return found


def _donor_locked(donor: Donor) -> Donor:
    """The donor row, locked: a merge locks it too, so a task never lands on a merged donor."""
    locked = Donor.objects.select_for_update().get(pk=donor.pk)
    not_merged_check(locked)
    return locked


# --- Writes ------------------------------------------------------------------------------------


def task_create(
    *,
    donor: Donor,
    title: str,
    due_on: date | str,
    assignee: User | None,
    acting_user: User | None,
    notes: str = "",
) -> DonorTask:
    """A follow-up on `donor` for `assignee`, due on `due_on`."""
    title = text_check(title, field="title", max_length=TITLE_MAX_LENGTH, required=True)
    notes = text_check(notes, field="notes", max_length=NOTE_MAX_LENGTH)
    due = due_on_check(due_on)
    assignee = assignee_check(assignee)
    not_merged_check(donor)
    with transaction.atomic(durable=True):
        donor = _donor_locked(donor)
        task = DonorTask.objects.create(
            donor=donor,
            title=title,
            notes=notes,
            due_on=due,
            assignee=assignee,
            created_by=actor_of(acting_user),
        )
        audit_record(
            "donor.task_create",
            acting_user=acting_user,
            obj=task,
            donor=donor.pk,
            title=title,
            due_on=due.isoformat(),
            assignee=assignee.pk,
        )
    return task


def task_update(
    *,
    task: DonorTask,
    acting_user: User | None,
    title: str | None = None,
    notes: str | None = None,
    due_on: date | str | None = None,
    assignee: User | None = None,
) -> DonorTask:
    """Change a task's title, notes, due day or assignee (None leaves one as it is); the audit
    row holds what changed."""
    wanted: dict[str, Any] = {}
    if title is not None:
        wanted["title"] = text_check(
            title, field="title", max_length=TITLE_MAX_LENGTH, required=True
        )
    if notes is not None:
        wanted["notes"] = text_check(notes, field="notes", max_length=NOTE_MAX_LENGTH)
    if due_on is not None:
        wanted["due_on"] = due_on_check(due_on)
    if assignee is not None:
        wanted["assignee"] = assignee_check(assignee)
    current = {
        "title": task.title,
        "notes": task.notes,
        "due_on": task.due_on,
        "assignee": task.assignee_id,
    }
    changes = {
        name: value
        for name, value in wanted.items()
        if audit_value(value) != audit_value(current[name])
    }
    with transaction.atomic(durable=True):
        changes_save(
            task,
            changes,
            action="donor.task_update",
            acting_user=acting_user,
            donor=task.donor_id,
            **{name: audit_value(value) for name, value in changes.items()},
        )
    return task


def task_complete(*, task: DonorTask, acting_user: User | None) -> DonorTask:
    """Mark a task done, now, by the acting user."""
    with transaction.atomic(durable=True):
        locked = DonorTask.objects.select_for_update().get(pk=task.pk)
        if locked.completed_at is not None:
            raise StateConflict(f"“{locked.title}” is done already.")
        locked.completed_at = timezone.now()
        locked.completed_by = actor_of(acting_user)
        locked.save(update_fields=["completed_at", "completed_by", "updated_at"])
        audit_record(
            "donor.task_complete", acting_user=acting_user, obj=locked, donor=locked.donor_id
        )
    task.completed_at, task.completed_by = locked.completed_at, locked.completed_by
    return task


def task_reopen(*, task: DonorTask, acting_user: User | None) -> DonorTask:
    """Open a done task again (it was marked done by mistake, or there is more to do)."""
    with transaction.atomic(durable=True):
        locked = DonorTask.objects.select_for_update().get(pk=task.pk)
        if locked.completed_at is None:
            raise StateConflict(f"“{locked.title}” is still open.")
        audit_record(
            "donor.task_reopen",
            acting_user=acting_user,
            obj=locked,
            donor=locked.donor_id,
            completed_at=locked.completed_at.isoformat(),
        )
        locked.completed_at = None
        locked.completed_by = None
        locked.save(update_fields=["completed_at", "completed_by", "updated_at"])
    task.completed_at, task.completed_by = None, None
    return task
