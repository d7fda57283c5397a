"""The donors desk's list and a donor's page (donations' views: they show giving): roles,
search as you type, filters, sorting, CSV, the timeline, notes, escaping and query counts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.services.allocations import SoftCreditSpec
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.models import DonorNote
from tenant_apps.donors.services.donors import donor_note_add
from tenant_apps.donors.tests.factories import DonorFactory, HouseholdFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

INDEX = "/donors/"
READERS = [
    Role.OWNER,
    Role.ADMIN,
    Role.BOOKKEEPER,
    Role.FUNDRAISER,
    Role.VOLUNTEER_COORDINATOR,
    Role.VIEWER,
]
WRITERS = [Role.OWNER, Role.ADMIN, Role.FUNDRAISER]
HOSTILE = "<script>alert(1)</script>"


def _names(response: Any) -> list[str]:
    return [donor.display_name for donor in response.context["listing"].rows]


# --- Roles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS)
def test_every_role_that_reads_donors_sees_the_list_and_a_page(in_alpha: Tenant, role: str) -> None:
    donor = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    client = in_alpha.client(in_alpha.user(role))
    listed = client.get(INDEX)
    page = client.get(f"{INDEX}{donor.pk}/")
    assert listed.status_code == 200
    assert page.status_code == 200
    assert "Ada Lovelace" in listed.text
    writer = role in WRITERS
    assert ("Add a donor" in listed.text) is writer
    assert ("Add note" in page.text) is writer
    assert ("Edit donor" in page.text) is writer


def test_a_volunteer_gets_the_page_that_names_who_may(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    client = in_alpha.client(in_alpha.user(Role.VOLUNTEER))
    for path in (INDEX, f"{INDEX}{donor.pk}/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "This page is for the Owner, Administrator" in response.text


def test_anonymous_visitors_are_sent_to_log_in(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    for path in (INDEX, f"{INDEX}{donor.pk}/"):
        response = in_alpha.client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_donors_section_is_in_the_bar(in_alpha: Tenant) -> None:
    response = in_alpha.client(in_alpha.user(Role.VIEWER)).get(INDEX)
    assert '<a href="/donors/" aria-current="page">Donors</a>' in response.text


# --- The list ------------------------------------------------------------------------------------


def test_search_forgives_a_typo_and_htmx_gets_the_results_alone(in_alpha: Tenant) -> None:
    DonorFactory.create(first_name="Ada", last_name="Lovelace")
    DonorFactory.create(first_name="Grace", last_name="Hopper")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    full = client.get(INDEX, {"q": "Lovelase"})
    fragment = client.get(INDEX, {"q": "Lovelase"}, headers={"HX-Request": "true"})

    assert _names(full) == ["Ada Lovelace"]
    assert "<h1>Donors</h1>" in full.text
    assert 'hx-trigger="input changed delay:200ms, search"' in full.text
    assert _names(fragment) == ["Ada Lovelace"]
    assert "<h1>" not in fragment.text
    assert 'id="donor-results"' in fragment.text
    assert "HX-Request" in fragment["Vary"]


def test_filters_select_by_tag_do_not_contact_lapsed_date_and_level(in_alpha: Tenant) -> None:
    today = timezone.localdate()
    recent = DonorFactory.create(first_name="Recent", last_name="Giver", tags=("Board",))
    lapsed = DonorFactory.create(first_name="Lapsed", last_name="Giver", do_not_contact=True)
    DonorFactory.create(first_name="Never", last_name="Gave")
    GiftFactory.create(donor=recent, amount="1500.00", posted=True, received_on=today)
    GiftFactory.create(
        donor=lapsed, amount="50.00", posted=True, received_on=today - timedelta(days=400)
    )
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    assert _names(client.get(INDEX, {"tag": "Board"})) == ["Recent Giver"]
    assert _names(client.get(INDEX, {"do_not_contact": "on"})) == ["Lapsed Giver"]
    assert _names(client.get(INDEX, {"lapsed": "on"})) == ["Lapsed Giver"]
    assert _names(client.get(INDEX, {"level": "1000-9999"})) == ["Recent Giver"]
    assert _names(client.get(INDEX, {"level": "none"})) == ["Never Gave"]
    since = (today - timedelta(days=30)).isoformat()
    assert _names(client.get(INDEX, {"last_gift_from": since})) == ["Recent Giver"]
    assert _names(client.get(INDEX, {"sort": "-lifetime"}))[0] == "Recent Giver"
    assert _names(client.get(INDEX, {"sort": "-last_gift"})) == [
        "Recent Giver",
        "Lapsed Giver",
        "Never Gave",
    ]
    shown = client.get(INDEX, {"lapsed": "on"}).text
    assert "$50.00" in shown
    assert "Do not contact" in shown


def test_the_csv_holds_every_donor_the_filters_select(in_alpha: Tenant) -> None:
    board = [DonorFactory.create(tags=("Board",)) for _ in range(3)]
    DonorFactory.create()
    GiftFactory.create(donor=board[0], amount="1234.50", posted=True)
    response = in_alpha.client(in_alpha.user(Role.VIEWER)).get(
        INDEX, {"tag": "Board", "format": "csv"}
    )
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("Name,Kind,Email")
    assert len(lines) == 4
    assert any("$1,234.50" in line for line in lines)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.VOLUNTEER_COORDINATOR])
def test_the_csv_says_who_may_be_sent_news_by_email(in_alpha: Tenant, role: str) -> None:
    # Asked for news; asked but takes no email at all; asked but not to be contacted; not asked.
    DonorFactory.create(first_name="Ada", last_name="News", email_news_ok=True)
    DonorFactory.create(first_name="Bea", last_name="News", email_news_ok=True, email_ok=False)
    DonorFactory.create(first_name="Cy", last_name="News", email_news_ok=True, do_not_contact=True)
    DonorFactory.create(first_name="Di", last_name="News")
    response = in_alpha.client(in_alpha.user(role)).get(INDEX, {"q": "News", "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))

    # Whether or not the role reads giving, the column is the last one.
    assert list(rows[0])[-2:] == ["Do not contact", "Email news"]
    assert {row["Name"]: row["Email news"] for row in rows} == {
        "Ada News": "Yes",
        "Bea News": "No",
        "Cy News": "No",
        "Di News": "No",
    }


def test_the_list_runs_the_same_queries_for_few_donors_and_many(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    donor = DonorFactory.create(emails=("a@example.org",), phones=("555-010-2030",), tags=("A",))
    GiftFactory.create(donor=donor, posted=True)
    client.get(INDEX)
    with count_queries() as few:
        client.get(INDEX)
    for number in range(6):
        other = DonorFactory.create(emails=(f"d{number}@example.org",), tags=("A", "B"))
        GiftFactory.create(donor=other, posted=True)
    with count_queries() as many:
        client.get(INDEX)
    assert len(many) == len(few)


def test_each_row_and_each_search_result_shows_the_donors_tags_by_name(in_alpha: Tenant) -> None:
    DonorFactory.create(first_name="Ada", last_name="Lovelace", tags=("Volunteer", "Board"))
    DonorFactory.create(first_name="Ada", last_name="Byron")
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    tags = '<td><span class="tag">Board</span> <span class="tag">Volunteer</span></td>'
    for response in (
        client.get(INDEX),
        client.get(INDEX, {"q": "Ada"}, headers={"HX-Request": "true"}),
    ):
        rows = response.text.split("<tr>")
        (lovelace,) = [row for row in rows if "Ada Lovelace" in row]
        (byron,) = [row for row in rows if "Ada Byron" in row]
        assert tags in lovelace
        assert 'class="tag"' not in byron


# --- A donor's page ------------------------------------------------------------------------------


def test_the_page_shows_contacts_household_preferences_giving_and_timeline(
    in_alpha: Tenant,
) -> None:
    household = HouseholdFactory.create(name="Lovelace household")
    ada = DonorFactory.create(
        first_name="Ada",
        last_name="Lovelace",
        emails=("ada@example.org",),
        phones=("555-010-2030",),
        postcodes=("02139",),
        tags=("Board",),
        household=household,
        mail_ok=False,
    )
    DonorFactory.create(first_name="Byron", last_name="Lovelace", household=household)
    GiftFactory.create(donor=ada, amount="250.00", posted=True)
    donor_note_add(donor=ada, body="Prefers a call.", acting_user=None)

    page = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{INDEX}{ada.pk}/").text

    for shown in (
        "ada@example.org",
        "555-010-2030",
        "1 Main St",
        "(primary)",
        "Board",
        "Byron Lovelace",
        "Mail: no",
        "Email: yes",
        "$250.00",
        "Gift by check (Posted)",
        "Prefers a call.",
    ):
        assert shown in page, shown


def test_a_donor_page_runs_the_same_queries_whatever_its_history(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    donor = DonorFactory.create(emails=("a@example.org",))
    GiftFactory.create(donor=donor, posted=True)
    donor_note_add(donor=donor, body="One", acting_user=None)
    client.get(f"{INDEX}{donor.pk}/")
    with count_queries() as few:
        client.get(f"{INDEX}{donor.pk}/")
    for number in range(5):
        GiftFactory.create(donor=donor, posted=True, amount=f"{number + 1}.00")
        donor_note_add(donor=donor, body=f"Note {number}", acting_user=None)
        GiftFactory.create(
            amount="10.00", soft_credits=[SoftCreditSpec(donor=donor, amount=Decimal("10.00"))]
        )
    with count_queries() as many:
        client.get(f"{INDEX}{donor.pk}/")
    assert len(many) == len(few)


def test_a_donor_page_shows_the_soft_credits_on_others_gifts(in_alpha: Tenant) -> None:
    ada = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    william = DonorFactory.create(first_name="William", last_name="King")
    posted = GiftFactory.create(
        donor=ada,
        amount="120.00",
        soft_credits=[SoftCreditSpec(donor=william, amount=Decimal("120.00"))],
        posted=True,
    )
    GiftFactory.create(
        donor=ada,
        amount="30.00",
        soft_credits=[SoftCreditSpec(donor=william, amount=Decimal("30.00"))],
    )
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    page = client.get(f"{INDEX}{william.pk}/").content.decode()

    assert "Soft credit on a gift from Ada Lovelace (Posted)" in page
    assert "Soft credit on a gift from Ada Lovelace (Draft)" in page
    assert f'href="/gifts/{posted.pk}/"' in page
    # Only posted gifts count in the soft credits' total.
    assert '<dt>Soft credits</dt><dd class="num">$120.00</dd>' in page


def test_a_name_holding_a_script_is_shown_as_text(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(first_name=HOSTILE, last_name="X", tags=(HOSTILE,))
    donor_note_add(donor=donor, body=HOSTILE, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    for path in (INDEX, f"{INDEX}{donor.pk}/", f"{INDEX}{donor.pk}/edit/"):
        text = client.get(path).text
        assert HOSTILE not in text, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path


def test_an_unknown_donor_is_not_found(in_alpha: Tenant) -> None:
    assert in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{INDEX}999999/").status_code == 404


# --- Notes ---------------------------------------------------------------------------------------


def test_htmx_adds_a_note_and_gets_the_timeline_back(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(
        f"{INDEX}{donor.pk}/notes/", {"body": "Met at the gala."}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="donor-timeline"' in response.text
    assert "Met at the gala." in response.text
    assert "The note is added." in response.text
    assert DonorNote.objects.get(donor=donor).body == "Met at the gala."
    assert AuditEvent.objects.filter(action="donor.note_add", object_id=str(donor.pk)).exists()


def test_a_note_without_js_redirects_to_the_page(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    response = client.post(f"{INDEX}{donor.pk}/notes/", {"body": "Called back."})
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}{donor.pk}/"
    assert "Called back." in client.get(response["Location"]).text


def test_an_empty_note_is_refused_next_to_the_field(in_alpha: Tenant) -> None:
    donor = DonorFactory.create()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    plain = client.post(f"{INDEX}{donor.pk}/notes/", {"body": "  "})
    htmx = client.post(f"{INDEX}{donor.pk}/notes/", {"body": ""}, headers={"HX-Request": "true"})
    assert plain.status_code == 400
    assert "One thing needs fixing" in plain.text
    assert htmx.status_code == 200
    assert "This field is required." in htmx.text
    assert not DonorNote.objects.filter(donor=donor).exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.BOOKKEEPER])
def test_a_role_that_only_reads_cannot_add_a_note(in_alpha: Tenant, role: str) -> None:
    donor = DonorFactory.create()
    response = in_alpha.client(in_alpha.user(role)).post(
        f"{INDEX}{donor.pk}/notes/", {"body": "Sneaky."}
    )
    assert response.status_code == 403
    assert "Owner, Administrator and Fundraiser" in response.text
    assert not DonorNote.objects.filter(donor=donor).exists()
