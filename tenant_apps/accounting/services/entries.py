"""Writes to journal entries: drafting, deleting, posting (with the release from restriction
that an expense of a restricted fund makes) and reversing. Each service owns its transaction and
writes its audit row in it; ServiceError, with nothing written, for what it refuses. The
database's triggers (migrations 0003_ledger_rules and 0004_ledger_rules_static) hold the same
rules against any other writer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from saas_platform.lib.bulk import rows_insert, rows_update
from saas_platform.lib.errors import ServiceError, StateConflict
from saas_platform.lib.inputs import date_check
from saas_platform.lib.transactions import all_or_none
from tenant_apps.accounting.models import (
    LEDGER_STATES,
    Account,
    AccountingSettings,
    AccountType,
    EntrySource,
    EntryState,
    Fund,
    JournalEntry,
    JournalLine,
    NetAssetClass,
    Restriction,
)
from tenant_apps.accounting.selectors import accounting_settings
from tenant_apps.accounting.services.lines import (
    LineSpec,
    chart_named_by,
    lines_build,
    lines_recheck,
)
from tenant_apps.accounting.services.periods import period_open_check, periods_open_check
from tenant_apps.core.services import actor_of, audit_event, audit_events_record, audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

# The release account for each kind of restriction (UCOA 6900s); perpetual funds are not spent.
RELEASE_ACCOUNT_OF_RESTRICTION = {Restriction.PURPOSE: "6910", Restriction.TIME: "6920"}


# --- Drafts -------------------------------------------------------------------------------


def _memo_check(memo: str) -> str:
    memo = (memo or "").strip()
    if len(memo) > 500:
        raise ServiceError("A memo has at most 500 characters.", fields={"memo": ["Too long."]})
    return memo


def entry_create(
    *,
    date: date,
    memo: str,
    lines: Sequence[LineSpec],
    acting_user: User | None,
    source: str = EntrySource.MANUAL,
    source_reference: str = "",
) -> JournalEntry:
    """A draft entry with its lines, checked and balanced; `entry_post` puts it in the books."""
    if source not in EntrySource.values:
        raise ServiceError(f"Unknown source {source!r}.", fields={"source": ["Unknown source."]})
    date = date_check(date)
    memo = _memo_check(memo)
    with transaction.atomic():
        period_open_check(date, action="drafted")
        built = lines_build(lines)
        entry = JournalEntry.objects.create(
            date=date,
            memo=memo,
            source=source,
            source_reference=(source_reference or "")[:100],
            created_by=actor_of(acting_user),
        )
        for line in built:
            line.entry = entry
        rows_insert(built)
        audit_record("entry.create", acting_user=acting_user, obj=entry, source=source)
    return entry


def entry_update(
    *,
    entry: JournalEntry,
    date: date,
    memo: str,
    lines: Sequence[LineSpec],
    acting_user: User | None,
) -> JournalEntry:
    """Rewrite a draft: its date, memo and every line, checked as `entry_create` checks them.
    A posted entry is never changed; it is reversed."""
    date = date_check(date)
    memo = _memo_check(memo)
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != EntryState.DRAFT:
            raise StateConflict(
                f"Journal entry {entry.number} is {entry.state}; only drafts can be changed. "
                "Reverse it instead."
            )
        # The period the draft leaves is not checked: moving a draft out of a closed period
        # is what lets that period be closed again.
        period_open_check(date, action="drafted")
        built = lines_build(lines)
        entry.date = date
        entry.memo = memo
        entry.save(update_fields=["date", "memo"])
        JournalLine.objects.filter(entry=entry).delete()
        for line in built:
            line.entry = entry
        rows_insert(built)
        audit_record(
            "entry.update", acting_user=acting_user, obj=entry, date=str(date), lines=len(built)
        )
    return entry


def entry_delete(*, entry: JournalEntry, acting_user: User | None) -> None:
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != EntryState.DRAFT:
            raise StateConflict(
                f"Journal entry {entry.number} is {entry.state}; only drafts can be deleted. "
                "Reverse it instead."
            )
        audit_record(
            "entry.delete",
            acting_user=acting_user,
            obj=entry,
            date=str(entry.date),
            memo=entry.memo,
        )
        JournalLine.objects.filter(entry=entry).delete()
        entry.delete()


# --- Posting ------------------------------------------------------------------------------


def _number_next(count: int = 1) -> int:
    """The next entry number, and `count - 1` after it, taken for this transaction: the
    settings' one row (pk 1, singleton_get) moved on, and locked, in one statement."""
    number = _numbers_taken(count)
    if number is None:  # the row is made with its defaults when first read
        accounting_settings()
        number = _numbers_taken(count)
    if number is None:
        raise StateConflict("The accounting settings could not be read; try again.")
    return number


