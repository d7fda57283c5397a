"""The donors desk's pages that show giving, under /donors/ on an organization's host: the
donor list (search as you type, filters on giving, CSV) and a donor's page (contacts, giving
summary, possible duplicates, tasks, the timeline of gifts, pledges, receipts, notes and
merges, and the note form).

They live in donations because they read gifts: donors sits below donations and knows
nothing of them. Adding and editing a donor are donors' own pages (tenant_apps/donors/views).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from saas_platform.lib import formatting
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.listing import Column, csv_response, listing_counted_up_to, wants_csv
from shared_apps.users.pages import page_requires, refusal
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donors import selectors as donor_selectors
from tenant_apps.donors.models import Donor
from tenant_apps.donors.services import donor_note_add
from tenant_apps.donors.views.tasks import (
    TaskForm,
    panel_wanted,
    person_name,
    task_add,
    task_panel,
    task_panel_context,
)

# --- The donor list ------------------------------------------------------------------------------

COLUMNS = (
    Column("name", "Name", order_by=("display_name",)),
    Column("contact", "Email and phone"),
    Column("tags", "Tags"),
    Column("last_gift", "Last gift", order_by=("last_gift_sort",)),
    Column("lifetime", "Lifetime giving", order_by=("lifetime_total",), numeric=True),
)
# What a role that may not read giving sees: the donors and how to reach them.
CONTACT_COLUMNS = COLUMNS[:3]

# Giving levels: lifetime giving from (inclusive) to (exclusive; None: no upper bound).
GIVING_LEVELS: dict[str, tuple[str, Decimal, Decimal | None]] = {
    "none": ("Nothing yet", Decimal(0), Decimal("0.01")),
    "under-100": ("Under $100", Decimal("0.01"), Decimal(100)),
    "100-999": ("$100 to $999", Decimal(100), Decimal(1000)),
    "1000-9999": ("$1,000 to $9,999", Decimal(1000), Decimal(10000)),
    "10000-up": ("$10,000 and more", Decimal(10000), None),
}
LAPSED_AFTER = timedelta(days=365)
# The list counts its donors up to this many ("1-50 of more than 1,000 donors"): a count of
# every donor on every page and every keystroke of a search took 15 to 60 ms on 100,000.
COUNTED_UP_TO = 1000


class DonorFilterForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, max_length=200, help_text="Name, email, phone or tag."
    )
    tag = forms.ChoiceField(label="Tag", required=False)
    level = forms.ChoiceField(
        label="Lifetime giving",
        required=False,
        choices=[("", "Any amount"), *((key, label) for key, (label, *_) in GIVING_LEVELS.items())],
    )
    last_gift_from = forms.DateField(
        label="Last gift from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last_gift_to = forms.DateField(
        label="Last gift to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lapsed = forms.BooleanField(label="Lapsed (no gift in 12 months)", required=False)
    do_not_contact = forms.BooleanField(label="Do not contact only", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read when the choices are: drawing the form, or checking a tag asked for (a search
        # fragment, which draws no form, reads no tags).
        cast(forms.ChoiceField, self.fields["tag"]).choices = _tag_choices


def _tag_choices() -> list[tuple[str, str]]:
    return [("", "Any tag"), *((tag.name, tag.name) for tag in donor_selectors.tag_list())]


GIVING_FILTERS = ("level", "last_gift_from", "last_gift_to", "lapsed")


class DonorContactFilterForm(DonorFilterForm):
    """The filters on name, tags and contact only, for roles that may not read giving: a
    filter on giving would tell what a donor gives."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in GIVING_FILTERS:
            del self.fields[name]


