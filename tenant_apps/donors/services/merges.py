"""The merge of a duplicate donor into the one that survives: the steps that move its contacts,
notes, tags, household and tasks (other apps register theirs), and the record of what moved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donors.models import (
    Donor,
    DonorAddress,
    DonorEmail,
    DonorMergeRecord,
    DonorNote,
    DonorPhone,
    DonorTask,
)
from tenant_apps.donors.services.checks import address_match_key

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Merge -----------------------------------------------------------------------------------

# What one step of a merge moved, for the merge record: JSON-ready.
Moved = dict[str, Any]
MergeStep = Callable[[Donor, Donor], Moved]


def _contacts_move[Contact: (DonorEmail, DonorPhone, DonorAddress)](
    model: type[Contact],
    survivor: Donor,
    merged: Donor,
    *,
    name: str,
    key: Callable[[Contact], Any],
    shown: Callable[[Contact], Any],
) -> Moved:
    """Move the merged donor's contacts of one kind to the survivor. One the survivor already
    has (same `key`) stays on the tombstone; the survivor's primary stays primary."""
    own = list(model.objects.filter(donor=survivor))
    kept = {key(row) for row in own}
    has_primary = any(row.is_primary for row in own)
    moved, left = [], []
    for row in model.objects.filter(donor=merged).order_by("-is_primary", "id"):
        if key(row) in kept:
            left.append(shown(row))
            continue
        row.donor = survivor
        row.is_primary = row.is_primary and not has_primary
        has_primary = has_primary or row.is_primary
        row.save(update_fields=["donor", "is_primary"])
        moved.append(row.pk)
    return {name: moved, f"{name}_already_on_survivor": left}


def _merge_emails(survivor: Donor, merged: Donor) -> Moved:
    return _contacts_move(
        DonorEmail, survivor, merged, name="emails", key=lambda r: r.email, shown=lambda r: r.email
    )


def _merge_phones(survivor: Donor, merged: Donor) -> Moved:
    return _contacts_move(
        DonorPhone,
        survivor,
        merged,
        name="phones",
        key=lambda r: r.phone_digits,
        shown=lambda r: r.number,
    )


def _merge_addresses(survivor: Donor, merged: Donor) -> Moved:
    return _contacts_move(
        DonorAddress,
        survivor,
        merged,
        name="addresses",
        key=address_match_key,
        shown=lambda r: r.pk,
    )


def _merge_notes(survivor: Donor, merged: Donor) -> Moved:
    notes = list(DonorNote.objects.filter(donor=merged).values_list("pk", flat=True))
    DonorNote.objects.filter(pk__in=notes).update(donor=survivor)
    moved: Moved = {"notes": notes}
    if merged.notes:
        # The free-text notes field is appended, marked with where it came from.
        survivor.notes = "\n\n".join(
            part
            for part in (
                survivor.notes,
                f"From {merged.display_name} (#{merged.pk}):\n{merged.notes}",
            )
            if part
        )
        moved["notes_text_appended"] = True
    return moved


def _merge_tags(survivor: Donor, merged: Donor) -> Moved:
    tags = list(merged.tags.all())
    survivor.tags.add(*tags)
    merged.tags.clear()
    return {"tags": sorted(tag.name for tag in tags)}


def _merge_household(survivor: Donor, merged: Donor) -> Moved:
    moved: Moved = {"household_from_merged": merged.household_id}
    if merged.household_id is not None and survivor.household_id is None:
        survivor.household_id = merged.household_id
        moved["household_moved_to_survivor"] = True
    merged.household = None  # the tombstone leaves the household either way
    return moved


def _merge_preferences(survivor: Donor, merged: Donor) -> Moved:
    """The stricter choice wins for what a person allows: one who opted out of email, mail or
    phone on either record has opted out, and "do not contact" on either wins over everything.
    News by email is an opt-in instead: the person asked for it on either record (the giving
    page's box, say, ticked on one), so they get it, unless either record says do not contact."""
    changed: Moved = {}
    for name in ("email_ok", "mail_ok", "phone_ok"):
        if getattr(survivor, name) and not getattr(merged, name):
            setattr(survivor, name, False)
            changed[name] = False
    if merged.do_not_contact and not survivor.do_not_contact:
        survivor.do_not_contact = True
        changed["do_not_contact"] = True
    news_ok = (survivor.email_news_ok or merged.email_news_ok) and not survivor.do_not_contact
    if news_ok != survivor.email_news_ok:
        survivor.email_news_ok = news_ok
        changed["email_news_ok"] = news_ok
    return {"preferences_changed": changed}


