"""The campaigns desk's pages: the list with its filters, sorting and CSV, a campaign's page
with its figures, its progress over time (computed by hand here) and its donors and gifts, the
campaign form; roles, CSRF, escaping, bad input, audit rows, query counts, other tenants."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.dateformat import format as date_format
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations import dashboard, reports, selectors
from tenant_apps.donations.models import Campaign, Gift
from tenant_apps.donations.services.campaigns import campaign_create, campaign_update
from tenant_apps.donations.services.gifts import gift_refund
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

LIST = "/campaigns/"
NEW = "/campaigns/new/"
READERS = (
    Role.OWNER,
    Role.ADMIN,
    Role.BOOKKEEPER,
    Role.FUNDRAISER,
    Role.VIEWER,
)
WRITERS = (Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER)
NOT_WRITERS = (Role.VIEWER, Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER)


def _campaign(code: str = "SPRING", name: str = "Spring appeal", **fields: Any) -> Campaign:
    return campaign_create(code=code, name=name, acting_user=None, **fields)


def _posted(campaign: Campaign, amount: str, day: date, donor: Donor | None = None) -> Gift:
    fields: dict[str, Any] = {"donor": donor} if donor is not None else {}
    return GiftFactory.create(
        campaign=campaign, amount=amount, received_on=day, posted=True, **fields
    )


def _form(**fields: str) -> dict[str, str]:
    return {
        "code": "GALA",
        "name": "Winter gala",
        "goal": "5000.00",
        "start": "",
        "end": "",
        "is_active": "on",
        **fields,
    }


def _text(html: str) -> str:
    """The page's text with tags dropped and spaces squeezed, to assert on what it says."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- Who may open what --------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_role_that_reads_donors_sees_the_list_and_a_campaign(
    in_alpha: Tenant, role: str
) -> None:
    campaign = _campaign()
    client = in_alpha.client(in_alpha.user(role))
    for path in (LIST, f"{LIST}{campaign.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"Spring appeal" in response.content


def test_a_volunteer_is_refused_the_campaigns_with_the_page_naming_who_may(
    in_alpha: Tenant,
) -> None:
    campaign = _campaign()
    client = in_alpha.client(in_alpha.user(Role.VOLUNTEER))
    for path in (LIST, f"{LIST}{campaign.pk}/", NEW, f"{LIST}{campaign.pk}/edit/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert b"This page is for the" in response.content


@pytest.mark.parametrize("role", WRITERS)
def test_those_who_record_gifts_open_the_campaign_form(in_alpha: Tenant, role: str) -> None:
    campaign = _campaign()
    client = in_alpha.client(in_alpha.user(role))
    assert client.get(NEW).status_code == 200
    assert client.get(f"{LIST}{campaign.pk}/edit/").status_code == 200
    assert b"Add a campaign" in client.get(LIST).content
    assert b"Edit the campaign" in client.get(f"{LIST}{campaign.pk}/").content


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_roles_that_may_not_write_campaigns_are_refused_the_form_and_change_nothing(
    in_alpha: Tenant, role: str
) -> None:
    campaign = _campaign()
    client = in_alpha.client(in_alpha.user(role))

    for path in (NEW, f"{LIST}{campaign.pk}/edit/"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert b"This page is for the Owner, Administrator, Bookkeeper and Fundraiser roles" in (
            refused.content
        )
    assert client.post(NEW, _form()).status_code == 403
    assert client.post(f"{LIST}{campaign.pk}/edit/", _form(name="Changed")).status_code == 403

    assert list(Campaign.objects.values_list("code", "name")) == [("SPRING", "Spring appeal")]
    assert not AuditEvent.objects.filter(action="campaign.update").exists()


def test_a_reader_sees_no_buttons_to_add_or_edit(in_alpha: Tenant) -> None:
    campaign = _campaign()
    client = in_alpha.client(in_alpha.user(Role.VIEWER))
    assert b"Add a campaign" not in client.get(LIST).content
    assert b"Edit the campaign" not in client.get(f"{LIST}{campaign.pk}/").content


def test_anonymous_users_are_sent_to_log_in(in_alpha: Tenant) -> None:
    campaign = _campaign()
    for path in (LIST, NEW, f"{LIST}{campaign.pk}/", f"{LIST}{campaign.pk}/edit/"):
        response = in_alpha.client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_campaigns_section_sits_after_deposits_and_is_current_on_its_pages(
    in_alpha: Tenant,
) -> None:
    page = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(LIST)
    labels = [item.label for item in page.context["navigation"]]
    assert labels[labels.index("Deposits") + 1] == "Campaigns"
    assert b'href="/campaigns/" aria-current="page">Campaigns</a>' in page.content


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_each_campaign_against_its_goal_in_words_and_money(
    in_alpha: Tenant,
) -> None:
    day = today()
    start, end = day - timedelta(days=30), day + timedelta(days=30)
    spring = _campaign(goal="1000.00", start=start, end=end)
    ada, bo = donor_made("Ada", "Lovelace"), donor_made("Bo", "Diddley")
    _posted(spring, "250.00", day, ada)
    _posted(spring, "200.00", day, ada)
    _posted(spring, "1.50", day, bo)
    GiftFactory.create(campaign=spring, amount="900.00")  # a draft: not raised yet
    gift_refund(gift=_posted(spring, "300.00", day, bo), acting_user=None)  # given back
    _campaign(code="OLD", name="Old appeal", end=day - timedelta(days=1))

    html = in_alpha.client(in_alpha.user(Role.VIEWER)).get(LIST).content.decode()
    text = _text(html)

    dates = f"{date_format(start, 'M j, Y')} – {date_format(end, 'M j, Y')}"
    assert f"Spring appeal SPRING {dates} $1,000.00 $451.50 45% 2 Active" in text
    assert '<progress max="100" value="45" aria-hidden="true">' in html
    assert f"Old appeal OLD Until {date_format(day - timedelta(days=1), 'M j, Y')}" in text
    assert "None $0.00 No goal 0 Ended" in text
    assert "1–2 of 2 campaigns" in text


def test_the_list_filters_by_status_and_year_in_the_url(in_alpha: Tenant) -> None:
    day = today()
    _campaign(code="NOW", name="Running now")
    _campaign(code="SOON", name="Starting soon", start=day + timedelta(days=10))
    _campaign(code="PAST", name="Over by date", end=day - timedelta(days=1))
    closed = _campaign(code="SHUT", name="Marked over")
    campaign_update(campaign=closed, is_active=False, acting_user=None)
    _campaign(code="Y2019", name="Of 2019", start=date(2019, 2, 1), end=date(2019, 6, 30))
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    def names(**query: str) -> set[str]:
        response = client.get(LIST, query)
        assert response.status_code == 200
        return {row.name for row in response.context["listing"].rows}

    every = client.get(LIST).context["listing"].rows
    assert {row.code: row.status_label for row in every} == {
        "NOW": "Active",  # no dates: it runs until it is marked over
        "SOON": "Not started yet",
        "PAST": "Ended",
        "SHUT": "Ended",
        "Y2019": "Ended",
    }
    assert names(status="active") == {"Running now"}
    assert names(status="not_started") == {"Starting soon"}
    assert names(status="ended") == {"Over by date", "Marked over", "Of 2019"}
    # A campaign runs in a year unless it ends before it or starts after it.
    assert names(year="2019") == {"Of 2019", "Running now", "Over by date", "Marked over"}
    assert names(year="2019", status="ended") == {"Of 2019", "Over by date", "Marked over"}
    assert names(year=str(day.year + 1)) == {"Running now", "Starting soon", "Marked over"}


def test_bad_filters_say_so_next_to_the_field_and_list_everything(in_alpha: Tenant) -> None:
    _campaign()
    client = in_alpha.client(in_alpha.user(Role.VIEWER))
    for query in (
        {"year": "twenty"},
        {"year": "99999"},
        {"status": "<script>"},
        {"sort": "-nonsense", "page": "-3"},
    ):
        response = client.get(LIST, query)
        assert response.status_code == 200, query
        assert response.context["listing"].total == 1
    html = client.get(LIST, {"year": "twenty"}).content.decode()
    assert 'class="field-error" id="id_year_error">Enter a whole number.' in html
    assert b"<script>" not in client.get(LIST, {"status": "<script>"}).content


def test_the_list_sorts_by_raised_and_by_the_share_of_the_goal(in_alpha: Tenant) -> None:
    small = _campaign(code="SMALL", name="Small", goal="100.00")
    big = _campaign(code="BIG", name="Big", goal="100000.00")
    _campaign(code="NONE", name="No goal")
    _posted(small, "90.00", today())
    _posted(big, "5000.00", today())
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    def order(sort: str) -> list[str]:
        return [row.code for row in client.get(LIST, {"sort": sort}).context["listing"].rows]

    assert order("-raised") == ["BIG", "SMALL", "NONE"]
    assert order("-percent") == ["SMALL", "BIG", "NONE"]  # without a goal: last
    assert order("name") == ["BIG", "NONE", "SMALL"]


def test_the_csv_holds_what_the_filters_select_in_the_list_s_order(in_alpha: Tenant) -> None:
    year = today().year - 1
    spring = _campaign(
        goal="1000.00", start=date(year, 3, 1), end=date(year, 3, 31), name="=Spring appeal"
    )
    _posted(spring, "250.00", date(year, 3, 10))
    _campaign(code="FALL", name="Fall appeal", start=date(year, 9, 1))
    _campaign(
        code="SHUT", name="Of the year before", start=date(year - 1, 1, 1), end=date(year - 1, 2, 1)
    )
    client = in_alpha.client(in_alpha.user(Role.VIEWER))

    download: Any = client.get(LIST, {"year": str(year), "sort": "code", "format": "csv"})

    assert download["Content-Disposition"] == 'attachment; filename="campaigns.csv"'
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines == [
        "Code,Name,Start,End,Goal,Raised,% of goal,Gifts,Donors,Status",
        f"FALL,Fall appeal,{year}-09-01,,$0.00,$0.00,,0,0,Active",
        # A name that a spreadsheet would run as a formula is escaped.
        f'SPRING,\'=Spring appeal,{year}-03-01,{year}-03-31,"$1,000.00",$250.00,25%,1,1,Ended',
    ]


def test_empty_lists_say_what_to_do_next(in_alpha: Tenant) -> None:
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(LIST).content.decode()
    viewer = in_alpha.client(in_alpha.user(Role.VIEWER)).get(LIST).content.decode()
    assert "No campaigns yet. Add one for each appeal" in fundraiser
    assert '<a class="button primary" href="/campaigns/new/">Add a campaign</a>' in fundraiser
    assert "No campaigns yet: the fundraisers add them." in viewer
    _campaign()
    filtered = in_alpha.client(in_alpha.user(Role.VIEWER)).get(LIST, {"status": "ended"})
    assert b"No campaign matches these filters." in filtered.content
    assert b'href="/campaigns/">Show every campaign</a>' in filtered.content


def test_the_list_runs_as_many_queries_for_many_campaigns_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    client.get(LIST)  # the session and the caches, once
    made = 0

    def campaigns(number: int) -> int:
        nonlocal made
        for _ in range(number):
            made += 1
            campaign = _campaign(code=f"C{made}", name=f"Campaign {made}", goal="50.00")
            _posted(campaign, "10.00", today())
        with count_queries() as queries:
            response = client.get(LIST, {"year": str(today().year), "sort": "-percent"})
        assert response.status_code == 200
        assert response.context["listing"].total == made
        return len(queries)

    assert campaigns(2) == campaigns(20)


# --- A campaign's page --------------------------------------------------------------------------


def test_a_campaign_s_page_shows_its_figures_donors_gifts_and_links(in_alpha: Tenant) -> None:
    day = today()
    spring = _campaign(goal="1000.00", start=day - timedelta(days=13))
    ada, bo = donor_made("Ada", "Lovelace"), donor_made("Bo", "Diddley")
    _posted(spring, "100.00", day - timedelta(days=12), ada)
    _posted(spring, "50.00", day - timedelta(days=5), bo)
    _posted(spring, "25.00", day, ada)
    draft = GiftFactory.create(campaign=spring, amount="900.00", donor=bo)
    refunded = _posted(spring, "300.00", day, bo)
    gift_refund(gift=refunded, acting_user=None)

    response = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(f"{LIST}{spring.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    text = _text(html)
    assert "Raised $175.00 Goal $1,000.00 Still to raise $825.00" in text
    assert "Donors 2 Gifts 3 Average gift $58.33" in text
    assert "17% of the goal raised" in text
    # Top donors, largest first, linking to their pages; the latest gifts, any state, to theirs.
    assert f'<a href="/donors/{ada.pk}/">Ada Lovelace</a></td><td class="num">$125.00' in html
    assert f'<a href="/donors/{bo.pk}/">Bo Diddley</a></td><td class="num">$50.00' in html
    assert html.index("Ada Lovelace</a></td>") < html.index("Bo Diddley</a></td>")
    for gift in (draft, refunded):
        assert f'href="/gifts/{gift.pk}/"' in html
    assert "Refunded" in text
    assert "Draft" in text
    assert 'href="/gifts/?campaign=SPRING">All of its gifts</a>' in html
    assert 'href="/donations/reports/campaign-progress/?campaign=SPRING"' in html


def test_the_page_s_chart_holds_the_weekly_totals_in_a_table_and_draws_the_goal(
    in_alpha: Tenant,
) -> None:
    day = today()
    start = day - timedelta(days=13)
    spring = _campaign(goal="1000.00", start=start)
    _posted(spring, "100.00", start + timedelta(days=1))
    _posted(spring, "50.00", start + timedelta(days=8))

    html = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{LIST}{spring.pk}/").content.decode()

    assert "Raised week by week against the goal of $1,000.00" in html
    week_one = date_format(start + timedelta(days=6), "M j, Y")
    week_two = date_format(day, "M j, Y")
    assert (
        '<thead><tr><th scope="col">Week ending</th><th scope="col">Raised to date</th></tr>'
        in html
    )
    assert f'<tr><th scope="row">{week_one}</th><td>$100.00</td></tr>' in html
    assert f'<tr><th scope="row">{week_two}</th><td>$150.00</td></tr>' in html
    assert html.count('<circle class="point"') == 2
    assert 'class="reference-label"' in html
    assert "Goal $1,000.00</text>" in html


def test_a_campaign_without_gifts_says_how_to_credit_one(in_alpha: Tenant) -> None:
    campaign = _campaign()
    fundraiser = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get(f"{LIST}{campaign.pk}/")
    viewer = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{LIST}{campaign.pk}/")
    assert b"The chart starts with the campaign\xe2\x80\x99s first posted gift." in viewer.content
    assert b"<svg" not in viewer.content
    assert b"No gifts yet. Record a gift and choose this campaign for it." in fundraiser.content
    assert b'href="/gifts/new/">Record a gift</a>' in fundraiser.content
    assert b"No gifts to this campaign yet." in viewer.content
    assert "Average gift —" in _text(viewer.content.decode())


def test_a_campaign_s_page_runs_as_many_queries_for_many_gifts_as_for_few(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    campaign = _campaign(goal="10000.00", start=today() - timedelta(days=60))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    client.get(f"{LIST}{campaign.pk}/")  # the session and the caches, once

    def gifts(number: int) -> int:
        for index in range(number):
            _posted(campaign, "10.00", today() - timedelta(days=index * 3))
            GiftFactory.create(campaign=campaign)  # drafts too
        with count_queries() as queries:
            assert client.get(f"{LIST}{campaign.pk}/").status_code == 200
        return len(queries)

    assert gifts(2) == gifts(20)


def test_no_such_campaign_is_a_404(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.OWNER))
    assert client.get(f"{LIST}999999/").status_code == 404
    assert client.get(f"{LIST}999999/edit/").status_code == 404
    assert client.post(f"{LIST}999999/edit/", _form()).status_code == 404


# --- Progress over time, by hand ---------------------------------------------------------------


def test_progress_is_cumulative_by_week_counting_posted_gifts_as_the_report_does(
    in_alpha: Tenant,
) -> None:
    campaign = _campaign(goal="1000.00", start=date(2026, 3, 2), end=date(2026, 3, 29))
    donor = donor_made("Ada", "Lovelace")
    _posted(campaign, "50.00", date(2026, 2, 20), donor)  # before the start: the first week
    _posted(campaign, "100.00", date(2026, 3, 2), donor)
    _posted(campaign, "25.00", date(2026, 3, 8), donor)  # the first week's last day
    _posted(campaign, "200.00", date(2026, 3, 9), donor)
    GiftFactory.create(campaign=campaign, amount="40.00", received_on=date(2026, 3, 20))  # draft
    _posted(campaign, "75.00", date(2026, 3, 25), donor)
    refunded = _posted(campaign, "500.00", date(2026, 3, 26), donor)
    gift_refund(gift=refunded, acting_user=None, date=date(2026, 4, 2))  # never counts
    _posted(campaign, "10.00", date(2026, 3, 29), donor)
    _posted(campaign, "30.00", date(2026, 4, 10), donor)  # after the end: carries it on
    _posted(_campaign(code="OTHER", name="Other"), "999.00", date(2026, 3, 3), donor)

    progress = selectors.campaign_progress_over_time(campaign=campaign, today=date(2026, 5, 15))

    assert progress.by == "week"
    assert (progress.first_day, progress.last_day) == (date(2026, 3, 2), date(2026, 4, 10))
    assert [(point.through, point.raised) for point in progress.points] == [
        (date(2026, 3, 8), Decimal("175.00")),  # 50 + 100 + 25
        (date(2026, 3, 15), Decimal("375.00")),  # + 200
        (date(2026, 3, 22), Decimal("375.00")),  # the draft is not raised
        (date(2026, 3, 29), Decimal("460.00")),  # + 75 + 10, without the refunded 500
        (date(2026, 4, 5), Decimal("460.00")),
        (date(2026, 4, 10), Decimal("490.00")),  # + 30
    ]
    # The last point is what the campaign raised, in the report and on the dashboard alike.
    (row,) = reports.campaign_progress(campaign="SPRING").as_json()["campaigns"]
    assert row["raised"] == "490.00"
    assert [c.raised for c in dashboard.campaigns_against_goal() if c.code == "SPRING"] == [
        Decimal("490.00")
    ]


def test_progress_of_a_campaign_still_running_ends_today(in_alpha: Tenant) -> None:
    campaign = _campaign(start=date(2026, 5, 1))
    _posted(campaign, "20.00", date(2026, 5, 12))

    progress = selectors.campaign_progress_over_time(campaign=campaign, today=date(2026, 5, 15))

    assert [(point.through, point.raised) for point in progress.points] == [
        (date(2026, 5, 7), Decimal("0.00")),
        (date(2026, 5, 14), Decimal("20.00")),
        (date(2026, 5, 15), Decimal("20.00")),
    ]


def test_progress_of_a_long_campaign_is_by_month(in_alpha: Tenant) -> None:
    campaign = _campaign(start=date(2025, 6, 15))
    _posted(campaign, "100.00", date(2025, 6, 20))
    _posted(campaign, "50.00", date(2025, 8, 1))
    _posted(campaign, "25.00", date(2026, 2, 10))
    _posted(campaign, "10.00", date(2026, 5, 15))

    progress = selectors.campaign_progress_over_time(campaign=campaign, today=date(2026, 5, 15))

    assert progress.by == "month"
    assert [(point.through, point.raised) for point in progress.points] == [
        (date(2025, 6, 30), Decimal("100.00")),
        (date(2025, 7, 31), Decimal("100.00")),
        (date(2025, 8, 31), Decimal("150.00")),
        (date(2025, 9, 30), Decimal("150.00")),
        (date(2025, 10, 31), Decimal("150.00")),
        (date(2025, 11, 30), Decimal("150.00")),
        (date(2025, 12, 31), Decimal("150.00")),
        (date(2026, 1, 31), Decimal("150.00")),
        (date(2026, 2, 28), Decimal("175.00")),
        (date(2026, 3, 31), Decimal("175.00")),
        (date(2026, 4, 30), Decimal("175.00")),
        (date(2026, 5, 15), Decimal("185.00")),
    ]


def test_progress_without_a_start_begins_with_the_first_gift(in_alpha: Tenant) -> None:
    campaign = _campaign()
    _posted(campaign, "5.00", date(2026, 5, 10))

    progress = selectors.campaign_progress_over_time(campaign=campaign, today=date(2026, 5, 15))

    assert progress.first_day == date(2026, 5, 10)
    assert [(point.through, point.raised) for point in progress.points] == [
        (date(2026, 5, 15), Decimal("5.00"))
    ]


def test_period_ends_go_by_week_then_month_then_year() -> None:
    by, ends = selectors.progress_period_ends(
        first_day=date(2026, 1, 1), last_day=date(2026, 6, 30)
    )
    assert (by, len(ends), ends[0], ends[-1]) == ("week", 26, date(2026, 1, 7), date(2026, 6, 30))
    by, ends = selectors.progress_period_ends(first_day=date(2026, 1, 1), last_day=date(2026, 7, 2))
    assert (by, ends[0], ends[1], ends[-1]) == (
        "month",
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 7, 2),
    )
    by, ends = selectors.progress_period_ends(
        first_day=date(2019, 3, 1), last_day=date(2026, 5, 15)
    )
    assert by == "year"
    assert ends == [date(year, 12, 31) for year in range(2019, 2026)] + [date(2026, 5, 15)]


# --- The campaign form --------------------------------------------------------------------------


def test_a_fundraiser_adds_a_campaign_and_its_audit_row_is_written(in_alpha: Tenant) -> None:
    user = in_alpha.user(Role.FUNDRAISER)
    client = in_alpha.client(user)

    response = client.post(NEW, _form(start="2026-11-01", end="2027-01-31", goal="5000.00"))

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}{campaign.pk}/"
    assert (campaign.code, campaign.name, campaign.goal, campaign.is_active) == (
        "GALA",
        "Winter gala",
        Decimal("5000.00"),
        True,
    )
    assert (campaign.start, campaign.end) == (date(2026, 11, 1), date(2027, 1, 31))
    event = AuditEvent.objects.get(action="campaign.create", object_id=str(campaign.pk))
    assert event.actor_id == user.pk
    page = client.get(response["Location"]).content.decode()
    assert "Campaign Winter gala added." in page


def test_a_campaign_entered_after_it_is_over_can_start_inactive(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    form = _form(goal="")
    del form["is_active"]
    assert client.post(NEW, form).status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.is_active, campaign.goal) == (False, Decimal("0.00"))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"end": "2026-01-01", "start": "2026-02-01"}, "end", "The end is before the start."),
        ({"goal": "-5"}, "goal", "Ensure this value is greater than or equal to 0."),
        ({"goal": "lots"}, "goal", "Enter a number."),
        ({"code": "has space"}, "code", "1 to 20 letters, digits, dots, dashes or underscores."),
        ({"code": "SPRING"}, "code", "Another campaign has this code."),
        ({"name": "  "}, "name", "This field is required."),
        ({"start": "0099-01-01"}, "start", "Ensure this value is greater than or equal to"),
        ({"start": "yesterday"}, "start", "Enter a valid date."),
    ],
)
def test_bad_input_is_given_back_next_to_its_field_and_in_a_summary_and_saves_nothing(
    in_alpha: Tenant, fields: dict[str, str], field: str, message: str
) -> None:
    _campaign()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = client.post(NEW, _form(**fields))

    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'id="id_{field}_error">[^<]*{re.escape(message)}', html), html[-3000:]
    assert 'id="form-errors"' in html
    assert f'<a href="#id_{field}">' in html
    assert list(Campaign.objects.values_list("code", flat=True)) == ["SPRING"]
    assert AuditEvent.objects.filter(action="campaign.create").count() == 1  # SPRING's own