def donors_filtered(form: DonorFilterForm) -> QuerySet[selectors.DonorWithGiving]:
    """The donors the list's valid filters select (all but merged ones if none)."""
    donors = donor_selectors.donor_list().filter(merged_into__isnull=True)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("q"):
        # Evaluated inside `searching()` (the list's view does): the matches are found in the
        # query that reads the page's keys and counts the list (listing_counted_up_to).
        donors = donor_selectors.donor_search(query=data["q"], donors=donors)
    if data.get("tag"):
        donors = donors.filter(tags__name__iexact=data["tag"])
    if data.get("do_not_contact"):
        donors = donors.filter(do_not_contact=True)
    donors = selectors.donors_with_giving(donors)
    if data.get("lapsed"):
        donors = donors.filter(last_gift_on__lt=timezone.localdate() - LAPSED_AFTER)
    if data.get("last_gift_from"):
        donors = donors.filter(last_gift_on__gte=data["last_gift_from"])
    if data.get("last_gift_to"):
        donors = donors.filter(last_gift_on__lte=data["last_gift_to"])
    if data.get("level"):
        _label, low, high = GIVING_LEVELS[data["level"]]
        in_level = Q(lifetime_total__gte=low)
        if high is not None:
            in_level &= Q(lifetime_total__lt=high)
        donors = donors.filter(in_level)
    return donors


def _csv_rows(donors: QuerySet[selectors.DonorWithGiving]) -> Iterator[list[str]]:
    for donor in donors.iterator(chunk_size=500):
        emails = donor.emails.all()
        phones = donor.phones.all()
        yield [
            donor.display_name,
            donor.get_kind_display(),
            emails[0].email if emails else "",
            phones[0].number if phones else "",
            ", ".join(tag.name for tag in donor.tags.all()),
            donor.last_gift_on.isoformat() if donor.last_gift_on else "",
            formatting.money(donor.lifetime_total),
            "Yes" if donor.do_not_contact else "No",
            # Whether news may be emailed to the donor: asked for, and email and contact allowed
            # (the list is what a mailing is made from).
            "Yes" if donor.email_news_ok and donor.email_ok and not donor.do_not_contact else "No",
        ]


def _without_giving(row: list[str]) -> list[str]:
    """A row of the donors' CSV without its last gift and lifetime giving (columns 6 and 7)."""
    return row[:5] + row[7:]