def _numbers_taken(count: int) -> int | None:
    table = connection.ops.quote_name(AccountingSettings._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_entry_number = next_entry_number + %s, "  # noqa: S608
            "updated_at = %s WHERE id = 1 RETURNING next_entry_number - %s",
            [count, timezone.now(), count],
        )
        row = cursor.fetchone()
    return int(row[0]) if row is not None else None


def _post(entry: JournalEntry, *, acting_user: User | None) -> JournalEntry:
    period_open_check(entry.date)
    entry.number = _number_next()
    entry.state = EntryState.POSTED
    entry.posted_by = actor_of(acting_user)
    entry.posted_at = timezone.now()
    entry.save(update_fields=["number", "state", "posted_by", "posted_at"])
    audit_record("entry.post", acting_user=acting_user, obj=entry, number=entry.number)
    return entry


def entry_post(*, entry: JournalEntry, acting_user: User | None) -> JournalEntry:
    """Post a draft: it gets the next number, and an expense charged to a restricted fund
    releases that much from restriction in a second entry, both in this transaction."""
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state != EntryState.DRAFT:
            raise StateConflict(f"Journal entry {entry.number} is already {entry.state}.")
        lines = list(entry.lines.select_related("account", "fund", "program"))
        lines_recheck(lines)
        _post(entry, acting_user=acting_user)
        if entry.source not in (EntrySource.RELEASE, EntrySource.REVERSAL):
            _release_for(entry, lines, acting_user=acting_user)
    return entry


@dataclass(frozen=True)
class EntrySpec:
    """One entry of a batch (entries_create_post): what entry_create takes, but the user."""

    date: date
    memo: str
    lines: Sequence[LineSpec]
    source: str = EntrySource.MANUAL
    source_reference: str = ""
    # A reversal (entry_reverse's, in a batch): the posted entry whose lines it turns around,
    # `lines` empty and `source` EntrySource.REVERSAL. An entry with releases it generated is
    # reversed on its own (entry_reverse), with them.
    reverses: JournalEntry | None = None


