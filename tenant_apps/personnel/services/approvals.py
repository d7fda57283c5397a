"""Deciding hour entries: approval (with the in-kind posting of a volunteer's specialized
services) and rejection, one entry or many at once, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import text_check
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import EntrySource
from tenant_apps.core.services import actor_of, audit_event, audit_events_record, audit_record
from tenant_apps.personnel.models import HourEntry, HourState, PersonnelSettings
from tenant_apps.personnel.selectors import personnel_settings
from tenant_apps.personnel.services.checks import CENT, GENERAL_FUND, NotAllowed

if TYPE_CHECKING:
    from shared_apps.users.models import User

IN_KIND_REVENUE_ACCOUNT = "4120"  # UCOA: donated professional services


# --- Deciding hour entries -------------------------------------------------------------------


def _decision_check(entry: HourEntry, acting_user: User | None) -> None:
    if entry.state == HourState.DRAFT:
        raise StateConflict(
            f"Hour entry {entry.pk} is a draft: it is decided once it is submitted for approval."
        )
    if entry.state != HourState.SUBMITTED:
        raise StateConflict(f"Hour entry {entry.pk} is already {entry.state}.")
    if acting_user is not None and entry.person.user_id == acting_user.pk:
        raise NotAllowed(f"Hour entry {entry.pk} is your own; someone else approves it.")


def _in_kind_spec(
    entry: HourEntry, settings_row: PersonnelSettings
) -> tuple[accounting.EntrySpec, Decimal]:
    """A volunteer's specialized services are recognized (ASC 958-605-25-16): Dr the in-kind
    expense with the entry's function and program, Cr 4120 donated professional services, in
    the general fund, at the volunteer's specialized rate (or the organization's hourly rate).
    The entry to post, and the value."""
    rate = entry.person.volunteer.specialized_rate or settings_row.volunteer_hourly_rate
    value = (entry.hours * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    spec = accounting.EntrySpec(
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
    )
    return spec, value


def _in_kind_post(entry: HourEntry, *, acting_user: User | None) -> None:
    spec, value = _in_kind_spec(entry, personnel_settings())
    entry.in_kind_entry = accounting.entry_record(
        date=spec.date,
        memo=spec.memo,
        lines=spec.lines,
        source=spec.source,
        source_reference=spec.source_reference,
        acting_user=acting_user,
    )
    entry.in_kind_value = value


def _in_kind_post_many(entries: list[HourEntry], *, acting_user: User | None) -> None:
    """_in_kind_post for many entries, their entries recorded together (entries_record); a
    refusal names the hour entry it is about, as _bulk names a refused decision."""
    if not entries:
        return
    settings_row = personnel_settings()
    specs = [_in_kind_spec(entry, settings_row) for entry in entries]
    try:
        posted = accounting.entries_record(
            entries=[spec for spec, _ in specs], acting_user=acting_user
        )
    except ServiceError as error:
        message, refused = error.message, entries[0]
        numbered = re.match(r"Entry (\d+): (.*)", message, re.DOTALL)
        if numbered:
            refused, message = entries[int(numbered.group(1)) - 1], numbered.group(2)
        else:  # a closed period names its day
            refused = next((e for e in entries if f"on {e.date}." in message), refused)
        message = f"Hour entry {refused.pk}: {message}"
        raise type(error)(
            f"{message} Nothing was changed.", fields={"entries": {refused.pk: [message]}}
        ) from error
    for entry, (_, value), journal_entry in zip(entries, specs, posted, strict=True):
        entry.in_kind_entry = journal_entry
        entry.in_kind_value = value


def _approve(entry: HourEntry, *, acting_user: User | None, write: bool = True) -> HourEntry:
    """Approve a locked entry, posting its in-kind value; with `write` false the entry is left
    for _approvals_write to post and save with others."""
    _decision_check(entry, acting_user)
    entry.state = HourState.APPROVED
    entry.decided_by = actor_of(acting_user)
    entry.decided_at = timezone.now()
    if write and entry.specialized_skills:
        _in_kind_post(entry, acting_user=acting_user)
    if write:
        entry.save()
        audit_record("hour_entry.approve", acting_user=acting_user, **_approval_detail(entry))
    return entry


def _approval_detail(entry: HourEntry) -> dict[str, Any]:
    return {
        "obj": entry,
        "in_kind_entry": entry.in_kind_entry.number if entry.in_kind_entry else None,
    }


def _approvals_write(entries: list[HourEntry], *, acting_user: User | None) -> None:
    """Approved entries posted and saved: the in-kind values of specialized services recorded
    together, the entries without one in one statement (they differ only by key), the others
    one by one; their audit rows in one statement. A refusal names its hour entry, and
    nothing is changed."""
    _in_kind_post_many(
        [entry for entry in entries if entry.specialized_skills], acting_user=acting_user
    )
    plain = [entry for entry in entries if entry.in_kind_entry is None]
    if plain:
        now = timezone.now()
        for entry in plain:
            entry.decided_at = entry.updated_at = now
        HourEntry.objects.filter(pk__in=[entry.pk for entry in plain]).update(
            state=HourState.APPROVED,
            decided_by=actor_of(acting_user),
            decided_at=now,
            updated_at=now,
        )
    for entry in entries:
        if entry.in_kind_entry is not None:
            entry.save()
    audit_events_record(
        [
            audit_event("hour_entry.approve", acting_user=acting_user, **_approval_detail(entry))
            for entry in entries
        ]
    )


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
    reason = text_check(reason, field="reason", max_length=500)
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


def _bulk(entries: Sequence[HourEntry], decide: Any, write: Any = None) -> list[HourEntry]:
    """All or nothing: the first refusal names its entry and undoes the others. `write`, if
    given, saves the decided entries together, in the same transaction."""
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
        if write is not None:
            write(decided)
    return decided


def hour_entries_approve(
    *, entries: Sequence[HourEntry], acting_user: User | None
) -> list[HourEntry]:
    """Approve many entries, all or none (see _bulk); the approvals are written together."""
    return _bulk(
        entries,
        lambda entry: _approve(entry, acting_user=acting_user, write=False),
        lambda decided: _approvals_write(decided, acting_user=acting_user),
    )


def hour_entries_reject(
    *, entries: Sequence[HourEntry], reason: str, acting_user: User | None
) -> list[HourEntry]:
    reason = _reason_check(reason)
    return _bulk(entries, lambda entry: _reject(entry, reason=reason, acting_user=acting_user))
