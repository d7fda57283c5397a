"""Follow-up tasks on the staff pages: the task list under /tasks/ (mine by default, anyone's,
open or done, overdue; paged, sorted, CSV), marking a task done or open again, and the pieces
of a donor's Tasks panel (its form and what it shows), which the donor's page includes.

Anyone who reads donors sees tasks; those who write donors add them and mark any done, and an
assignee may always mark their own done (or open again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.listing import Column, csv_response, listing, wants_csv
from shared_apps.users.models import User
from shared_apps.users.pages import page_requires, refusal
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from shared_apps.users.selectors import users_with_capability
from tenant_apps.donors import selectors
from tenant_apps.donors.models import Donor, DonorTask
from tenant_apps.donors.services.tasks import (
    ASSIGNEE_CAPABILITY,
    TITLE_MAX_LENGTH,
    task_complete,
    task_create,
    task_reopen,
)

# A new task is due a week from today unless the form says otherwise.
DEFAULT_DUE_IN = timedelta(days=7)
DAY_FORMAT = "M j, Y"
PANEL_ID = "donor-tasks"


def person_name(user: User) -> str:
    return user.full_name or user.email


class AssigneeField(forms.ModelChoiceField):
    """A member of staff by name, the person filling the form marked “(me)”."""

    def __init__(self, *args: Any, me: User | None = None, **kwargs: Any) -> None:
        self.me = me
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        name = person_name(obj)
        return f"{name} (me)" if self.me is not None and obj.pk == self.me.pk else name


class TaskForm(forms.Form):
    """A follow-up as the donor page's Tasks panel adds it."""

    title = forms.CharField(label="Task", max_length=TITLE_MAX_LENGTH)
    due_on = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))
    assignee = AssigneeField(
        label="For", queryset=User.objects.none(), empty_label=None, help_text=""
    )

    def __init__(self, *args: Any, me: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"due_on": timezone.localdate() + DEFAULT_DUE_IN, "assignee": me.pk}
        )
        kwargs.setdefault("auto_id", "task-%s")  # unique on the donor's page, beside the note
        super().__init__(*args, **kwargs)
        field = cast(AssigneeField, self.fields["assignee"])
        field.queryset = users_with_capability(ASSIGNEE_CAPABILITY)
        field.me = me

    def add_service_error(self, error: ServiceError) -> None:
        """A service's refusal next to the fields it names, else above the form."""
        named = [name for name in error.fields if name in self.fields]
        for name in named:
            self.add_error(name, error.message)
        if not named:
            self.add_error(None, error.message)


def can_complete(user: User, task: DonorTask) -> bool:
    """Who may mark a task done or open it again: donor writers, and its assignee."""
    return user.has_capability(Capability.DONORS_WRITE) or task.assignee_id == user.pk


# --- The donor page's Tasks panel ----------------------------------------------------------------


def task_panel_context(
    request: AuthenticatedHttpRequest,
    donor: Donor,
    *,
    form: TaskForm | None = None,
    added: DonorTask | None = None,
    done: DonorTask | None = None,
    error: str = "",
) -> dict[str, Any]:
    """What donors/tasks/_panel.html shows: the donor's tasks (two queries with the form's
    list of staff), the add form for those who write donors, and what just happened."""
    user = request.user
    can_write = user.has_capability(Capability.DONORS_WRITE) and donor.merged_into_id is None
    return {
        "donor": donor,
        "donor_tasks": selectors.donor_tasks(donor=donor),
        "task_form": (form or TaskForm(me=user)) if can_write else None,
        "task_added": added,
        "task_done": done,
        "task_error": error,
        "can_write_donors": user.has_capability(Capability.DONORS_WRITE),
        "today": timezone.localdate(),
    }


def task_panel(request: AuthenticatedHttpRequest, donor: Donor, **context: Any) -> HttpResponse:
    """The panel alone, as htmx swaps it."""
    return render(
        request, "donors/tasks/_panel.html", task_panel_context(request, donor, **context)
    )