def entries_create_post(
    *, specs: Sequence[EntrySpec], acting_user: User | None
) -> list[JournalEntry]:
    """Create and post many entries in one transaction, all or none, each checked as
    entry_create and entry_post check one and written with the same rows (lines, numbers in
    the batch's order, audit rows, releases from restriction): the chart read once, each
    period locked once, and every entry, line and audit row written in one statement each. A
    release is checked against the books as of its entry's date, the whole batch posted. A
    reversal (`reverses`) is written as entry_reverse writes it: the entry it reverses marked
    reversed, and audited as entry_reverse audits it."""
    if not specs:
        return []
    for spec in specs:
        if spec.source not in EntrySource.values:
            raise ServiceError(
                f"Unknown source {spec.source!r}.", fields={"source": ["Unknown source."]}
            )
    dates = [date_check(spec.date) for spec in specs]
    memos = [_memo_check(spec.memo) for spec in specs]
    with all_or_none():
        periods_open_check(dates)
        turned = _reversals_checked(specs)
        chart = chart_named_by([line for spec in specs for line in spec.lines])
        built: list[list[JournalLine]] = []
        for index, spec in enumerate(specs):
            if spec.reverses is not None:
                built.append(turned[spec.reverses.pk])
                memos[index] = memos[index] or f"Reversal of entry {spec.reverses.number}"
                continue
            try:
                built.append(lines_build(spec.lines, chart=chart))
            except ServiceError as error:
                raise ServiceError(
                    f"Entry {index + 1}: {error.message}", fields=error.fields
                ) from error
        actor = actor_of(acting_user)
        entries = rows_insert(
            [
                JournalEntry(
                    date=day,
                    memo=memo,
                    source=spec.source,
                    source_reference=(spec.source_reference or "")[:100],
                    reverses=spec.reverses,
                    created_by=actor,
                )
                for spec, day, memo in zip(specs, dates, memos, strict=True)
            ]
        )
        for entry, lines in zip(entries, built, strict=True):
            for line in lines:
                line.entry = entry
        rows_insert([line for lines in built for line in lines])
        first = _number_next(len(entries))
        posted_at = timezone.now()
        for offset, entry in enumerate(entries):
            entry.number = first + offset
            entry.state = EntryState.POSTED
            entry.posted_by = actor
            entry.posted_at = posted_at
        rows_update(
            JournalEntry,
            per_row="number",
            values={entry.pk: first + offset for offset, entry in enumerate(entries)},
            state=EntryState.POSTED.value,
            posted_by_id=actor.pk if actor else None,
            posted_at=posted_at,
        )
        _posted_audit(entries, acting_user=acting_user)
        for entry, lines in zip(entries, built, strict=True):
            if entry.source not in (EntrySource.RELEASE, EntrySource.REVERSAL):
                _release_for(entry, lines, acting_user=acting_user)
    return entries


def _posted_audit(entries: Sequence[JournalEntry], *, acting_user: User | None) -> None:
    """The batch's audit rows, in one statement: each entry created and posted; a reversal
    posted, and the entry it reverses marked reversed, as entry_reverse audits them."""
    events = []
    for entry in entries:
        if entry.reverses is None:
            events.append(
                audit_event("entry.create", acting_user=acting_user, obj=entry, source=entry.source)
            )
        events.append(
            audit_event("entry.post", acting_user=acting_user, obj=entry, number=entry.number)
        )
    reversed_by = [(entry.reverses, entry) for entry in entries if entry.reverses is not None]
    if reversed_by:
        JournalEntry.objects.filter(pk__in=[original.pk for original, _ in reversed_by]).update(
            state=EntryState.REVERSED
        )
        for original, reversal in reversed_by:
            original.state = EntryState.REVERSED
            events.append(
                audit_event(
                    "entry.reverse", acting_user=acting_user, obj=original, reversal=reversal.number
                )
            )
    audit_events_record(events)


def _reversals_checked(specs: Sequence[EntrySpec]) -> dict[int, list[JournalLine]]:
    """The batch's reversals checked as entry_reverse checks one (the entries they reverse
    locked, in one query): each reversed entry's lines turned around, by its id."""
    originals = [spec.reverses.pk for spec in specs if spec.reverses is not None]
    if not originals:
        return {}
    if len(set(originals)) != len(originals):
        raise StateConflict("A batch reverses an entry once.")
    locked = JournalEntry.objects.select_for_update().in_bulk(originals)
    for spec in specs:
        if spec.reverses is None:
            continue
        if spec.source != EntrySource.REVERSAL or spec.lines:
            raise ServiceError("A reversal has the reversal source and no lines of its own.")
        _reversible_check(locked[spec.reverses.pk], day=spec.date)
    if JournalEntry.objects.filter(origin_id__in=originals, state=EntryState.POSTED).exists():
        raise StateConflict(
            "An entry that generated releases is reversed on its own, with its releases."
        )
    turned: dict[int, list[JournalLine]] = {pk: [] for pk in originals}
    for line in JournalLine.objects.filter(entry_id__in=originals).order_by("id"):
        turned[line.entry_id].append(_turned(line))
    return turned


