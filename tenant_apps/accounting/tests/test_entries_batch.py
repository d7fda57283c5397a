"""Many entries recorded at once (entries_record): numbered in the order given, audited and
released from restriction as entry_record would, all or none, in a number of statements that
does not grow with the entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from saas_platform.lib.errors import ServiceError, StateConflict
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import (
    AccountingSettings,
    EntrySource,
    JournalEntry,
    JournalLine,
)
from tenant_apps.accounting.services import postings
from tenant_apps.accounting.services.entries import EntrySpec
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import months_closed_through
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

DAY = date(2026, 10, 15)


def gift(amount: str = "100.00", fund: str = "GEN", day: date = DAY) -> EntrySpec:
    return EntrySpec(
        date=day,
        memo=f"Gift of {amount}",
        source=EntrySource.DONATION,
        source_reference=f"gift-{amount}",
        lines=[
            LineSpec(account="1010", fund=fund, debit=amount),
            LineSpec(account="4010", fund=fund, credit=amount),
        ],
    )


def spent(amount: str, fund: str = "PRP") -> EntrySpec:
    return EntrySpec(
        date=DAY,
        memo="Supplies",
        lines=[
            LineSpec(account="8110", fund=fund, debit=amount, function="fundraising"),
            LineSpec(account="1010", fund=fund, credit=amount),
        ],
    )


def test_entries_are_posted_in_order_with_their_audit_rows_and_releases(in_alpha: Tenant) -> None:
    before = postings.entry_record(
        date=DAY, memo="Before", source="manual", lines=gift().lines, acting_user=None
    )

    recorded = postings.entries_record(
        entries=[gift("500.00", "PRP"), spent("200.00"), gift("30.00")],
        acting_user=in_alpha.owner,
    )

    assert before.number is not None
    assert [entry.number for entry in recorded] == [
        before.number + 1,
        before.number + 2,
        before.number + 3,
    ]
    for entry in recorded:
        entry.refresh_from_db()
        assert (entry.state, entry.posted_by, entry.created_by) == (
            "posted",
            in_alpha.owner,
            in_alpha.owner,
        )
        assert list(
            AuditEvent.objects.filter(object_type="journalentry", object_id=str(entry.pk))
            .order_by("id")
            .values_list("action", "detail")
        ) == [
            ("entry.create", {"source": entry.source}),
            ("entry.post", {"number": entry.number}),
        ]
    assert recorded[0].source_reference == "gift-500.00"
    assert sorted(
        (line.account.code, line.net_asset_class, line.debit, line.credit)
        for line in recorded[0].lines.select_related("account")
    ) == [
        ("1010", "with", Decimal("500.00"), Decimal("0.00")),
        ("4010", "with", Decimal("0.00"), Decimal("500.00")),
    ]
    # The expense charged to the restricted fund released as much, right after the batch.
    release = JournalEntry.objects.get(origin=recorded[1])
    assert (release.source, release.number, release.state) == (
        "release",
        before.number + 4,
        "posted",
    )
    assert sorted(
        (line.account.code, line.net_asset_class, line.debit, line.credit)
        for line in release.lines.select_related("account")
    ) == [
        ("6910", "with", Decimal("200.00"), Decimal("0.00")),
        ("6910", "without", Decimal("0.00"), Decimal("200.00")),
    ]


def test_a_release_beyond_what_the_fund_holds_refuses_the_batch(in_alpha: Tenant) -> None:
    with pytest.raises(ServiceError, match="Fund PRP holds 100.00"):
        postings.entries_record(entries=[gift("100.00", "PRP"), spent("150.00")], acting_user=None)

    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (
            EntrySpec(
                date=DAY,
                memo="Unbalanced",
                lines=[
                    LineSpec(account="1010", fund="GEN", debit="100.00"),
                    LineSpec(account="4010", fund="GEN", credit="90.00"),
                ],
            ),
            ServiceError,
            "Entry 2: The entry does not balance",
        ),
        (
            EntrySpec(
                date=DAY,
                memo="Nowhere",
                lines=[
                    LineSpec(account="9999", fund="GEN", debit="1.00"),
                    LineSpec(account="4010", fund="GEN", credit="1.00"),
                ],
            ),
            ServiceError,
            "Entry 2: Line 1, account: There is no account '9999'",
        ),
        (EntrySpec(date=DAY, memo="x" * 501, lines=gift().lines), ServiceError, "500 char"),
    ],
)
def test_one_bad_entry_writes_nothing(
    in_alpha: Tenant, bad: EntrySpec, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        postings.entries_record(entries=[gift(), bad, gift()], acting_user=None)

    assert not JournalEntry.objects.exists()
    assert not JournalLine.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="entry.").exists()


def test_an_entry_in_a_closed_month_refuses_the_batch(in_alpha: Tenant) -> None:
    months_closed_through(date(2026, 9, 1))

    with pytest.raises(StateConflict, match="is closed"):
        postings.entries_record(entries=[gift(), gift(day=date(2026, 9, 30))], acting_user=None)

    assert not JournalEntry.objects.exists()


def test_the_statements_do_not_grow_with_the_entries(in_alpha: Tenant) -> None:
    counts = []
    for size in (2, 20):
        with CaptureQueriesContext(connection) as queries:
            postings.entries_record(
                entries=[gift(f"{n + 1}.00", day=date(2026, 10, 1 + n)) for n in range(size)],
                acting_user=None,
            )
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert JournalEntry.objects.filter(state="posted").count() == 22


def test_a_batch_takes_its_numbers_in_one_statement_and_new_books_start_at_one(
    in_alpha: Tenant,
) -> None:
    """Given books whose settings row was never made, when two batches are recorded, then the
    first makes the row and is numbered from 1, and the second takes its numbers, locking the
    row, in one statement."""
    AccountingSettings.objects.all().delete()
    JournalEntry.objects.all().delete()

    first = postings.entries_record(entries=[gift("1.00"), gift("2.00")], acting_user=None)
    with CaptureQueriesContext(connection) as queries:
        second = postings.entries_record(entries=[gift("3.00"), gift("4.00")], acting_user=None)

    assert [entry.number for entry in first + second] == [1, 2, 3, 4]
    assert AccountingSettings.objects.get().next_entry_number == 5
    touching = [q["sql"] for q in queries if "accounting_accountingsettings" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("UPDATE"), touching


def _chart_reads(queries: CaptureQueriesContext) -> list[str]:
    """The statements that read accounts, funds or programs."""
    tables = ("accounting_account", "accounting_fund", "accounting_program")
    return [
        query["sql"]
        for query in queries
        if query["sql"].startswith("SELECT")
        and any(f'FROM "{table}"' in query["sql"] for table in tables)
    ]


def test_inside_a_kept_block_the_chart_is_read_once_and_what_was_missing_is_read_again(
    in_alpha: Tenant,
) -> None:
    """Given a books_reference_kept() block, when batches are recorded in it, then each
    account and fund is read by the first batch that names it only, a fund that does not
    exist is refused each time it is named, and the settings row is read once; outside the
    block every batch reads them again."""
    with accounting.books_reference_kept():
        with CaptureQueriesContext(connection) as first:
            postings.entries_record(entries=[gift("1.00")], acting_user=None)
        with CaptureQueriesContext(connection) as second:
            postings.entries_record(
                entries=[gift("2.00", fund="PRP"), spent("1.00")], acting_user=None
            )
        with CaptureQueriesContext(connection) as third:
            postings.entries_record(
                entries=[gift("3.00"), gift("4.00", fund="PRP")], acting_user=None
            )
        for _ in range(2):
            with (
                CaptureQueriesContext(connection) as missing,
                pytest.raises(ServiceError, match="There is no fund 'NOPE'"),
            ):
                postings.entries_record(entries=[gift("5.00", fund="NOPE")], acting_user=None)
            assert [sql for sql in _chart_reads(missing) if "accounting_fund" in sql]
        assert accounting.accounting_settings() is accounting.accounting_settings()
    with CaptureQueriesContext(connection) as outside:
        postings.entries_record(entries=[gift("6.00")], acting_user=None)

    assert len(_chart_reads(first)) == 2  # its accounts, its fund
    # 8110 and PRP (the rest kept), and the release's accounts, which posting reads itself.
    assert len(_chart_reads(second)) == 3
    assert _chart_reads(third) == []
    assert len(_chart_reads(outside)) == 2
    assert accounting.accounting_settings() is not accounting.accounting_settings()
    numbers = JournalEntry.objects.order_by("number").values_list("number", flat=True)
    assert list(numbers) == list(range(1, 8))  # the release of the spending among them


def _reversal_of(entry: JournalEntry, memo: str = "") -> EntrySpec:
    return EntrySpec(
        date=DAY,
        memo=memo,
        lines=(),
        source=EntrySource.REVERSAL,
        source_reference=str(entry.number),
        reverses=entry,
    )


def _as_written(entry: JournalEntry) -> tuple[object, ...]:
    """An entry as the books and the log hold it, numbers and ids aside."""
    entry.refresh_from_db()
    return (
        entry.memo,
        entry.source,
        entry.state,
        entry.reverses.state if entry.reverses else None,
        tuple(
            entry.lines.order_by("id").values_list(
                "account__code", "fund__code", "net_asset_class", "debit", "credit", "function"
            )
        ),
        tuple(
            AuditEvent.objects.filter(object_type="journalentry", object_id__in=[entry.pk])
            .order_by("id")
            .values_list("action")
        ),
        tuple(
            AuditEvent.objects.filter(
                object_type="journalentry", object_id=str(entry.reverses_id), action="entry.reverse"
            ).values_list("detail", flat=True)
        )
        == ({"reversal": entry.number},),
    )


def test_a_reversal_in_a_batch_is_written_as_entry_reverse_writes_it(in_alpha: Tenant) -> None:
    """Given four posted entries, when one is reversed by entry_reverse and two in a batch
    beside a new entry (one with a memo of its own, one without), then each batch reversal
    has the lines, states, memo and log entry_reverse gives, and the batch is numbered in
    order."""
    originals = [
        postings.entry_record(
            date=DAY,
            memo=f"Gift {n}",
            source="donation",
            lines=gift("10.00").lines,
            acting_user=None,
        )
        for n in (1, 2, 3)
    ]
    alone = accounting.entry_reverse(entry=originals[0], acting_user=None, date=DAY)

    batch = postings.entries_record(
        entries=[_reversal_of(originals[1]), gift("9.00"), _reversal_of(originals[2], "Refund")],
        acting_user=None,
    )

    assert alone.number is not None
    assert [entry.number for entry in batch] == [alone.number + n for n in (1, 2, 3)]
    assert _as_written(batch[0])[1:] == _as_written(alone)[1:]
    assert _as_written(batch[0])[0] == f"Reversal of entry {originals[1].number}"
    assert _as_written(batch[2])[0] == "Refund"
    assert batch[1].reverses is None
    assert JournalEntry.objects.filter(state="reversed").count() == 3


@pytest.mark.parametrize("case", ["twice", "a reversal", "releases", "earlier"])
def test_a_reversal_entry_reverse_would_refuse_refuses_the_batch(
    in_alpha: Tenant, case: str
) -> None:
    """An entry reversed twice, a reversal reversed, an entry with releases of its own and a
    reversal dated before its entry each refuse the whole batch, and nothing is written."""
    posted = postings.entries_record(
        entries=[gift("500.00", "PRP"), spent("200.00")], acting_user=None
    )
    reversal = accounting.entry_reverse(entry=posted[0], acting_user=None, date=DAY)
    specs = {
        "twice": [_reversal_of(posted[1]), _reversal_of(posted[1])],
        "a reversal": [_reversal_of(reversal)],
        "releases": [_reversal_of(posted[1])],
        "earlier": [replace(_reversal_of(posted[1]), date=date(2026, 10, 1))],
    }[case]
    entries = JournalEntry.objects.count()

    with pytest.raises((ServiceError, StateConflict)):
        postings.entries_record(entries=[gift("1.00"), *specs], acting_user=None)

    assert JournalEntry.objects.count() == entries
    assert JournalEntry.objects.get(pk=posted[1].pk).state == "posted"