def panel_wanted(request: HttpRequest) -> bool:
    """An htmx request made from a donor's Tasks panel (it targets the panel)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == PANEL_ID  # type: ignore[union-attr]


def task_add(request: AuthenticatedHttpRequest, donor: Donor) -> tuple[TaskForm, DonorTask | None]:
    """Validate the panel's form and add the task: the form (with what is wrong, if anything)
    and the task added, if it was."""
    form = TaskForm(request.POST, me=request.user)
    if not form.is_valid():
        return form, None
    try:
        task = task_create(
            donor=donor,
            title=form.cleaned_data["title"],
            due_on=form.cleaned_data["due_on"],
            assignee=form.cleaned_data["assignee"],
            acting_user=request.user,
        )
    except ServiceError as error:
        form.add_service_error(error)
        return form, None
    return form, task


# --- The task list -------------------------------------------------------------------------------

COLUMNS = (
    Column("due", "Due", order_by=("due_on",)),
    Column("task", "Task", order_by=("title",)),
    Column("donor", "Donor", order_by=("donor__display_name",)),
    Column("assignee", "For", order_by=("assignee__full_name", "assignee__email")),
    Column("status", "Status", order_by=("completed_at",)),
    Column("action", "Action"),
)
CSV_HEADER = ("Due", "Task", "Notes", "Donor", "For", "Status", "Done on", "Done by", "Added by")

EVERYONE = "everyone"
STATUS_CHOICES = [("", "Open"), ("done", "Done"), ("all", "Open and done")]


class TaskFilterForm(forms.Form):
    assignee = forms.ChoiceField(label="For", required=False)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    overdue = forms.BooleanField(label="Overdue only", required=False)
    donor = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, me: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [
            (str(user.pk), person_name(user))
            for user in users_with_capability(ASSIGNEE_CAPABILITY)
            if user.pk != me.pk
        ]
        choices = [("", f"Me ({person_name(me)})"), (EVERYONE, "Everyone"), *people]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = choices


def tasks_filtered(
    form: TaskFilterForm, *, me: User, today: date
) -> tuple[QuerySet[DonorTask], Donor | None]:
    """The tasks the valid filters select (my open ones if none), and the donor they are
    narrowed to, if they are."""
    data = form.cleaned_data if form.is_valid() else {}
    tasks = selectors.task_list()
    assignee = data.get("assignee", "")
    if assignee != EVERYONE:
        tasks = tasks.filter(assignee_id=int(assignee) if assignee else me.pk)
    status = data.get("status", "")
    if status == "":
        tasks = tasks.filter(completed_at__isnull=True)
    elif status == "done":
        tasks = tasks.filter(completed_at__isnull=False)
    if data.get("overdue"):
        tasks = tasks.filter(completed_at__isnull=True, due_on__lt=today)
    donor = None
    if data.get("donor"):
        donor = Donor.objects.filter(pk=data["donor"]).first()
        tasks = tasks.filter(donor_id=data["donor"])
    return tasks, donor


def _status(task: DonorTask, today: date) -> str:
    if task.completed_at is not None:
        return "Done"
    if task.due_on < today:
        return "Overdue"
    return "Due today" if task.due_on == today else "Open"


def _csv_rows(tasks: QuerySet[DonorTask], today: date) -> Iterator[list[str]]:
    for task in tasks.iterator(chunk_size=500):
        yield [
            task.due_on.isoformat(),
            task.title,
            task.notes,
            task.donor.display_name,
            person_name(task.assignee),
            _status(task, today),
            timezone.localdate(task.completed_at).isoformat() if task.completed_at else "",
            person_name(task.completed_by) if task.completed_by else "",
            person_name(task.created_by) if task.created_by else "",
        ]


@require_safe
@page_requires(Capability.DONORS_READ)
def task_index(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    user = request.user
    today = timezone.localdate()
    form = TaskFilterForm(request.GET, me=user)
    tasks, donor = tasks_filtered(form, me=user, today=today)
    if wants_csv(request):
        return csv_response(
            "tasks.csv", CSV_HEADER, _csv_rows(tasks.order_by("due_on", "id"), today)
        )
    task_listing = listing(request, tasks, columns=COLUMNS, default_sort="due")
    return render(
        request,
        "donors/tasks/index.html",
        {
            "form": form,
            "listing": task_listing,
            "donor": donor,
            "today": today,
            "can_write_donors": user.has_capability(Capability.DONORS_WRITE),
            "filtered": any(
                value for key, value in request.GET.items() if key not in {"sort", "page"}
            ),
        },
    )


# --- Marking a task done, or open again ----------------------------------------------------------


def _task_or_404(pk: int) -> DonorTask:
    task = selectors.task_list().filter(pk=pk).first()
    if task is None:
        raise Http404("There is no such task.")
    return task


def _back(request: HttpRequest) -> str:
    """Where the form came from (the task list with its filters, a donor's page, the
    dashboard), if it is a page of this site; else the task list."""
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return "/tasks/"


TaskAction = Callable[..., DonorTask]


def _task_action(
    request: AuthenticatedHttpRequest, pk: int, *, action: TaskAction, done_message: str
) -> HttpResponse:
    """Run `action` on the task; the panel back to htmx, else a message and the page the form
    was on."""
    task = _task_or_404(pk)
    if not can_complete(request.user, task):
        raise PermissionDenied(refusal(Capability.DONORS_WRITE))
    try:
        action(task=task, acting_user=request.user)
    except ServiceError as error:
        if panel_wanted(request):
            return task_panel(request, task.donor, error=error.message)
        messages.error(request, error.message)
        return redirect(_back(request))
    if panel_wanted(request):
        return task_panel(request, task.donor, done=task)
    messages.success(request, done_message.format(title=task.title))
    return redirect(_back(request))


@require_POST
@page_requires(Capability.DONORS_READ)
def task_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _task_action(request, pk, action=task_complete, done_message="“{title}” is done.")


@require_POST
@page_requires(Capability.DONORS_READ)
def task_open_again(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _task_action(request, pk, action=task_reopen, done_message="“{title}” is open again.")


__all__ = [
    "PANEL_ID",
    "TaskForm",
    "can_complete",
    "panel_wanted",
    "task_add",
    "task_done",
    "task_index",
    "task_open_again",
    "task_panel",
    "task_panel_context",
]