def _turned(line: JournalLine) -> JournalLine:
    """The line with its sides swapped, for a reversal (not yet saved, no entry yet)."""
    return JournalLine(
        account_id=line.account_id,
        fund_id=line.fund_id,
        net_asset_class=line.net_asset_class,
        debit=line.credit,
        credit=line.debit,
        function=line.function,
        program_id=line.program_id,
        memo=line.memo,
    )


def entry_update_post(
    *,
    entry: JournalEntry,
    date: date,
    memo: str,
    lines: Sequence[LineSpec],
    acting_user: User | None,
) -> JournalEntry:
    """Rewrite a draft and post it, in one transaction: refused, the draft stays as it was."""
    with transaction.atomic():
        entry = entry_update(
            entry=entry, date=date, memo=memo, lines=lines, acting_user=acting_user
        )
        return entry_post(entry=entry, acting_user=acting_user)


def _release_for(
    entry: JournalEntry, lines: Sequence[JournalLine], *, acting_user: User | None
) -> JournalEntry | None:
    """Expenses charged to a purpose- or time-restricted fund satisfy the restriction: the
    with-restrictions class gives that amount and the without-restrictions class receives it,
    on the fund's 6900 release account (ASC 958-205-45)."""
    spent: dict[int, Decimal] = defaultdict(Decimal)
    funds: dict[int, Fund] = {}
    for line in lines:
        if (
            line.account.type == AccountType.EXPENSE
            and line.fund.restriction in RELEASE_ACCOUNT_OF_RESTRICTION
        ):
            spent[line.fund_id] += line.debit - line.credit
            funds[line.fund_id] = line.fund
    spent = {fund_id: amount for fund_id, amount in spent.items() if amount}
    if not spent:
        return None
    restricted = dict(
        JournalLine.objects.filter(
            fund_id__in=spent,
            net_asset_class=NetAssetClass.WITH,
            account__type__in=[AccountType.NET_ASSETS, AccountType.REVENUE, AccountType.EXPENSE],
            entry__state__in=LEDGER_STATES,
            entry__date__lte=entry.date,
        )
        .values_list("fund_id")
        .annotate(balance=Sum("credit") - Sum("debit"))
    )
    release_accounts = {
        a.code: a for a in Account.objects.filter(code__in=RELEASE_ACCOUNT_OF_RESTRICTION.values())
    }
    release_lines = []
    for fund_id, amount in sorted(spent.items()):
        fund = funds[fund_id]
        available = restricted.get(fund_id) or Decimal("0")
        if amount > available:
            raise ServiceError(
                f"Fund {fund.code} holds {available:.2f} with donor restrictions on "
                f"{entry.date}; this entry would release {amount:.2f}. Charge the excess to a "
                "fund without donor restrictions.",
                fields={"lines": [f"Fund {fund.code} has too little restricted net assets."]},
            )
        release_code = RELEASE_ACCOUNT_OF_RESTRICTION[Restriction(fund.restriction)]
        account = release_accounts.get(release_code)
        if account is None:
            raise ServiceError(
                f"The release account {release_code} is missing from the chart of accounts."
            )
        # A net credit (an expense refund) puts the restriction back: the same pair, reversed.
        given, received = (amount, Decimal("0")) if amount > 0 else (Decimal("0"), -amount)
        release_lines += [
            JournalLine(
                account=account,
                fund=fund,
                net_asset_class=NetAssetClass.WITH,
                debit=given,
                credit=received,
                memo="Released from restriction",
            ),
            JournalLine(
                account=account,
                fund=fund,
                net_asset_class=NetAssetClass.WITHOUT,
                debit=received,
                credit=given,
                memo="Released from restriction",
            ),
        ]
    release = JournalEntry.objects.create(
        date=entry.date,
        memo=f"Release from restriction for entry {entry.number}",
        source=EntrySource.RELEASE,
        source_reference=str(entry.number),
        origin=entry,
        created_by=actor_of(acting_user),
    )
    for line in release_lines:
        line.entry = release
    rows_insert(release_lines)
    return _post(release, acting_user=acting_user)


