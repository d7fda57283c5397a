"""The journal pages: the list (filters, sort, CSV, a fixed number of queries), an entry's page
with its actions by capability, and the entry form (draft, post, out-of-balance refusals,
drafts edited), with nothing of another organization."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import EntryState, JournalEntry
from tenant_apps.accounting.navigation import tab_links
from tenant_apps.accounting.services.lines import LineSpec
from tenant_apps.accounting.tests.factories import JournalEntryFactory
from tenant_apps.core.models import AuditEvent
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

JOURNAL = "/accounting/journal/"


def _entry(alpha: Tenant, **fields: Any) -> JournalEntry:
    with schema_context("alpha"):
        return JournalEntryFactory.create(**fields)


def _lines(*rows: dict[str, str]) -> dict[str, str]:
    """The entry form's line fields as a browser posts them."""
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for name in ("account", "fund", "function", "program", "debit", "credit", "memo"):
            data[f"lines-{index}-{name}"] = row.get(name, "")
    return data


SUPPLIES = (
    {
        "account": "8110 Supplies",
        "fund": "GEN General",
        "debit": "200.00",
        "function": "management_general",
    },
    {"account": "8110", "fund": "GEN", "debit": "100.00", "function": "fundraising"},
    {"account": "1010", "fund": "GEN", "credit": "300.00"},
)


def _form(
    day: date | None = None, memo: str = "Supplies", *, action: str, rows: Any = SUPPLIES
) -> dict[str, str]:
    return {
        "date": (day or timezone.localdate()).isoformat(),
        "memo": memo,
        "action": action,
        **_lines(*rows),
    }


def _count() -> int:
    with schema_context("alpha"):
        return JournalEntry.objects.count()


# --- The list -----------------------------------------------------------------------------


def test_the_journal_is_a_tab_of_the_books() -> None:
    links = tab_links("/accounting/journal/12/")
    assert [link.label for link in links if link.current] == ["Journal"]


def test_list_shows_entries_with_their_amount_and_links(alpha: Tenant) -> None:
    posted = _entry(alpha, memo="Rent for <March>", amount=Decimal("1250.00"), posted=True)
    draft = _entry(alpha, memo="Not yet", amount=Decimal("40.00"))

    html = alpha.client(alpha.user(Role.VIEWER)).get(JOURNAL).content.decode()

    assert f'href="/accounting/journal/{posted.pk}/">{posted.number}</a>' in html
    assert f'href="/accounting/journal/{draft.pk}/">Draft {draft.pk}</a>' in html
    assert "Rent for &lt;March&gt;" in html
    assert "$1,250.00" in html
    assert "New entry" not in html  # a viewer reads only


@pytest.mark.parametrize(
    ("query", "memos"),
    [
        ("state=draft", ["Draft one"]),
        ("state=posted", ["Gift of cash", "Old rent"]),
        ("account=8110", ["Draft one"]),
        ("fund=PRP", ["Gift of cash"]),
        ("text=rent", ["Old rent"]),
        ("source=manual&start={week_ago}", ["Draft one", "Gift of cash"]),
        ("end={week_ago}", ["Old rent"]),
    ],
)
def test_filters_select_entries(alpha: Tenant, query: str, memos: list[str]) -> None:
    today = timezone.localdate()
    week_ago = today - timedelta(days=7)
    _entry(alpha, memo="Old rent", date=today - timedelta(days=10), posted=True)
    _entry(alpha, memo="Gift of cash", fund="PRP", posted=True)
    _entry(
        alpha,
        memo="Draft one",
        lines=[
            LineSpec(account="8110", fund="GEN", debit="5.00", function="management_general"),
            LineSpec(account="1010", fund="GEN", credit="5.00"),
        ],
    )
    url = f"{JOURNAL}?{query.format(week_ago=week_ago.isoformat())}&sort=memo"

    html = alpha.client(alpha.owner).get(url).content.decode()

    shown = [
        memo for memo in ("Draft one", "Gift of cash", "Old rent") if f"<td>{memo}</td>" in html
    ]
    assert shown == memos


def test_bad_filters_are_named_and_select_nothing(alpha: Tenant) -> None:
    _entry(alpha, memo="Kept out")

    response = alpha.client(alpha.owner).get(f"{JOURNAL}?start=2026-13-45&account=nope")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid date" in html
    assert "Kept out" not in html


