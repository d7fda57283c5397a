"""Follow-up tasks on donors: the services (checks, audit rows, done and open again), the merge
that moves them, and the reads behind a donor's panel and "My tasks"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donors import selectors
from tenant_apps.donors.models import DonorMergeRecord, DonorTask
from tenant_apps.donors.services import (
    donor_merge,
    task_complete,
    task_create,
    task_reopen,
    task_update,
)
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


def _task(
    assignee: User, *, days: int = 3, title: str = "Call to thank", **fields: Any
) -> DonorTask:
    return task_create(
        donor=fields.pop("donor", None) or DonorFactory.create(),
        title=title,
        due_on=_today() + timedelta(days=days),
        assignee=assignee,
        acting_user=fields.pop("acting_user", assignee),
        **fields,
    )


# --- Adding a task ------------------------------------------------------------------------------


def test_a_task_is_added_for_a_member_of_staff_with_its_audit_row(in_alpha: Tenant) -> None:
    ada = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    fundraiser = in_alpha.user(Role.FUNDRAISER)
    bookkeeper = in_alpha.user(Role.BOOKKEEPER)

    task = task_create(
        donor=ada,
        title="  Thank her for the engine fund  ",
        due_on="2026-12-01",
        assignee=bookkeeper,
        acting_user=fundraiser,
        notes="She prefers mornings.",
    )

    task.refresh_from_db()
    assert (task.donor, task.title, task.due_on) == (
        ada,
        "Thank her for the engine fund",
        date(2026, 12, 1),
    )
    assert (task.assignee, task.created_by, task.completed_at) == (bookkeeper, fundraiser, None)
    assert task.notes == "She prefers mornings."
    event = AuditEvent.objects.get(action="donor.task_create")
    assert (event.actor, event.object_type, event.object_id) == (
        fundraiser,
        "donortask",
        str(task.pk),
    )
    assert event.detail == {
        "donor": ada.pk,
        "title": "Thank her for the engine fund",
        "due_on": "2026-12-01",
        "assignee": bookkeeper.pk,
    }


@pytest.mark.parametrize(
    ("title", "field"),
    [("", "title"), ("   ", "title"), ("x" * 201, "title")],
)
def test_a_task_needs_a_title_of_at_most_200_characters(
    in_alpha: Tenant, title: str, field: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        _task(in_alpha.owner, title=title)
    assert field in refused.value.fields
    assert not DonorTask.objects.exists()
    assert not AuditEvent.objects.filter(action="donor.task_create").exists()


@pytest.mark.parametrize(
    ("due_on", "said"),
    [
        ("next week", "not a date; write it as YYYY-MM-DD"),
        ("20261201", "not a date; write it as YYYY-MM-DD"),
        ("2026-02-30", "not a day of the calendar"),
        ("", "not a date"),
        (None, "a date is required"),
        (date(3026, 1, 1), "outside the years 1900 to 2999"),
    ],
)
def test_a_due_day_is_a_date_written_yyyy_mm_dd(in_alpha: Tenant, due_on: Any, said: str) -> None:
    with pytest.raises(ServiceError, match=said) as refused:
        task_create(
            donor=DonorFactory.create(),
            title="Call",
            due_on=due_on,
            assignee=in_alpha.owner,
            acting_user=None,
        )
    assert list(refused.value.fields) == ["due_on"]
    assert not DonorTask.objects.exists()


def test_the_assignee_is_an_active_member_of_staff_who_can_open_donors(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    gone = in_alpha.user(Role.FUNDRAISER, is_active=False)
    volunteer = in_alpha.user(Role.VOLUNTEER)

    for assignee in (gone, volunteer, None):
        with pytest.raises(ServiceError) as refused:
            task_create(
                donor=donor, title="Call", due_on=_today(), assignee=assignee, acting_user=None
            )
        assert list(refused.value.fields) == ["assignee"]
    assert not DonorTask.objects.exists()


def test_a_user_of_another_organization_is_not_an_assignee_here(
    alpha: Tenant, beta: Tenant
) -> None:
    # Ids repeat across schemas: beta's owner has the id of alpha's owner.
    assert beta.owner.pk == alpha.owner.pk
    with schema_context(alpha.organization.schema_name):
        donor = DonorFactory.create()
        with pytest.raises(ServiceError, match="not an active member of staff"):
            task_create(
                donor=donor, title="Call", due_on=_today(), assignee=beta.owner, acting_user=None
            )
        assert not DonorTask.objects.exists()


def test_a_merged_donor_takes_no_task(in_alpha: Tenant) -> None:
    john = DonorFactory.create(first_name="John", last_name="Smith")
    jon = DonorFactory.create(first_name="Jon", last_name="Smith")
    donor_merge(survivor=john, merged=jon, acting_user=None)

    with pytest.raises(StateConflict, match="merged into"):
        _task(in_alpha.owner, donor=jon)
    assert not DonorTask.objects.exists()


def test_a_task_service_owns_its_transaction(in_alpha: Tenant) -> None:
    # Durable: called inside another transaction, it refuses rather than commit with it.
    donor = DonorFactory.create()
    with pytest.raises(RuntimeError), transaction.atomic():
        task_create(
            donor=donor, title="Call", due_on=_today(), assignee=in_alpha.owner, acting_user=None
        )


# --- Changing, doing and reopening --------------------------------------------------------------


def test_a_change_is_saved_and_audited_and_no_change_writes_nothing(in_alpha: Tenant) -> None:
    task = _task(in_alpha.owner)
    fundraiser = in_alpha.user(Role.FUNDRAISER)

    task_update(
        task=task,
        title="Call to thank",
        due_on="2027-01-15",
        assignee=fundraiser,
        acting_user=in_alpha.owner,
    )

    task.refresh_from_db()
    assert (task.due_on, task.assignee) == (date(2027, 1, 15), fundraiser)
    event = AuditEvent.objects.get(action="donor.task_update")
    assert event.detail == {
        "donor": task.donor_id,
        "due_on": "2027-01-15",
        "assignee": fundraiser.pk,
    }

    task_update(task=task, title="Call to thank", due_on=date(2027, 1, 15), acting_user=None)
    assert AuditEvent.objects.filter(action="donor.task_update").count() == 1
    with pytest.raises(ServiceError):
        task_update(task=task, title=" ", acting_user=None)


def test_done_then_open_again_each_with_an_audit_row(in_alpha: Tenant) -> None:
    fundraiser = in_alpha.user(Role.FUNDRAISER)
    task = _task(in_alpha.owner)

    task_complete(task=task, acting_user=fundraiser)

    task.refresh_from_db()
    assert task.completed_at is not None
    assert task.completed_by == fundraiser
    assert AuditEvent.objects.get(action="donor.task_complete").actor == fundraiser
    with pytest.raises(StateConflict, match="done already"):
        task_complete(task=task, acting_user=fundraiser)

    task_reopen(task=task, acting_user=in_alpha.owner)

    reloaded = DonorTask.objects.get(pk=task.pk)
    assert (reloaded.completed_at, reloaded.completed_by) == (None, None)
    reopened = AuditEvent.objects.get(action="donor.task_reopen")
    assert reopened.detail["donor"] == task.donor_id
    with pytest.raises(StateConflict, match="still open"):
        task_reopen(task=task, acting_user=in_alpha.owner)


# --- A merge moves them -------------------------------------------------------------------------


def test_a_merge_moves_open_and_done_tasks_to_the_survivor(in_alpha: Tenant) -> None:
    john = DonorFactory.create(first_name="John", last_name="Smith")
    jon = DonorFactory.create(first_name="Jon", last_name="Smith")
    open_task = _task(in_alpha.owner, donor=jon, title="Visit")
    done_task = _task(in_alpha.owner, donor=jon, title="Send the report")
    task_complete(task=done_task, acting_user=None)
    own = _task(in_alpha.owner, donor=john, title="Call")

    donor_merge(survivor=john, merged=jon, acting_user=None)

    assert set(DonorTask.objects.filter(donor=john)) == {open_task, done_task, own}
    record = DonorMergeRecord.objects.get(merged=jon)
    assert sorted(record.moved["tasks"]["tasks"]) == sorted([open_task.pk, done_task.pk])


# --- Reads --------------------------------------------------------------------------------------


def test_my_tasks_are_my_open_ones_overdue_first_with_counts(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    other = in_alpha.user(Role.FUNDRAISER)
    later = _task(me, days=10, title="Later")
    overdue = _task(me, days=-2, title="Overdue")
    today = _task(me, days=0, title="Today")
    task_complete(task=_task(me, days=-5, title="Done"), acting_user=me)
    _task(other, days=-9, title="Not mine")

    mine = selectors.my_tasks(user=me, today=_today())

    assert mine.tasks == [overdue, today, later]
    assert (mine.open_count, mine.overdue_count) == (3, 1)
    assert selectors.my_tasks(user=me, today=_today(), limit=2).tasks == [overdue, today]


def test_a_donors_tasks_are_open_by_due_day_then_done_latest_first(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    first_done = _task(in_alpha.owner, donor=donor, days=1)
    task_complete(task=first_done, acting_user=None)
    second = _task(in_alpha.owner, donor=donor, days=9)
    first = _task(in_alpha.owner, donor=donor, days=2)
    last_done = _task(in_alpha.owner, donor=donor, days=5)
    task_complete(task=last_done, acting_user=None)

    shown = selectors.donor_tasks(donor=donor)
    assert list(shown.tasks) == [first, second, last_done, first_done]
    assert (shown.total, shown.more) == (4, 0)
    capped = selectors.donor_tasks(donor=donor, limit=1)
    assert (list(capped.tasks), capped.total, capped.more) == ([first], 4, 3)


def test_the_reads_run_as_many_queries_for_many_tasks_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    donor = DonorFactory.create()

    def queries(number: int) -> int:
        for _ in range(number):
            _task(in_alpha.owner, donor=donor, days=-1)
        with count_queries() as captured:
            selectors.my_tasks(user=in_alpha.owner, today=_today())
            selectors.donor_tasks(donor=donor)
        return len(captured)

    assert queries(1) == queries(12)


def test_assignees_are_the_active_users_who_read_donors(in_alpha: Tenant) -> None:
    from shared_apps.users.roles import Capability
    from shared_apps.users.selectors import users_with_capability

    viewer = in_alpha.user(Role.VIEWER)
    in_alpha.user(Role.VOLUNTEER)
    in_alpha.user(Role.FUNDRAISER, is_active=False)

    assignable = set(users_with_capability(Capability.DONORS_READ))

    assert assignable == {in_alpha.owner, viewer}
