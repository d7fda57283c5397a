"""Merging a duplicate donor, from the duplicates panel of a donor's page, at
/donors/<pk>/merge/<other_pk>/: the two side by side (contacts, household, tags, preferences,
giving and their records), which one stays (<pk>; a swap keeps the other), what the merge moves,
read before anything is written, and the merge itself (donors' donor_merge).

It lives in donations because it shows giving, as a donor's page does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability
from tenant_apps.donations import selectors
from tenant_apps.donors import selectors as donor_selectors
from tenant_apps.donors.models import Donor
from tenant_apps.donors.services import donor_merge

# What a merge record's lists hold, and how the message after a merge names one of each.
MOVED_NAMES = {
    "gifts": ("gift", "gifts"),
    "pledges": ("pledge", "pledges"),
    "recurring_gifts": ("recurring gift", "recurring gifts"),
    "soft_credits": ("soft credit", "soft credits"),
    "notes": ("note", "notes"),
    "tasks": ("task", "tasks"),
    "emails": ("email", "emails"),
    "phones": ("phone", "phones"),
    "addresses": ("address", "addresses"),
}


class MergeForm(forms.Form):
    allow_different_kinds = forms.BooleanField(
        label="Yes, merge an individual and an organization", required=False
    )


def moved_summary(moved: dict[str, Any]) -> str:
    """“3 gifts, 1 pledge and 2 notes” from what a merge record says each step moved."""
    counts = dict.fromkeys(MOVED_NAMES, 0)
    for step in moved.values():
        for key, value in step.items() if isinstance(step, dict) else ():
            if key in counts and isinstance(value, list):
                counts[key] += len(value)
    parts = [
        f"{count} {MOVED_NAMES[key][0] if count == 1 else MOVED_NAMES[key][1]}"
        for key, count in counts.items()
        if count
    ]
    if len(parts) > 1:
        return f"{', '.join(parts[:-1])} and {parts[-1]}"
    return parts[0] if parts else ""


def _refusal(survivor: Donor, merged: Donor) -> tuple[str, int, Donor | None]:
    """Why these two cannot be merged (and the status, and the donor to go to instead), or
    an empty reason."""
    if survivor.pk == merged.pk:
        return "A donor cannot be merged with itself: choose two different donors.", 400, None
    for donor in (merged, survivor):
        if donor.merged_into is not None:
            return (
                f"{donor.display_name} was already merged into "
                f"{donor.merged_into.display_name}: compare with that donor instead.",
                409,
                donor.merged_into,
            )
    return "", 200, None


def _donors_or_404(pk: int, other_pk: int) -> tuple[Donor, Donor]:
    donors = {
        donor.pk: donor
        for donor in donor_selectors.donor_list()
        .select_related("merged_into")
        .filter(pk__in={pk, other_pk})
    }
    if pk not in donors or other_pk not in donors:
        raise Http404("There is no such donor.")
    return donors[pk], donors[other_pk]


@require_http_methods(["GET", "HEAD", "POST"])
@page_requires(Capability.DONORS_WRITE)
def donor_merge_page(request: AuthenticatedHttpRequest, pk: int, other_pk: int) -> HttpResponse:
    survivor, merged = _donors_or_404(pk, other_pk)
    reason, status, instead = _refusal(survivor, merged)
    if reason:
        return render(
            request,
            "donations/donors/merge_refused.html",
            {"reason": reason, "donor": survivor, "instead": instead},
            status=status,
        )
    different_kinds = survivor.kind != merged.kind
    form = MergeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = donor_merge(
                survivor=survivor,
                merged=merged,
                allow_different_kinds=form.cleaned_data["allow_different_kinds"],
                acting_user=request.user,
            )
        except StateConflict as error:
            # Merged by someone else meanwhile: the page now says so.
            messages.error(request, error.message)
            return redirect("donors:merge", pk=pk, other_pk=other_pk)
        except ServiceError as error:
            named = "allow_different_kinds" in error.fields
            form.add_error("allow_different_kinds" if named else None, error.message)
        else:
            moved = moved_summary(result.record.moved)
            messages.success(
                request,
                f"{merged.display_name} is merged into {survivor.display_name}"
                + (f": {moved} moved." if moved else "."),
            )
            return redirect("donors:detail", pk=survivor.pk)
    ids = [survivor.pk, merged.pk]
    giving = selectors.donor_giving_summaries(donor_ids=ids)
    records = selectors.donor_records_counted(donor_ids=ids)
    preview = donor_selectors.donor_merge_preview(survivor=survivor, merged=merged)
    context = {
        "survivor": survivor,
        "merged": merged,
        "sides": [
            (survivor, giving[survivor.pk], records[survivor.pk]),
            (merged, giving[merged.pk], records[merged.pk]),
        ],
        "preview": [part for part in preview if not part.is_empty],
        "different_kinds": different_kinds,
        "form": form,
    }
    return render(
        request,
        "donations/donors/merge.html",
        context,
        status=400 if form.errors else 200,
    )