def test_a_fundraiser_edits_a_campaign_but_not_its_code(in_alpha: Tenant) -> None:
    campaign = _campaign(goal="1000.00")
    user = in_alpha.user(Role.FUNDRAISER)
    client = in_alpha.client(user)
    form = client.get(f"{LIST}{campaign.pk}/edit/").content.decode()
    assert 'value="1000.00"' in form
    assert re.search(r'<input[^>]*name="code"[^>]*disabled', form)

    response = client.post(
        f"{LIST}{campaign.pk}/edit/",
        _form(code="HIJACK", name="Spring appeal 2026", goal="1500", end="2026-06-30"),
        follow=True,
    )

    campaign.refresh_from_db()
    assert (campaign.code, campaign.name, campaign.goal, campaign.end) == (
        "SPRING",
        "Spring appeal 2026",
        Decimal("1500.00"),
        date(2026, 6, 30),
    )
    assert b"Campaign saved." in response.content
    event = AuditEvent.objects.get(action="campaign.update", object_id=str(campaign.pk))
    assert event.actor_id == user.pk
    assert event.detail["changed"] == ["end", "goal", "name"]


def test_unticking_active_ends_a_campaign(in_alpha: Tenant) -> None:
    campaign = _campaign()
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    form = _form(code="SPRING", name="Spring appeal", goal="0")
    del form["is_active"]

    client.post(f"{LIST}{campaign.pk}/edit/", form)

    campaign.refresh_from_db()
    assert campaign.is_active is False
    assert b"Ended" in client.get(f"{LIST}{campaign.pk}/").content