def test_csv_holds_what_the_filters_select(alpha: Tenant) -> None:
    _entry(alpha, memo="=HYPERLINK(1)", amount=Decimal("12.50"), posted=True)
    _entry(alpha, memo="A draft")

    response = alpha.client(alpha.owner).get(f"{JOURNAL}?state=posted&format=csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][:3] == ["Number", "Date", "Memo"]
    assert len(rows) == 2
    assert rows[1][2] == "'=HYPERLINK(1)"
    assert rows[1][5:7] == ["Posted", "$12.50"]


def test_list_runs_the_same_queries_for_many_entries(alpha: Tenant) -> None:
    from django.db import connection

    client = alpha.client(alpha.owner)
    url = f"{JOURNAL}?account=1010&state=posted&sort=amount"
    _entry(alpha, posted=True)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(12):
        _entry(alpha, posted=True)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count('href="/accounting/journal/') >= 13
    assert len(many.captured_queries) == len(few.captured_queries)


def test_empty_journal_says_what_to_do(alpha: Tenant) -> None:
    html = alpha.client(alpha.owner).get(JOURNAL).content.decode()
    assert "Write the first entry" in html


@pytest.mark.parametrize("role", [Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER])
def test_roles_that_do_not_read_the_books_are_refused(alpha: Tenant, role: str) -> None:
    entry = _entry(alpha)
    client = alpha.client(alpha.user(role))
    for path in (JOURNAL, f"{JOURNAL}{entry.pk}/"):
        assert client.get(path).status_code == 403


# --- An entry's page ----------------------------------------------------------------------


def test_entry_page_shows_lines_people_and_what_reversed_it(alpha: Tenant) -> None:
    bookkeeper = alpha.user(Role.BOOKKEEPER, email="keeper@alpha.org")
    entry = _entry(
        alpha,
        memo="Printer paper",
        acting_user=bookkeeper,
        posted=True,
        lines=[
            LineSpec(
                account="8110",
                fund="GEN",
                debit="75.00",
                function="management_general",
                memo="Paper",
            ),
            LineSpec(account="1010", fund="GEN", credit="75.00"),
        ],
    )
    client = alpha.client(bookkeeper)
    client.post(
        f"{JOURNAL}{entry.pk}/reverse/", {"date": timezone.localdate().isoformat(), "memo": ""}
    )

    html = client.get(f"{JOURNAL}{entry.pk}/").content.decode()

    assert f"Journal entry {entry.number}" in html
    assert "Management and general" in html and "management_general" not in html
    assert "$75.00" in html and "Paper" in html
    assert "keeper@alpha.org" in html
    assert "Reversed by" in html
    with schema_context("alpha"):
        reversal = JournalEntry.objects.get(reverses=entry)
    assert f'href="/accounting/journal/{reversal.pk}/">Entry {reversal.number}</a>' in html
    reversal_html = client.get(f"{JOURNAL}{reversal.pk}/").content.decode()
    assert f'href="/accounting/journal/{entry.pk}/">Entry {entry.number}</a>' in reversal_html


def test_entry_page_links_the_gift_it_came_from(alpha: Tenant) -> None:
    from tenant_apps.donations.services.gifts import gift_post
    from tenant_apps.donations.tests.factories import GiftFactory

    with schema_context("alpha"):
        gift = gift_post(gift=GiftFactory.create(), acting_user=None)
    html = alpha.client(alpha.owner).get(f"{JOURNAL}{gift.journal_entry_id}/").content.decode()
    assert f'<a href="/gifts/{gift.pk}/">Gift {gift.pk}</a>' in html
    gift_html = alpha.client(alpha.owner).get(f"/gifts/{gift.pk}/").content.decode()
    assert f'href="/accounting/journal/{gift.journal_entry_id}/">Open the entry</a>' in gift_html


def test_a_bookkeeper_posts_a_draft_from_its_page(alpha: Tenant) -> None:
    entry = _entry(alpha)
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    response = client.post(f"{JOURNAL}{entry.pk}/post/", follow=True)

    with schema_context("alpha"):
        entry.refresh_from_db()
        assert AuditEvent.objects.filter(action="entry.post", object_id=str(entry.pk)).exists()
    assert entry.state == EntryState.POSTED
    assert f"Posted as entry {entry.number}." in response.content.decode()


def test_a_reversal_dated_before_the_entry_is_refused_next_to_the_date(alpha: Tenant) -> None:
    entry = _entry(alpha, posted=True)
    client = alpha.client(alpha.owner)
    day_before = entry.date - timedelta(days=1)

    response = client.post(f"{JOURNAL}{entry.pk}/reverse/", {"date": day_before.isoformat()})

    assert response.status_code == 400
    assert "On or after" in response.content.decode()
    with schema_context("alpha"):
        assert not JournalEntry.objects.filter(reverses=entry).exists()


def test_a_draft_is_deleted_and_a_posted_entry_is_not(alpha: Tenant) -> None:
    draft = _entry(alpha)
    posted = _entry(alpha, posted=True)
    client = alpha.client(alpha.owner)

    client.post(f"{JOURNAL}{draft.pk}/delete/", {"confirm": "on"})
    response = client.post(f"{JOURNAL}{posted.pk}/delete/", {"confirm": "on"}, follow=True)

    assert "only drafts can be deleted" in response.content.decode()
    with schema_context("alpha"):
        assert list(JournalEntry.objects.values_list("pk", flat=True)) == [posted.pk]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.FUNDRAISER])
