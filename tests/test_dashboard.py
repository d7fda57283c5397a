"""The dashboard at an organization's `/`: what each role sees and does not, its figures on
gifts made today and a year ago, empty states, the setup checklist, escaping, a fixed number
of queries whatever the data, and nothing of another organization."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Organization
from shared_apps.users.models import Invitation
from shared_apps.users.roles import Role
from tenant_apps.accounting import services as accounting
from tenant_apps.accounting.models import FiscalPeriod
from tenant_apps.accounting.tests.factories import months_closed_before, months_closed_through
from tenant_apps.banking.models import BankStatement, Reconciliation, ReconciliationState
from tenant_apps.banking.tests.factories import statement_made
from tenant_apps.donations.dashboard import a_year_before
from tenant_apps.donations.services.campaigns import campaign_create
from tenant_apps.donations.services.deposits import deposit_add_gift, deposit_create
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.tests.factories import DonorFactory, donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

GIVING = '<h2 id="giving">Giving</h2>'
CAMPAIGNS = '<h2 id="campaigns">'
LAPSED = '<h2 id="lapsed">'
DRAFTS_WAITING = '<h2 id="drafts">'
DRAFTS_TO_POST = '<h2 id="to-post">'
DEPOSITS = '<h2 id="deposits">'
CASH = '<h2 id="cash">'
MONTHS = '<h2 id="months">'
UNRECONCILED = '<h2 id="unreconciled">'
WELCOME = '<h2 id="welcome">'
RECORD_A_GIFT = '<a class="button primary" href="/gifts/new/">Record a gift</a>'
ADD_A_DONOR = '<a class="button" href="/donors/new/">Add a donor</a>'

FUNDRAISING = (GIVING, CAMPAIGNS, LAPSED)
BOOKS = (DRAFTS_TO_POST, DEPOSITS, CASH, MONTHS, UNRECONCILED)


def _page(alpha: Tenant, role: str) -> str:
    user = alpha.owner if role == Role.OWNER else alpha.user(role)
    response = alpha.client(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


def _finish_setup() -> None:
    receipt_settings_update(
        legal_name="Alpha Relief Fund",
        ein="12-3456789",
        signatory_name="Grace Hopper",
        acting_user=None,
    )
    GiftFactory.create(donor=DonorFactory.create())
    organization = Organization.objects.get(slug="alpha")
    organization.stripe_account_id = "acct_1TestAlpha"
    organization.stripe_charges_enabled = True
    organization.save()  # a save: the routing cache forgets the organization it held
    Invitation.objects.create(
        email="colleague@alpha.org",
        role=Role.BOOKKEEPER,
        token_hash="0" * 64,
        expires_at=timezone.now() + timedelta(days=7),
    )


# --- Who sees what ----------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_log_in(alpha: Tenant) -> None:
    response = alpha.client().get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.OWNER, FUNDRAISING + BOOKS + (RECORD_A_GIFT, ADD_A_DONOR), (DRAFTS_WAITING, WELCOME)),
        (Role.ADMIN, FUNDRAISING + BOOKS + (RECORD_A_GIFT, ADD_A_DONOR), (DRAFTS_WAITING, WELCOME)),
        (Role.FUNDRAISER, FUNDRAISING + (DRAFTS_WAITING, RECORD_A_GIFT, ADD_A_DONOR), BOOKS),
        (Role.BOOKKEEPER, BOOKS + (RECORD_A_GIFT,), FUNDRAISING + (DRAFTS_WAITING, ADD_A_DONOR)),
        (Role.VIEWER, FUNDRAISING + BOOKS, (DRAFTS_WAITING, RECORD_A_GIFT, ADD_A_DONOR, WELCOME)),
        (Role.VOLUNTEER_COORDINATOR, (), FUNDRAISING + BOOKS + (DRAFTS_WAITING, RECORD_A_GIFT)),
        (Role.VOLUNTEER, (WELCOME,), FUNDRAISING + BOOKS + (DRAFTS_WAITING, RECORD_A_GIFT)),
    ],
)
def test_each_role_sees_its_own_desk(
    alpha: Tenant, role: str, shown: tuple[str, ...], hidden: tuple[str, ...]
) -> None:
    html = _page(alpha, role)

    for piece in shown:
        assert piece in html, piece
    for piece in hidden:
        assert piece not in html, piece


def test_a_volunteer_is_told_what_they_can_do(alpha: Tenant) -> None:
    html = _page(alpha, Role.VOLUNTEER)

    assert "Log your volunteer hours" in html
    assert 'href="/api/docs/"' in html
    assert "/donors/" not in html and "/gifts/" not in html


def test_the_account_type_counts_are_gone(alpha: Tenant) -> None:
    html = _page(alpha, Role.OWNER)

    assert "active accounts" not in html
    assert "Net_assets" not in html and "Net assets:" not in html


def test_sections_still_link_what_the_home_page_linked(alpha: Tenant) -> None:
    html = _page(alpha, Role.OWNER)

    for link in ("/donations/imports/", "/donations/reports/", "/personnel/", "/accounting/"):
        assert f'href="{link}' in html, link
    assert 'href="/api/docs/"' in html
    assert '<a href="/" aria-current="page">Dashboard</a>' in html


# --- Figures ----------------------------------------------------------------------------------


def test_the_fundraiser_sees_this_month_against_last_year_and_whats_waiting(
    alpha: Tenant,
) -> None:
    today = timezone.localdate()
    with schema_context("alpha"):
        donor = donor_made("Ada", "Giver")
        GiftFactory.create(donor=donor, amount="1234.50", received_on=today, posted=True)
        GiftFactory.create(
            donor=donor, amount="300.00", received_on=a_year_before(today), posted=True
        )
        GiftFactory.create(donor=donor, amount="75.00")
        GiftFactory.create(donor=donor, amount="25.00")

    html = _page(alpha, Role.FUNDRAISER)

    assert "<dd>$1,234.50</dd>" in html
    assert "$300.00 in the same days last year" in html
    assert '<strong class="figure">2</strong> draft gifts, $100.00 in all.' in html
    assert '<a href="/gifts/?state=draft">See the drafts</a>' in html
    assert "<svg" in html and '<table class="visually-hidden">' in html


def test_lapsed_donors_link_to_their_pages(alpha: Tenant) -> None:
    today = timezone.localdate()
    with schema_context("alpha"):
        donor = donor_made("Ben", "Lapsed")
        GiftFactory.create(
            donor=donor,
            amount="500.00",
            received_on=today.replace(year=today.year - 1, day=1),
            posted=True,
        )

    html = _page(alpha, Role.FUNDRAISER)

    assert f'<a href="/donors/{donor.pk}/">Ben Lapsed</a>' in html
    assert "$500.00" in html


def test_campaigns_show_raised_against_goal(alpha: Tenant) -> None:
    with schema_context("alpha"):
        spring = campaign_create(
            code="SPRING", name="Spring appeal", goal="1000.00", acting_user=None
        )
        GiftFactory.create(amount="250.00", campaign=spring, posted=True)

    html = _page(alpha, Role.FUNDRAISER)

    assert "Spring appeal" in html
    assert '<progress max="100" value="25"' in html
    assert "$250.00 of $1,000.00 (25%)" in html


def test_the_bookkeeper_sees_drafts_to_post_deposits_and_cash(alpha: Tenant) -> None:
    today = timezone.localdate()
    with schema_context("alpha"):
        donor = donor_made("Cy", "Giver")
        GiftFactory.create(donor=donor, amount="40.00")
        check = GiftFactory.create(donor=donor, amount="100.00", posted=True)
        deposit = deposit_create(
            deposit_on=today, expected_count=2, expected_total="300.00", acting_user=None
        )
        deposit_add_gift(deposit=deposit, gift=check, acting_user=None)

    html = _page(alpha, Role.BOOKKEEPER)

    assert '<strong class="figure">1</strong> draft gift, $40.00 in all.' in html
    assert '<a href="/gifts/?state=draft">Review and post them</a>' in html
    assert "$100.00 entered of $300.00 expected." in html
    assert f'href="/deposits/{deposit.pk}/"' in html
    assert "Not balanced" in html
    assert '<td>General fund</td><td class="num">$100.00</td>' in html


def test_the_bookkeeper_sees_the_months_not_closed_and_the_next_to_close(alpha: Tenant) -> None:
    today = timezone.localdate()
    with schema_context("alpha"):
        accounting.period_for_date(today - timedelta(days=40))  # a month over, even in January
        over = FiscalPeriod.objects.filter(end__lt=today).order_by("start")
        first, count = over.first(), over.count()
    assert first is not None

    html = _page(alpha, Role.BOOKKEEPER)

    assert f'<strong class="figure">{count}</strong> month{"s" if count > 1 else ""} over' in html
    assert (
        f'Next to close: <a href="/accounting/periods/{first.start:%Y-%m}/">'
        f"{first.start:%B %Y}</a>, through its checklist." in html
    )

    with schema_context("alpha"):
        months_closed_before(today)
    html = _page(alpha, Role.BOOKKEEPER)

    assert "Every month that is over is closed." in html
    assert "Next to close" not in html


# --- Empty states and the checklist -----------------------------------------------------------


def test_empty_states_say_what_to_do_next(alpha: Tenant) -> None:
    fundraiser = _page(alpha, Role.FUNDRAISER)
    viewer = _page(alpha, Role.VIEWER)
    bookkeeper = _page(alpha, Role.BOOKKEEPER)

    assert "No gifts yet this year or last." in fundraiser
    assert 'href="/gifts/new/">Record your first gift</a>' in fundraiser
    assert "No gifts yet this year or last." in viewer
    assert "Record your first gift" not in viewer
    assert "No active campaigns." in fundraiser
    assert "No lapsed donors" in fundraiser
    assert "No drafts waiting" in fundraiser
    assert "No open deposits." in bookkeeper
    assert "No cash in the books yet" in bookkeeper


SETTINGS = "/settings/organization/#receipts"
GIVING = "/settings/organization/#giving"
STEPS = (SETTINGS, "/settings/staff/", "/donations/imports/", "/gifts/new/", GIVING)
ACTIONS = {
    SETTINGS: "Add the EIN",
    GIVING: "Connect Stripe",
    "/settings/staff/": "Invite a colleague",
    "/donations/imports/": "Import your donors from a spreadsheet",
    "/gifts/new/": "Record a gift",
}


@pytest.mark.parametrize(
    ("role", "items"),
    [
        # Connecting the Stripe account the money goes to is the owner's alone.
        (Role.OWNER, STEPS),
        # The administrator is a second login: the colleague step is done for them.
        (Role.ADMIN, (SETTINGS, "/donations/imports/", "/gifts/new/")),
        (Role.FUNDRAISER, ("/donations/imports/", "/gifts/new/")),
        (Role.BOOKKEEPER, ("/gifts/new/",)),
        (Role.VIEWER, ()),
        (Role.VOLUNTEER, ()),
    ],
)
def test_the_checklist_shows_the_steps_the_role_can_take(
    alpha: Tenant, role: str, items: tuple[str, ...]
) -> None:
    html = _page(alpha, role)

    assert ('<h2 id="setup">Getting started</h2>' in html) == bool(items)
    for url in STEPS:
        assert (f'<a href="{url}">{ACTIONS[url]}</a>' in html) == (url in items), url
    administers = role in (Role.OWNER, Role.ADMIN)
    assert ("through your own Stripe account" in html) == (role == Role.OWNER)
    assert ("Put this list away" in html) == administers


def test_the_giving_step_is_done_once_stripe_takes_charges_on_the_account(
    alpha: Tenant,
) -> None:
    organization = alpha.organization
    organization.stripe_account_id = "acct_1TestAlpha"
    organization.save()

    assert f'<a href="{GIVING}">Connect Stripe</a>' in _page(alpha, Role.OWNER)

    organization.stripe_charges_enabled = True
    organization.save()
    html = _page(alpha, Role.OWNER)

    assert 'Online giving is live <span class="muted">(done)</span>' in html
    assert "Connect Stripe" not in html


def test_the_checklist_marks_what_is_done_and_goes_once_all_is(alpha: Tenant) -> None:
    with schema_context("alpha"):
        DonorFactory.create()

    html = _page(alpha, Role.FUNDRAISER)

    assert 'Your donors <span class="muted">(done)</span>' in html
    assert '<a href="/gifts/new/">Record a gift</a>' in html

    with schema_context("alpha"):
        _finish_setup()

    assert "Getting started" not in _page(alpha, Role.OWNER)
    assert "Getting started" not in _page(alpha, Role.FUNDRAISER)


def test_the_owner_steps_follow_the_ein_the_signer_and_a_colleague(alpha: Tenant) -> None:
    with schema_context("alpha"):
        receipt_settings_update(ein="12-3456789", acting_user=None)

    html = _page(alpha, Role.OWNER)

    assert 'Your EIN, which every receipt states <span class="muted">(done)</span>' in html
    assert f'<a href="{SETTINGS}">Set up receipts</a>' in html
    assert '<a href="/settings/staff/">Invite a colleague</a>' in html

    alpha.user(Role.BOOKKEEPER)  # a second login: the colleague step is done
    html = _page(alpha, Role.OWNER)

    assert 'A colleague with their own login <span class="muted">(done)</span>' in html


def test_the_receipt_settings_step_needs_a_signer(alpha: Tenant) -> None:
    with schema_context("alpha"):
        _finish_setup()
        receipt_settings_update(signatory_name="", acting_user=None)

    html = _page(alpha, Role.OWNER)

    assert f'<a href="{SETTINGS}">Set up receipts</a>' in html


def test_an_owner_puts_the_checklist_away_for_everyone(alpha: Tenant) -> None:
    owner = alpha.client(alpha.owner)

    response = owner.post("/settings/organization/checklist/dismiss/")

    assert response.status_code == 302 and response["Location"] == "/"
    assert "Getting started" not in _page(alpha, Role.OWNER)
    assert "Getting started" not in _page(alpha, Role.FUNDRAISER)


def test_only_owners_and_administrators_put_the_checklist_away(alpha: Tenant) -> None:
    fundraiser = alpha.client(alpha.user(Role.FUNDRAISER))

    assert fundraiser.post("/settings/organization/checklist/dismiss/").status_code == 403
    assert "Getting started" in _page(alpha, Role.FUNDRAISER)


# --- Escaping, queries, other organizations ---------------------------------------------------


def test_names_people_typed_are_escaped(alpha: Tenant) -> None:
    with schema_context("alpha"):
        campaign = campaign_create(
            code="XSS", name="<script>alert(1)</script>", goal="10.00", acting_user=None
        )
        donor = donor_made("<script>alert(2)</script>", "Donor")
        GiftFactory.create(
            donor=donor,
            amount="10.00",
            campaign=campaign,
            received_on=timezone.localdate().replace(year=timezone.localdate().year - 1, day=1),
            posted=True,
        )

    html = _page(alpha, Role.OWNER)

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt; Donor" in html


def _some_of_everything(count: int, *, batch: str) -> None:
    today = timezone.localdate()
    last_year = today.replace(year=today.year - 1, day=1)
    for number in range(count):
        campaign = campaign_create(
            code=f"{batch}{number}",
            name=f"Campaign {batch}{number}",
            goal="100.00",
            acting_user=None,
        )
        lapsed = donor_made("Lapsed", f"Donor{batch}{number}")
        GiftFactory.create(donor=lapsed, received_on=last_year, posted=True, campaign=campaign)
        donor = donor_made("Many", f"Donor{batch}{number}")
        check = GiftFactory.create(donor=donor, posted=True, campaign=campaign)
        GiftFactory.create(donor=donor, method="ach", posted=True)
        GiftFactory.create(donor=donor)
        deposit = deposit_create(
            deposit_on=today, expected_count=1, expected_total="100.00", acting_user=None
        )
        deposit_add_gift(deposit=deposit, gift=check, acting_user=None)


@pytest.mark.parametrize("role", [Role.OWNER, Role.FUNDRAISER, Role.BOOKKEEPER])
def test_the_dashboard_runs_as_many_queries_for_many_rows_as_for_few(
    alpha: Tenant, role: str, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    user = alpha.owner if role == Role.OWNER else alpha.user(role)
    client = alpha.client(user)
    client.get("/")  # the host's tenant and the session are cached after a first request
    with schema_context("alpha"):
        _some_of_everything(2, batch="A")
    with count_queries() as few:
        assert client.get("/").status_code == 200

    with schema_context("alpha"):
        _some_of_everything(14, batch="B")
    with count_queries() as many:
        html = client.get("/").content.decode()

    assert len(many.captured_queries) == len(few.captured_queries)
    if role != Role.BOOKKEEPER:
        # The lapsed donors shown are capped (their links are /donors/<id>/).
        assert len(re.findall(r'<a href="/donors/\d+/">', html)) == 10
        assert html.count("<progress") == 10


# --- Unreconciled bank accounts ----------------------------------------------------------------


def _month_end_before(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def _statement(account_code: str, statement_date: date) -> BankStatement:
    return statement_made(
        [(statement_date, "10.00", "Interest")],
        closing="10.00",
        statement_date=statement_date,
        account_code=account_code,
    )


def _reconciled(account_code: str, statement_date: date) -> int:
    """A statement of the account at `statement_date`, its reconciliation finished; its id.
    (How a reconciliation is finished is the bank desk's tests' business.)"""
    statement = _statement(account_code, statement_date)
    Reconciliation.objects.update_or_create(
        statement=statement,
        defaults={
            "account": statement.account,
            "statement_date": statement_date,
            "state": ReconciliationState.FINISHED,
            "finished_at": timezone.now(),
        },
    )
    return statement.pk


def _tile(html: str) -> str:
    start = html.index(UNRECONCILED)
    return html[start : html.index("</section>", start)]


def test_unreconciled_accounts_are_those_behind_the_last_closed_month(alpha: Tenant) -> None:
    last_month_end = _month_end_before(timezone.localdate())
    month_before_end = _month_end_before(last_month_end)
    with schema_context("alpha"):
        _reconciled("1010", last_month_end)
        savings = _reconciled("1020", month_before_end)
        months_closed_through(last_month_end)

    tile = _tile(_page(alpha, Role.BOOKKEEPER))

    assert f"not reconciled through {last_month_end:%b} {last_month_end.day}," in tile
    assert "1010 " not in tile  # reconciled through the closed month's end
    assert f'<a href="/accounting/bank/statements/{savings}/">1020 ' in tile
    assert f"{month_before_end:%b} {month_before_end.day}, {month_before_end.year}" in tile
    assert 'href="/accounting/bank/"' in tile


def test_never_reconciled_accounts_show_while_no_month_is_closed(alpha: Tenant) -> None:
    last_month_end = _month_end_before(timezone.localdate())
    with schema_context("alpha"):
        _reconciled("1010", _month_end_before(last_month_end))

    tile = _tile(_page(alpha, Role.OWNER))

    assert "Bank accounts never reconciled." in tile
    assert "1010 " not in tile  # reconciled once: nothing closed since to be behind
    assert "1020 " in tile and "Never" in tile and "No statement imported" in tile


def test_every_account_reconciled_says_so(alpha: Tenant) -> None:
    last_month_end = _month_end_before(timezone.localdate())
    with schema_context("alpha"):
        _reconciled("1010", last_month_end)
        _reconciled("1020", last_month_end)
        months_closed_through(last_month_end)

    tile = _tile(_page(alpha, Role.VIEWER))

    assert "Every bank account is reconciled through the end of the last closed month." in tile
    assert "<table" not in tile


def test_the_unreconciled_tile_runs_as_many_queries_for_many_accounts(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    client.get("/")
    last_month_end = _month_end_before(timezone.localdate())
    with count_queries() as few:
        assert client.get("/").status_code == 200

    with schema_context("alpha"):
        for months_back in range(4):
            day = last_month_end
            for _ in range(months_back + 1):
                day = _month_end_before(day)
            _reconciled("1010", day)
            _statement("1020", day)
        months_closed_through(last_month_end)
    with count_queries() as many:
        html = client.get("/").content.decode()

    assert len(many) == len(few)
    assert _tile(html).count("/accounting/bank/statements/") == 2


def test_another_organizations_reconciliations_do_not_count(alpha: Tenant, beta: Tenant) -> None:
    last_month_end = _month_end_before(timezone.localdate())
    with schema_context("beta"):
        _reconciled("1010", last_month_end)

    tile = _tile(_page(alpha, Role.OWNER))

    assert "1010 " in tile and "/accounting/bank/statements/" not in tile


def test_another_organizations_gifts_do_not_show(alpha: Tenant, beta: Tenant) -> None:
    with schema_context("beta"):
        GiftFactory.create(amount="777.00", posted=True)
        GiftFactory.create(amount="55.00")

    html = _page(alpha, Role.OWNER)

    assert "$777.00" not in html and "$55.00" not in html
    assert "No gifts yet this year or last." in html


# --- My tasks ---------------------------------------------------------------------------------

MY_TASKS = '<h2 id="my-tasks">My tasks</h2>'


def _task_for(user_email: str, *, days: int, title: str, donor_name: str = "Ada") -> None:
    from shared_apps.users.models import User
    from tenant_apps.donors.services import task_create

    task_create(
        donor=donor_made(donor_name, "Lovelace"),
        title=title,
        due_on=timezone.localdate() + timedelta(days=days),
        assignee=User.objects.get(email=user_email),
        acting_user=None,
    )


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.FUNDRAISER, True),
        (Role.BOOKKEEPER, True),
        (Role.VIEWER, True),
        (Role.VOLUNTEER_COORDINATOR, True),
        (Role.VOLUNTEER, False),
    ],
)
def test_my_tasks_are_on_the_dashboard_of_those_who_read_donors(
    alpha: Tenant, role: str, shown: bool
) -> None:
    assert (MY_TASKS in _page(alpha, role)) is shown


def test_my_tasks_show_the_overdue_first_each_linked_to_its_donor(alpha: Tenant) -> None:
    user = alpha.user(Role.FUNDRAISER, email="fay@alpha.org")
    with schema_context("alpha"):
        _task_for("fay@alpha.org", days=4, title="Send the report")
        _task_for("fay@alpha.org", days=-2, title="Call back", donor_name="Grace")
        _task_for("owner@alpha.org", days=-9, title="Not hers")
        for number in range(5):
            _task_for("fay@alpha.org", days=30 + number, title=f"Far off {number}")

    html = alpha.client(user).get("/").content.decode()

    panel = html[html.index(MY_TASKS) : html.index("</section>", html.index(MY_TASKS))]
    assert panel.index("Call back") < panel.index("Send the report")
    assert "Not hers" not in panel
    assert panel.count('class="task-title"') == 5
    assert "7 open tasks" in panel and "1 overdue" in panel
    assert '<span class="badge">Overdue</span>' in panel
    assert re.search(r'<a href="/donors/\d+/">Grace Lovelace</a>', panel)
    assert '<a href="/tasks/">All my tasks (7)</a>' in panel


def test_no_task_of_mine_says_what_to_do(alpha: Tenant) -> None:
    html = _page(alpha, Role.FUNDRAISER)
    assert "Nothing to follow up: no open task is yours." in html
    assert 'href="/tasks/?assignee=everyone"' in html


def test_a_task_is_marked_done_from_the_dashboard(alpha: Tenant) -> None:
    user = alpha.user(Role.FUNDRAISER, email="fay@alpha.org")
    with schema_context("alpha"):
        _task_for("fay@alpha.org", days=0, title="Call back")
        from tenant_apps.donors.models import DonorTask

        task = DonorTask.objects.get()
    client = alpha.client(user)
    assert "<strong>Due today</strong>" in client.get("/").content.decode()

    response = client.post(f"/tasks/{task.pk}/done/", {"next": "/"})

    assert response["Location"] == "/"
    html = client.get("/").content.decode()
    assert "“Call back” is done." in html
    assert "Nothing to follow up" in html


def test_my_tasks_run_as_many_queries_for_many_tasks_as_for_few(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    user = alpha.user(Role.FUNDRAISER, email="fay@alpha.org")
    client = alpha.client(user)
    client.get("/")

    def queries(number: int) -> int:
        with schema_context("alpha"):
            for index in range(number):
                _task_for("fay@alpha.org", days=index - 3, title=f"Task {index}")
        with count_queries() as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    assert queries(1) == queries(9)