def post_generated(
    *,
    date: date,
    memo: str,
    source: str,
    source_reference: str,
    lines: Sequence[JournalLine],
    acting_user: User | None,
) -> JournalEntry:
    """Post an entry the books make themselves (a release from restriction), its lines built by
    the caller with their net-asset classes set. In the caller's transaction."""
    period_open_check(date)
    entry = JournalEntry.objects.create(
        date=date,
        memo=memo,
        source=source,
        source_reference=source_reference,
        created_by=actor_of(acting_user),
    )
    for line in lines:
        line.entry = entry
    rows_insert(lines)
    return _post(entry, acting_user=acting_user)


# --- Reversing ----------------------------------------------------------------------------


def entry_reverse(
    *, entry: JournalEntry, acting_user: User | None, date: date | None = None, memo: str = ""
) -> JournalEntry:
    """Reverse a posted entry with a new entry of the opposite sides, dated `date` (the
    original's date by default). Releases the entry generated are reversed with it."""
    if date is not None:
        date_check(date)
    with transaction.atomic():
        entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
        _reversible_check(entry, day=date)
        reversal = _reverse_one(entry, acting_user=acting_user, day=date or entry.date, memo=memo)
        for generated in JournalEntry.objects.select_for_update().filter(
            origin=entry, state=EntryState.POSTED
        ):
            _reverse_one(generated, acting_user=acting_user, day=date or entry.date, memo="")
    return reversal


def _reversible_check(entry: JournalEntry, *, day: date | None) -> None:
    """Whether the (locked) entry can be reversed by an entry dated `day` (its own date when
    None), or the reason it cannot."""
    if entry.state != EntryState.POSTED:
        raise StateConflict(
            f"Journal entry {entry.number or entry.pk} is {entry.state}; only posted entries "
            "can be reversed."
        )
    if day is not None and day < entry.date:
        # Dated earlier, the reversal would take the amounts out of the books before they
        # were in: a period (even a fiscal year) would open with negative balances.
        raise ServiceError(
            f"A reversal cannot be dated before the entry it reverses ({entry.date.isoformat()}).",
            fields={"date": [f"On or after {entry.date.isoformat()}."]},
        )
    if entry.source == EntrySource.REVERSAL:
        raise StateConflict(
            f"Journal entry {entry.number} is itself a reversal; post a new entry instead."
        )
    if entry.source == EntrySource.RELEASE and entry.origin is not None:
        raise StateConflict(
            f"Journal entry {entry.number} is a release generated by entry "
            f"{entry.origin.number}; reverse that entry and its release goes with it."
        )


def _reverse_one(
    entry: JournalEntry, *, acting_user: User | None, day: date, memo: str
) -> JournalEntry:
    memo = _memo_check(memo) or f"Reversal of entry {entry.number}"
    reversal = JournalEntry.objects.create(
        date=day,
        memo=memo,
        source=EntrySource.REVERSAL,
        source_reference=str(entry.number),
        reverses=entry,
        created_by=actor_of(acting_user),
    )
    lines = [_turned(line) for line in entry.lines.all()]
    for line in lines:
        line.entry = reversal
    rows_insert(lines)
    _post(reversal, acting_user=acting_user)
    entry.state = EntryState.REVERSED
    entry.save(update_fields=["state"])
    audit_record("entry.reverse", acting_user=acting_user, obj=entry, reversal=reversal.number)
    return reversal
