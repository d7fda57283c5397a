"""Tasks on the staff pages: a donor's Tasks panel (add with htmx or without, mark done), the
task list at /tasks/ (mine, anyone's, open or done, overdue, a donor's; sorted, paged, CSV), and
marking done or open again from it; roles, CSRF, escaping, queries, other organizations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donors.models import Donor, DonorTask
from tenant_apps.donors.services import task_complete, task_create
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

TASKS = "/tasks/"
HOSTILE = "<script>alert(1)</script>"
HTMX_PANEL = {"HX-Request": "true", "HX-Target": "donor-tasks"}


def _today() -> date:
    return timezone.localdate()


def _task(
    assignee: User, donor: Donor | None = None, *, days: int = 3, title: str = "Call to thank"
) -> DonorTask:
    return task_create(
        donor=donor or DonorFactory.create(),
        title=title,
        due_on=_today() + timedelta(days=days),
        assignee=assignee,
        acting_user=None,
    )


def _form(assignee: User, **fields: Any) -> dict[str, Any]:
    return {
        "title": "Thank her for the gift",
        "due_on": (_today() + timedelta(days=2)).isoformat(),
        "assignee": str(assignee.pk),
        **fields,
    }


# --- A donor's Tasks panel ----------------------------------------------------------------------


def test_the_panel_offers_the_form_for_me_by_default_among_active_staff(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    me = in_alpha.user(Role.FUNDRAISER, full_name="Fay Raiser")
    in_alpha.user(Role.BOOKKEEPER, full_name="Bo Keeper")
    in_alpha.user(Role.VOLUNTEER, full_name="Vol Unteer")
    in_alpha.user(Role.FUNDRAISER, full_name="Gone Away", is_active=False)

    page = in_alpha.client(me).get(f"/donors/{donor.pk}/").text

    assert '<h2 id="tasks-heading">Tasks</h2>' in page
    assert "No tasks yet. Add a follow-up below" in page
    assert f'<option value="{me.pk}" selected>Fay Raiser (me)</option>' in page
    assert "Bo Keeper</option>" in page
    assert "Vol Unteer" not in page and "Gone Away" not in page
    week = (_today() + timedelta(days=7)).isoformat()
    assert f'value="{week}"' in page


def test_htmx_adds_a_task_and_gets_the_panel_back(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    me = in_alpha.user(Role.FUNDRAISER, full_name="Fay Raiser")

    response = in_alpha.client(me).post(f"/donors/{donor.pk}/tasks/", _form(me), headers=HTMX_PANEL)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="donor-tasks"' in response.text
    assert "“Thank her for the gift” is added for Fay Raiser" in response.text
    task = DonorTask.objects.get()
    assert (task.donor, task.assignee, task.created_by) == (donor, me, me)
    assert AuditEvent.objects.filter(action="donor.task_create", object_id=str(task.pk)).exists()
    assert 'value="Thank her for the gift"' not in response.text  # a fresh form


def test_without_htmx_a_task_is_added_and_the_page_says_so(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    me = in_alpha.user(Role.FUNDRAISER, full_name="Fay Raiser")
    client = in_alpha.client(me)

    response = client.post(f"/donors/{donor.pk}/tasks/", _form(me))

    assert response.status_code == 302
    assert response["Location"] == f"/donors/{donor.pk}/"
    page = client.get(response["Location"]).text
    assert "“Thank her for the gift” is added for Fay Raiser." in page
    assert "Thank her for the gift" in page


def test_a_task_without_a_title_or_a_day_is_given_back_and_nothing_is_saved(
    in_alpha: Tenant,
) -> None:
    donor = DonorFactory.create()
    me = in_alpha.user(Role.FUNDRAISER)
    client = in_alpha.client(me)
    bad = _form(me, title=" ", due_on="13/45/2026")

    htmx = client.post(f"/donors/{donor.pk}/tasks/", bad, headers=HTMX_PANEL)
    plain = client.post(f"/donors/{donor.pk}/tasks/", bad)

    assert htmx.status_code == 200
    assert "2 things need fixing" in htmx.text
    assert 'id="task-title_error"' in htmx.text
    assert "Enter a valid date." in htmx.text
    assert plain.status_code == 400
    assert "2 things need fixing" in plain.text
    assert "<h1>" in plain.text  # the whole page, with the form and its errors
    assert not DonorTask.objects.exists()


def test_an_assignee_who_is_not_active_staff_is_refused_next_to_the_field(
    in_alpha: Tenant,
) -> None:
    donor = DonorFactory.create()
    me = in_alpha.user(Role.FUNDRAISER)
    volunteer = in_alpha.user(Role.VOLUNTEER)

    response = in_alpha.client(me).post(
        f"/donors/{donor.pk}/tasks/", _form(volunteer), headers=HTMX_PANEL
    )

    assert 'id="task-assignee_error"' in response.text
    assert not DonorTask.objects.exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.BOOKKEEPER, Role.VOLUNTEER_COORDINATOR])
def test_roles_that_only_read_donors_cannot_add_a_task(in_alpha: Tenant, role: str) -> None:
    donor = DonorFactory.create()
    user = in_alpha.user(role)
    client = in_alpha.client(user)
    assert "Add a task" not in client.get(f"/donors/{donor.pk}/").text
    response = client.post(f"/donors/{donor.pk}/tasks/", _form(user))
    assert response.status_code == 403
    assert "This page is for the Owner, Administrator and Fundraiser roles" in response.text
    assert not DonorTask.objects.exists()


def test_htmx_marks_a_task_done_from_the_panel(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    me = in_alpha.user(Role.FUNDRAISER)
    task = _task(me, donor, title="Send the report")

    response = in_alpha.client(me).post(f"{TASKS}{task.pk}/done/", headers=HTMX_PANEL)

    assert response.status_code == 200
    assert 'id="donor-tasks"' in response.text
    assert "“Send the report” is done." in response.text
    assert "Done " in response.text
    task.refresh_from_db()
    assert task.completed_by == me
    assert AuditEvent.objects.filter(action="donor.task_complete").count() == 1


def test_a_task_done_twice_is_said_in_the_panel(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    task = _task(me)
    task_complete(task=task, acting_user=me)
    response = in_alpha.client(me).post(f"{TASKS}{task.pk}/done/", headers=HTMX_PANEL)
    assert response.status_code == 200
    assert "is done already" in response.text
    assert AuditEvent.objects.filter(action="donor.task_complete").count() == 1


def test_the_panel_escapes_titles_and_runs_the_same_queries_for_many_tasks(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    donor = DonorFactory.create()
    me = in_alpha.user(Role.FUNDRAISER)
    _task(me, donor, title=HOSTILE)
    client = in_alpha.client(me)
    text = client.get(f"/donors/{donor.pk}/").text
    assert HOSTILE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text

    def queries(number: int) -> int:
        for index in range(number):
            done = _task(me, donor, days=index)
            if index % 2:
                task_complete(task=done, acting_user=me)
        with count_queries() as captured:
            assert client.get(f"/donors/{donor.pk}/").status_code == 200
        return len(captured)

    assert queries(1) == queries(10)


# --- The task list ------------------------------------------------------------------------------


def _titles(response: Any) -> list[str]:
    return [task.title for task in response.context["listing"].rows]


def test_the_list_shows_my_open_tasks_by_due_day(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    other = in_alpha.user(Role.FUNDRAISER)
    _task(me, days=5, title="Later")
    _task(me, days=-1, title="Overdue")
    task_complete(task=_task(me, title="Done"), acting_user=me)
    _task(other, title="Theirs")

    response = in_alpha.client(me).get(TASKS)

    assert response.status_code == 200
    assert _titles(response) == ["Overdue", "Later"]
    assert '<span class="badge">Overdue</span>' in response.text
    assert '<a href="/tasks/" aria-current="page">Tasks</a>' in response.text


def test_the_list_filters_by_assignee_status_overdue_and_donor_in_the_url(
    in_alpha: Tenant,
) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    other = in_alpha.user(Role.BOOKKEEPER)
    ada = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    _task(me, ada, days=5, title="Mine later")
    _task(other, days=-3, title="Theirs overdue")
    task_complete(task=_task(other, ada, title="Theirs done"), acting_user=other)
    client = in_alpha.client(me)

    assert _titles(client.get(TASKS, {"assignee": "everyone"})) == ["Theirs overdue", "Mine later"]
    assert _titles(client.get(TASKS, {"assignee": str(other.pk)})) == ["Theirs overdue"]
    assert _titles(client.get(TASKS, {"assignee": str(other.pk), "status": "done"})) == [
        "Theirs done"
    ]
    assert _titles(client.get(TASKS, {"assignee": "everyone", "overdue": "on"})) == [
        "Theirs overdue"
    ]
    by_donor = client.get(TASKS, {"assignee": "everyone", "status": "all", "donor": str(ada.pk)})
    assert sorted(_titles(by_donor)) == ["Mine later", "Theirs done"]
    assert "<h1>Tasks of Ada Lovelace</h1>" in by_donor.text
    sorted_by_title = client.get(TASKS, {"assignee": "everyone", "sort": "-task"})
    assert _titles(sorted_by_title) == ["Theirs overdue", "Mine later"]


def test_bad_filters_change_nothing_and_give_no_error_page(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    _task(me, title="Mine")
    for query in ({"assignee": "999999"}, {"status": "lost"}, {"donor": "x"}, {"page": "99"}):
        response = in_alpha.client(me).get(TASKS, query)
        assert response.status_code == 200, query
        assert _titles(response) == ["Mine"], query


def test_the_csv_holds_every_task_the_filters_select(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER, full_name="Fay Raiser")
    donor = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    _task(me, donor, days=-1, title="Call")
    _task(me, donor, days=2, title="=HYPERLINK(1)")

    response = in_alpha.client(me).get(TASKS, {"format": "csv"})

    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "Due,Task,Notes,Donor,For,Status,Done on,Done by,Added by"
    yesterday = (_today() - timedelta(days=1)).isoformat()
    assert lines[1] == f"{yesterday},Call,,Ada Lovelace,Fay Raiser,Overdue,,,"
    assert "'=HYPERLINK(1)" in lines[2]
    assert len(lines) == 3


def test_an_empty_list_says_what_to_do_next(in_alpha: Tenant) -> None:
    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(TASKS).text
    assert "You have no open tasks. Open a donor and add a follow-up" in page
    assert '<a class="button primary" href="/donors/">Find a donor</a>' in page


def test_the_list_runs_the_same_queries_for_few_tasks_and_many(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    client = in_alpha.client(me)
    client.get(TASKS)

    def queries(number: int) -> int:
        for index in range(number):
            _task(me, days=index, title=f"Task {index}")
        with count_queries() as captured:
            assert client.get(TASKS, {"assignee": "everyone"}).status_code == 200
        return len(captured)

    assert queries(2) == queries(15)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.FUNDRAISER, 200),
        (Role.BOOKKEEPER, 200),
        (Role.VIEWER, 200),
        (Role.VOLUNTEER_COORDINATOR, 200),
        (Role.VOLUNTEER, 403),
    ],
)
def test_the_list_is_for_those_who_read_donors(in_alpha: Tenant, role: str, status: int) -> None:
    response = in_alpha.client(in_alpha.user(role)).get(TASKS)
    assert response.status_code == status
    if status == 403:
        assert "This page is for the" in response.text


def test_titles_and_names_are_shown_as_text(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER, full_name=HOSTILE)
    _task(me, DonorFactory.create(first_name=HOSTILE, last_name="X"), title=HOSTILE)
    text = in_alpha.client(me).get(TASKS).text
    assert HOSTILE not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3


# --- Done and open again from the list ----------------------------------------------------------


def test_marking_done_and_open_again_returns_to_the_list_with_its_filters(
    in_alpha: Tenant,
) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    task = _task(me, title="Visit")
    client = in_alpha.client(me)
    back = "/tasks/?assignee=everyone&sort=-due"

    done = client.post(f"{TASKS}{task.pk}/done/", {"next": back})

    assert (done.status_code, done["Location"]) == (302, back)
    assert "“Visit” is done." in client.get(back).text
    reopened = client.post(f"{TASKS}{task.pk}/reopen/", {"next": back})
    assert reopened.status_code == 302
    task.refresh_from_db()
    assert task.completed_at is None
    assert AuditEvent.objects.filter(action="donor.task_reopen").count() == 1


def test_a_next_address_off_the_site_goes_to_the_list_instead(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    for back in ("https://evil.example/", "//evil.example/", ""):
        task = _task(me)
        response = in_alpha.client(me).post(f"{TASKS}{task.pk}/done/", {"next": back})
        assert response["Location"] == TASKS, back


def test_a_reader_marks_their_own_task_done_but_not_anyone_elses(in_alpha: Tenant) -> None:
    viewer = in_alpha.user(Role.VIEWER)
    mine = _task(viewer, title="Mine")
    theirs = _task(in_alpha.owner, title="Theirs")
    client = in_alpha.client(viewer)
    page = client.get(TASKS, {"assignee": "everyone"}).text
    assert 'Mark done<span class="visually-hidden">: Mine' in page
    assert 'Mark done<span class="visually-hidden">: Theirs' not in page

    assert client.post(f"{TASKS}{mine.pk}/done/").status_code == 302
    refused = client.post(f"{TASKS}{theirs.pk}/done/")

    assert refused.status_code == 403
    assert "This page is for the Owner, Administrator and Fundraiser roles" in refused.text
    theirs.refresh_from_db()
    assert theirs.completed_at is None


def test_marking_done_needs_the_csrf_token_and_a_post(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    task = _task(me)
    donor = task.donor
    client = Client(HTTP_HOST=in_alpha.host, enforce_csrf_checks=True)
    client.force_login(me)

    assert client.post(f"{TASKS}{task.pk}/done/").status_code == 403
    assert client.post(f"/donors/{donor.pk}/tasks/", _form(me)).status_code == 403
    assert in_alpha.client(me).get(f"{TASKS}{task.pk}/done/").status_code == 405
    task.refresh_from_db()
    assert task.completed_at is None
    assert DonorTask.objects.count() == 1


def test_an_unknown_task_is_not_found(in_alpha: Tenant) -> None:
    me = in_alpha.user(Role.FUNDRAISER)
    assert in_alpha.client(me).post(f"{TASKS}999999/done/").status_code == 404


# --- Other organizations ------------------------------------------------------------------------


def test_beta_sees_and_touches_nothing_of_alphas_tasks(alpha: Tenant, beta: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        task = _task(alpha.owner, title="Alpha's secret visit")
    client = beta.client(beta.owner)

    listed = client.get(TASKS, {"assignee": "everyone", "status": "all"})
    done = client.post(f"{TASKS}{task.pk}/done/")

    assert listed.status_code == 200
    assert "Alpha's secret visit" not in listed.text
    assert done.status_code == 404
    with schema_context(alpha.organization.schema_name):
        task.refresh_from_db()
        assert task.completed_at is None
