"""Writes to recurring entries: a template of lines checked as an entry's are, and its posting
for a month, which makes and posts the month's entry once (the database refuses a second)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting.models import (
    EntrySource,
    JournalEntry,
    RecurringEntry,
    RecurringEntryLine,
    RecurringPosting,
)
from tenant_apps.accounting.services.lines import LineSpec, lines_build
from tenant_apps.accounting.services.postings import entry_record
from tenant_apps.core.services import actor_of, audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User


def recurring_create(
    *,
    name: str,
    memo: str,
    day_of_month: int,
    lines: Sequence[LineSpec],
    acting_user: User | None,
) -> RecurringEntry:
    """A recurring entry whose lines would make a valid, balanced entry today."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ServiceError(
            "A recurring entry has a name of 1 to 200 characters.",
            fields={"name": ["Give it a name of at most 200 characters."]},
        )
    if not 1 <= day_of_month <= 28:
        raise ServiceError(
            "The day of the month is 1 to 28, so that every month has it.",
            fields={"day_of_month": ["From 1 to 28."]},
        )
    with transaction.atomic():
        built = lines_build(lines)
        recurring = RecurringEntry.objects.create(
            name=name,
            memo=(memo or "").strip()[:500],
            day_of_month=day_of_month,
            created_by=actor_of(acting_user),
        )
        RecurringEntryLine.objects.bulk_create(
            RecurringEntryLine(
                recurring=recurring,
                account=line.account,
                fund=line.fund,
                debit=line.debit,
                credit=line.credit,
                function=line.function,
                program=line.program,
                memo=line.memo,
            )
            for line in built
        )
        audit_record("recurring.create", acting_user=acting_user, obj=recurring, name=name)
    return recurring


def recurring_post(
    *, recurring: RecurringEntry, month: date, acting_user: User | None
) -> JournalEntry:
    """Make and post the entry of `month` (any day of it), dated on the template's day."""
    first = month.replace(day=1)
    with transaction.atomic():
        recurring = RecurringEntry.objects.select_for_update().get(pk=recurring.pk)
        if not recurring.is_active:
            raise StateConflict(f"“{recurring.name}” is no longer in use.")
        done = RecurringPosting.objects.filter(recurring=recurring, month=first).first()
        if done is not None:
            raise StateConflict(
                f"“{recurring.name}” is already posted for {first:%B %Y}: entry "
                f"{done.entry.number}."
            )
        specs = [
            LineSpec(
                account=line.account.code,
                fund=line.fund.code,
                debit=line.debit or None,
                credit=line.credit or None,
                function=line.function,
                program=line.program.code if line.program else None,
                memo=line.memo,
            )
            for line in recurring.lines.select_related("account", "fund", "program")
        ]
        entry = entry_record(
            date=first.replace(day=recurring.day_of_month),
            memo=f"{recurring.memo or recurring.name}, {first:%B %Y}",
            lines=specs,
            source=EntrySource.MANUAL,
            source_reference=f"recurring:{recurring.pk}:{first:%Y-%m}",
            acting_user=acting_user,
        )
        RecurringPosting.objects.create(recurring=recurring, month=first, entry=entry)
        audit_record(
            "recurring.post",
            acting_user=acting_user,
            obj=recurring,
            month=f"{first:%Y-%m}",
            entry=entry.number,
        )
    return entry