def test_saving_an_unchanged_campaign_writes_nothing(in_alpha: Tenant) -> None:
    campaign = _campaign(goal="10.00")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        f"{LIST}{campaign.pk}/edit/",
        _form(code="SPRING", name="Spring appeal", goal="10"),
        follow=True,
    )
    assert b"Nothing was changed." in response.content
    assert not AuditEvent.objects.filter(action="campaign.update").exists()


def test_a_bad_edit_changes_nothing(in_alpha: Tenant) -> None:
    campaign = _campaign(goal="10.00", start=date(2026, 3, 1))
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    response = client.post(
        f"{LIST}{campaign.pk}/edit/",
        _form(name="New name", goal="20", start="2026-03-01", end="2026-02-01"),
    )

    assert response.status_code == 400
    assert b'id="id_end_error">The end is before the start.' in response.content
    campaign.refresh_from_db()
    assert (campaign.name, campaign.goal, campaign.end) == ("Spring appeal", Decimal("10.00"), None)
    assert not AuditEvent.objects.filter(action="campaign.update").exists()


def test_the_form_is_refused_without_its_csrf_token(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        user = alpha.user(Role.FUNDRAISER)
        campaign = _campaign()
    client = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    with schema_context(alpha.organization.schema_name):
        client.force_login(user)

    assert client.post(NEW, _form()).status_code == 403
    assert client.post(f"{LIST}{campaign.pk}/edit/", _form(name="Changed")).status_code == 403

    client.get(NEW)  # the form sets the token's cookie
    token = client.cookies["csrftoken"].value
    assert client.post(NEW, {**_form(), "csrfmiddlewaretoken": token}).status_code == 302
    with schema_context(alpha.organization.schema_name):
        assert sorted(Campaign.objects.values_list("code", "name")) == [
            ("GALA", "Winter gala"),
            ("SPRING", "Spring appeal"),
        ]


# --- Escaping, the dashboard, other organizations -----------------------------------------------


def test_names_people_typed_are_escaped_on_every_page(in_alpha: Tenant) -> None:
    campaign = _campaign(name="<script>alert(1)</script>", goal="10.00")
    _posted(campaign, "5.00", today(), donor_made("<script>alert(2)</script>", "Donor"))
    client = in_alpha.client(in_alpha.user(Role.OWNER))

    for path in (LIST, f"{LIST}{campaign.pk}/", f"{LIST}{campaign.pk}/edit/", "/"):
        html = client.get(path).content.decode()
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    detail = client.get(f"{LIST}{campaign.pk}/").content.decode()
    assert "&lt;script&gt;alert(2)&lt;/script&gt; Donor" in detail


def test_the_dashboard_s_campaigns_link_to_their_pages(in_alpha: Tenant) -> None:
    campaign = _campaign(goal="100.00")
    html = in_alpha.client(in_alpha.user(Role.FUNDRAISER)).get("/").content.decode()
    assert f'<a class="campaign-name" href="/campaigns/{campaign.pk}/">Spring appeal</a>' in html
    assert '<a href="/campaigns/">All campaigns</a>' in html


def test_another_organization_s_campaign_is_not_found_here(alpha: Tenant, beta: Tenant) -> None:
    with schema_context(beta.organization.schema_name):
        theirs = _campaign(code="BETA", name="Beta's appeal")
        _posted(theirs, "10.00", today())
    client = alpha.client(alpha.owner)

    assert client.get(f"{LIST}{theirs.pk}/").status_code == 404
    assert client.get(f"{LIST}{theirs.pk}/edit/").status_code == 404
    assert client.post(f"{LIST}{theirs.pk}/edit/", _form(name="Taken over")).status_code == 404
    assert b"Beta&#x27;s appeal" not in client.get(LIST).content
    with schema_context(beta.organization.schema_name):
        assert Campaign.objects.get(pk=theirs.pk).name == "Beta's appeal"