def _fragment_wanted(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


@require_safe
@page_requires(Capability.DONORS_READ)
def donor_index(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    can_read_giving = request.user.has_capability(Capability.GIVING_READ)
    form = (DonorFilterForm if can_read_giving else DonorContactFilterForm)(request.GET)
    donors = donors_filtered(form)
    if wants_csv(request):
        header = ["Name", "Kind", "Email", "Phone", "Tags", "Last gift", "Lifetime giving"]
        header += ["Do not contact", "Email news"]
        rows = _csv_rows(donors.order_by("display_name", "id"))
        if not can_read_giving:
            header = _without_giving(header)
            rows = (_without_giving(row) for row in rows)
        return csv_response("donors.csv", header, rows)
    columns = COLUMNS if can_read_giving else CONTACT_COLUMNS
    searched = form.is_valid() and bool(form.cleaned_data.get("q"))
    with donor_selectors.searching() if searched else nullcontext():
        donor_listing = listing_counted_up_to(
            request,
            donors,
            columns=columns,
            default_sort="name",
            up_to=COUNTED_UP_TO,
            rows_by_key=selectors.donors_with_giving(donor_selectors.donor_rows()),
        )
    context = {
        "can_read_giving": can_read_giving,
        "form": form,
        "listing": donor_listing,
        "filtered": any(value for key, value in request.GET.items() if key not in {"sort", "page"}),
        "can_write": request.user.has_capability(Capability.DONORS_WRITE),
    }
    template = "donations/donors/_results.html" if _fragment_wanted(request) else None
    response = render(request, template or "donations/donors/index.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- A donor's page ------------------------------------------------------------------------------


class NoteForm(forms.Form):
    body = forms.CharField(label="Add a note", widget=forms.Textarea(attrs={"rows": 3}))


def _donor_or_404(pk: int) -> Donor:
    donor = donor_selectors.donor_list().filter(pk=pk).first()
    if donor is None:
        raise Http404("There is no such donor.")
    return donor


def _timeline_context(request: AuthenticatedHttpRequest, donor: Donor, form: NoteForm) -> Any:
    can_read_giving = request.user.has_capability(Capability.GIVING_READ)
    timeline = (
        selectors.donor_timeline(donor=donor)
        if can_read_giving
        else selectors.donor_notes_timeline(donor=donor)
    )
    return {
        "donor": donor,
        "note_form": form,
        "timeline": timeline,
        "can_read_giving": can_read_giving,
        "can_write": request.user.has_capability(Capability.DONORS_WRITE),
    }


def _duplicates(donor: Donor) -> list[donor_selectors.DuplicateSuggestion]:
    """The donors this one may be (one query); none for a merged donor."""
    if donor.merged_into_id is not None:
        return []
    return donor_selectors.donor_duplicates_suggest(
        candidate=donor_selectors.candidate_of(donor), exclude=donor
    )


def _page(
    request: AuthenticatedHttpRequest,
    donor: Donor,
    form: NoteForm,
    *,
    task_form: TaskForm | None = None,
    status: int = 200,
) -> HttpResponse:
    household_members = (
        list(donor.household.members.exclude(pk=donor.pk).order_by("display_name", "id"))
        if donor.household
        else []
    )
    context = {
        **_timeline_context(request, donor, form),
        **task_panel_context(request, donor, form=task_form),
        "giving": (
            selectors.donor_giving_summaries(donor_ids=[donor.pk])[donor.pk]
            if request.user.has_capability(Capability.GIVING_READ)
            else None
        ),
        "household_members": household_members,
        "merged_into": (
            Donor.objects.filter(pk=donor.merged_into_id).first() if donor.merged_into_id else None
        ),
        "duplicates": _duplicates(donor),
        "can_enter_gifts": request.user.has_capability(Capability.GIFTS_WRITE),
    }
    return render(request, "donations/donors/detail.html", context, status=status)


@require_safe
@page_requires(Capability.DONORS_READ)
def donor_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _page(request, _donor_or_404(pk), NoteForm())


@require_POST
@page_requires(Capability.DONORS_READ)
def donor_note_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a note; htmx gets the timeline back (with the form's errors, if any, as a 200 so
    that htmx swaps it), a plain form post a redirect to the page."""
    if not request.user.has_capability(Capability.DONORS_WRITE):
        raise PermissionDenied(refusal(Capability.DONORS_WRITE))
    donor = _donor_or_404(pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            donor_note_add(donor=donor, body=form.cleaned_data["body"], acting_user=request.user)
        except ServiceError as error:
            form.add_error("body" if "body" in error.fields else None, error.message)
    if _fragment_wanted(request):
        context = _timeline_context(request, donor, NoteForm() if form.is_valid() else form)
        context["note_added"] = form.is_valid()
        return render(request, "donations/donors/_timeline.html", context)
    if form.is_valid():
        messages.success(request, "The note is added.")
        return redirect("donors:detail", pk=donor.pk)
    return _page(request, donor, form, status=400)


@require_POST
@page_requires(Capability.DONORS_WRITE)
def donor_task_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a task from the donor's Tasks panel: htmx gets the panel back (with the form's
    errors, if any, as a 200 so that htmx swaps it), a plain form post a redirect to the page."""
    donor = _donor_or_404(pk)
    form, task = task_add(request, donor)
    if panel_wanted(request):
        return task_panel(request, donor, form=None if task else form, added=task)
    if task is not None:
        messages.success(request, f"“{task.title}” is added for {person_name(task.assignee)}.")
        return redirect("donors:detail", pk=donor.pk)
    return _page(request, donor, NoteForm(), task_form=form, status=400)