def test_readers_see_no_actions_and_are_refused_them(alpha: Tenant, role: str) -> None:
    draft = _entry(alpha)
    client = alpha.client(alpha.user(role))

    html = client.get(f"{JOURNAL}{draft.pk}/").content.decode()

    assert "Post to the books" not in html
    for action in ("post", "delete", "reverse", "edit"):
        assert client.post(f"{JOURNAL}{draft.pk}/{action}/").status_code == 403
    assert client.get(f"{JOURNAL}new/").status_code == 403
    with schema_context("alpha"):
        assert JournalEntry.objects.get(pk=draft.pk).state == EntryState.DRAFT


def test_another_organizations_entry_is_not_found(alpha: Tenant, beta: Tenant) -> None:
    entry = _entry(alpha, memo="Alpha's own", posted=True)
    beta_client = beta.client(beta.owner)

    assert beta_client.get(f"{JOURNAL}{entry.pk}/").status_code == 404
    assert "Alpha's own" not in beta_client.get(JOURNAL).content.decode()


def test_entry_page_runs_a_fixed_number_of_queries(alpha: Tenant) -> None:
    from django.db import connection

    client = alpha.client(alpha.owner)
    small = _entry(alpha, posted=True)
    big = _entry(
        alpha,
        posted=True,
        lines=[
            *[LineSpec(account="1010", fund="GEN", debit="1.00") for _ in range(9)],
            LineSpec(account="4010", fund="GEN", credit="9.00"),
        ],
    )
    client.get(f"{JOURNAL}{small.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{JOURNAL}{small.pk}/")
    with CaptureQueriesContext(connection) as many:
        client.get(f"{JOURNAL}{big.pk}/")
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The entry form -----------------------------------------------------------------------


def test_form_offers_accounts_and_funds_to_pick(alpha: Tenant) -> None:
    html = alpha.client(alpha.user(Role.BOOKKEEPER)).get(f"{JOURNAL}new/").content.decode()
    assert '<option value="1010 Operating cash"></option>' in html or 'value="1010 ' in html
    assert '<datalist id="fund-choices">' in html and 'value="GEN ' in html
    assert 'id="line-template"' in html and "accounting/journal_form" in html


def test_save_draft_makes_a_draft_with_every_line(alpha: Tenant) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))

    response = client.post(f"{JOURNAL}new/", _form(action="save"))

    assert response.status_code == 302
    with schema_context("alpha"):
        entry = JournalEntry.objects.get()
        assert entry.state == EntryState.DRAFT
        assert [(line.account.code, line.debit, line.credit) for line in entry.lines.all()] == [
            ("8110", Decimal("200.00"), Decimal("0")),
            ("8110", Decimal("100.00"), Decimal("0")),
            ("1010", Decimal("0"), Decimal("300.00")),
        ]


def test_post_puts_the_entry_in_the_books(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).post(f"{JOURNAL}new/", _form(action="post"), follow=True)

    with schema_context("alpha"):
        entry = JournalEntry.objects.get()
    assert entry.state == EntryState.POSTED
    assert f"Posted as entry {entry.number}." in response.content.decode()


def test_an_entry_out_of_balance_in_a_fund_is_refused_naming_fund_and_difference(
    alpha: Tenant,
) -> None:
    rows = (*SUPPLIES[:2], {"account": "1010", "fund": "GEN", "credit": "250.00"})

    response = alpha.client(alpha.owner).post(f"{JOURNAL}new/", _form(action="post", rows=rows))

    assert response.status_code == 400
    html = response.content.decode()
    assert "fund GEN is out of balance by $50.00" in html
    assert "nothing was saved" in html
    assert _count() == 0


def test_two_funds_each_balance_on_their_own(alpha: Tenant) -> None:
    rows = (
        {"account": "1010", "fund": "GEN", "debit": "100.00"},
        {"account": "4010", "fund": "PRP", "credit": "100.00"},
    )
    response = alpha.client(alpha.owner).post(f"{JOURNAL}new/", _form(action="post", rows=rows))

    html = response.content.decode()
    assert "fund GEN is out of balance by $100.00" in html
    assert "fund PRP is out of balance by $100.00" in html
    assert _count() == 0