def _merge_tasks(survivor: Donor, merged: Donor) -> Moved:
    # Open and done alike: a follow-up is about the person, whichever record survives.
    tasks = list(DonorTask.objects.filter(donor=merged).values_list("pk", flat=True))
    DonorTask.objects.filter(pk__in=tasks).update(donor=survivor, updated_at=timezone.now())
    return {"tasks": tasks}


def _merge_earlier_merges(survivor: Donor, merged: Donor) -> Moved:
    # Donors merged into `merged` before now point at the survivor: merged_into is never a chain.
    earlier = list(Donor.objects.filter(merged_into=merged).values_list("pk", flat=True))
    Donor.objects.filter(pk__in=earlier).update(merged_into=survivor)
    return {"earlier_merges_repointed": earlier}


# The steps of a merge, in order. Each moves one kind of thing and says what it moved; the
# donors' own fields they change are saved once at the end. Gifts and soft credits belong to
# the donations app, which depends on this one: it appends its steps (gifts, soft credits,
# pledges, recurring gifts) with merge_step_register() from its AppConfig.ready().
MERGE_STEPS: list[tuple[str, MergeStep]] = [
    ("emails", _merge_emails),
    ("phones", _merge_phones),
    ("addresses", _merge_addresses),
    ("notes", _merge_notes),
    ("tags", _merge_tags),
    ("household", _merge_household),
    ("preferences", _merge_preferences),
    ("tasks", _merge_tasks),
    ("earlier_merges", _merge_earlier_merges),
]


def merge_step_register(name: str, step: MergeStep) -> None:
    """Add a step to every merge (another app's rows that point at donors). Idempotent by name."""
    if name not in {existing for existing, _ in MERGE_STEPS}:
        MERGE_STEPS.append((name, step))


@dataclass(frozen=True)
class MergeResult:
    survivor: Donor
    merged: Donor
    record: DonorMergeRecord
    moved: Moved = field(default_factory=dict)


def donor_merge(
    *,
    survivor: Donor,
    merged: Donor,
    acting_user: User | None,
    allow_different_kinds: bool = False,
) -> MergeResult:
    """Merge a duplicate into the donor that survives: its contacts, notes, tags, household
    (and, once registered, gifts and soft credits) move to the survivor; the merged donor stays
    as an inactive tombstone pointing at the survivor; a DonorMergeRecord says what moved."""
    if survivor.pk == merged.pk:
        raise ServiceError(
            "A donor cannot be merged into itself.", fields={"merged": ["Same donor."]}
        )
    with transaction.atomic():
        # Both rows locked, in id order so two merges of the same pair cannot deadlock; the
        # checks below run on the locked rows, not on what the caller read earlier.
        locked = {
            donor.pk: donor
            for donor in Donor.objects.select_for_update()
            .filter(pk__in=[survivor.pk, merged.pk])
            .order_by("pk")
        }
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        if merged.merged_into_id is not None:
            raise StateConflict(
                f"Donor {merged.pk} was already merged into donor {merged.merged_into_id}."
            )
        if survivor.merged_into_id is not None:
            raise StateConflict(
                f"Donor {survivor.pk} was merged into donor {survivor.merged_into_id}; "
                "merge into that one."
            )
        if survivor.kind != merged.kind and not allow_different_kinds:
            raise ServiceError(
                f"{merged.display_name} is an {merged.kind} and {survivor.display_name} an "
                f"{survivor.kind}; merging them needs allow_different_kinds.",
                fields={"allow_different_kinds": ["Required to merge different kinds."]},
            )
        moved: Moved = {}
        for name, step in MERGE_STEPS:
            moved[name] = step(survivor, merged)
        survivor.save()
        merged.is_active = False
        merged.merged_into = survivor
        merged.save(update_fields=["is_active", "merged_into", "household", "updated_at"])
        record = DonorMergeRecord.objects.create(
            survivor=survivor, merged=merged, acting_user=actor_of(acting_user), moved=moved
        )
        audit_record(
            "donor.merge",
            acting_user=acting_user,
            obj=survivor,
            merged=merged.pk,
            record=record.pk,
        )
    return MergeResult(survivor=survivor, merged=merged, record=record, moved=moved)
