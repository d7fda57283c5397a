"""The month-end close's checklist: what is still open in the books for a month, each item with
how many there are and the page that settles them. Accounting checks its own journal; other apps
add their checks with closing_check_register() from their AppConfig.ready (donations adds open
deposits and gifts not yet posted), so accounting never imports them.

A check is one aggregate query whatever the number of rows, so the close page and the checklist
API run a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from tenant_apps.accounting.models import EntryState, JournalEntry


@dataclass(frozen=True)
class ClosingItem:
    """One line of the checklist. `url` is the page that settles the items ("" where the page
    is not routed in this deployment); `blocks` says the month cannot close while any is open."""

    name: str
    label: str
    count: int
    url: str
    action: str
    blocks: bool = False

    @property
    def done(self) -> bool:
        return self.count == 0


# A check takes the month's first and last day.
ClosingCheck = Callable[[date, date], ClosingItem]


def page_url(url_name: str, **query: str) -> str:
    """The page's URL with its filters, or "" when the page is not routed here."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def draft_entries_check(start: date, end: date) -> ClosingItem:
    """Draft journal entries dated in the month. They block the close: once the month is
    closed, a draft dated in it could never be posted."""
    count = JournalEntry.objects.filter(
        state=EntryState.DRAFT, date__gte=start, date__lte=end
    ).count()
    return ClosingItem(
        name="accounting.draft_entries",
        label="Draft journal entries dated in the month",
        count=count,
        url=page_url(
            "accounting:journal", state="draft", start=start.isoformat(), end=end.isoformat()
        ),
        action="Post or delete them",
        blocks=True,
    )


CLOSING_CHECKS: list[tuple[str, ClosingCheck]] = [
    ("accounting.draft_entries", draft_entries_check),
]


def closing_check_register(name: str, check: ClosingCheck) -> None:
    """Add another app's check to the checklist, after those already there. Idempotent by
    name."""
    if name not in {existing for existing, _ in CLOSING_CHECKS}:
        CLOSING_CHECKS.append((name, check))


def closing_checklist(*, start: date, end: date) -> list[ClosingItem]:
    """The checklist of the month from `start` to `end`: one query a check."""
    return [check(start, end) for _, check in CLOSING_CHECKS]