def test_an_expense_line_without_a_function_is_refused_on_its_line(alpha: Tenant) -> None:
    rows = (
        {"account": "8110", "fund": "GEN", "debit": "10.00"},
        {"account": "1010", "fund": "GEN", "credit": "10.00"},
    )
    response = alpha.client(alpha.owner).post(f"{JOURNAL}new/", _form(action="save", rows=rows))

    assert response.status_code == 400
    assert "An expense line needs a function" in response.content.decode()
    assert _count() == 0


@pytest.mark.parametrize(
    "rows",
    [
        (
            {"account": "1010", "fund": "GEN", "debit": "ten"},
            {"account": "4010", "fund": "GEN", "credit": "10"},
        ),
        (
            {"account": "nope", "fund": "GEN", "debit": "10"},
            {"account": "4010", "fund": "???", "credit": "10"},
        ),
        (
            {"account": "1010", "fund": "GEN", "debit": "10", "credit": "10"},
            {"account": "4010", "fund": "GEN", "credit": "0"},
        ),
        (
            {"account": "1010", "fund": "GEN", "debit": "-5"},
            {"account": "4010", "fund": "GEN", "credit": "-5"},
        ),
        ({"account": "1010", "fund": "GEN", "debit": "1e9999"}, {}),
        ({"account": "1010", "fund": "GEN", "debit": "10"},),
    ],
)
def test_bad_lines_are_refused_and_change_nothing(alpha: Tenant, rows: Any) -> None:
    response = alpha.client(alpha.owner).post(f"{JOURNAL}new/", _form(action="post", rows=rows))

    assert response.status_code == 400
    assert 'class="alert error"' in response.content.decode()
    assert _count() == 0


def test_a_broken_management_form_is_refused_not_a_500(alpha: Tenant) -> None:
    data = _form(action="save")
    data["lines-TOTAL_FORMS"] = "x"

    response = alpha.client(alpha.owner).post(f"{JOURNAL}new/", data)

    assert response.status_code == 400
    assert _count() == 0


def test_add_a_line_without_the_script_keeps_what_was_typed(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).post(f"{JOURNAL}new/", _form(action="add-line"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-3-account"' in html
    assert 'value="8110 Supplies"' in html
    assert _count() == 0


def test_a_draft_is_edited_and_posted_from_its_form(alpha: Tenant) -> None:
    entry = _entry(alpha, memo="First go")
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    form_html = client.get(f"{JOURNAL}{entry.pk}/edit/").content.decode()
    assert 'value="1010 Operating cash"' in form_html or 'value="1010 ' in form_html

    client.post(f"{JOURNAL}{entry.pk}/edit/", _form(memo="Second go", action="save"))
    with schema_context("alpha"):
        entry.refresh_from_db()
        assert (entry.memo, entry.state, entry.lines.count()) == ("Second go", "draft", 3)
        assert AuditEvent.objects.filter(action="entry.update", object_id=str(entry.pk)).exists()

    client.post(f"{JOURNAL}{entry.pk}/edit/", _form(memo="Third go", action="post"))
    with schema_context("alpha"):
        entry.refresh_from_db()
    assert (entry.memo, entry.state) == ("Third go", EntryState.POSTED)


def test_a_posted_entry_has_no_form(alpha: Tenant) -> None:
    entry = _entry(alpha, posted=True, memo="Fixed")
    client = alpha.client(alpha.owner)

    response = client.post(f"{JOURNAL}{entry.pk}/edit/", _form(memo="Changed", action="save"))

    assert response.status_code == 302
    with schema_context("alpha"):
        entry.refresh_from_db()
    assert entry.memo == "Fixed"


def test_a_refused_post_of_an_edited_draft_leaves_the_draft_as_it_was(alpha: Tenant) -> None:
    from tenant_apps.accounting.services import periods

    entry = _entry(alpha, memo="Kept")
    last_year = timezone.localdate().replace(month=1, day=15) - timedelta(days=365)
    with schema_context("alpha"):
        period = periods.period_for_date(last_year)
        periods.period_close(period=period, acting_user=None)

    response = alpha.client(alpha.owner).post(
        f"{JOURNAL}{entry.pk}/edit/", _form(day=last_year, memo="Moved", action="post")
    )

    assert response.status_code == 400
    assert "is closed" in response.content.decode()
    with schema_context("alpha"):
        entry.refresh_from_db()
    assert (entry.memo, entry.state) == ("Kept", EntryState.DRAFT)
