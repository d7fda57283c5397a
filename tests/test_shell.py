"""The staff site's shell: sections by role, the 403 page that names the roles a page is for,
money as money, lists sorted and paged from the URL, CSV escaped, htmx sent the CSRF token."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client, RequestFactory

from saas_platform.lib import formatting
from saas_platform.lib.listing import (
    Column,
    csv_response,
    header_of,
    listing,
    listing_counted_up_to,
    sort_of,
)
from saas_platform.lib.template_filters import query_with
from shared_apps.users.pages import refusal, roles_with
from shared_apps.users.roles import Capability, Role
from tests.plugin import Tenant

# The sections of the fundraising desk, in the bar's order, for every role that reads donors.
DESKS = [
    "Dashboard",
    "Donors",
    "Tasks",
    "Gifts",
    "Deposits",
    "Campaigns",
    "Receipts",
    "Imports",
    "Reports",
]
COLUMNS = [
    Column("name", "Name", order_by=("email",)),
    Column("joined", "Joined", order_by=("date_joined",), numeric=True),
    Column("note", "Note"),
]


@pytest.mark.parametrize(
    ("value", "shown", "statement"),
    [
        (Decimal("1234.5"), "$1,234.50", "$1,234.50"),
        ("-20", "-$20.00", "($20.00)"),
        (0, "$0.00", "$0.00"),
        (None, "", ""),
        ("n/a", "n/a", "n/a"),
    ],
)
def test_money_is_shown_as_money(value: object, shown: str, statement: str) -> None:
    assert formatting.money(value) == shown
    assert formatting.money(value, parentheses=True) == statement


def test_counts_have_thousands_separators() -> None:
    assert formatting.count(12345) == "12,345"


@pytest.mark.parametrize(
    ("asked", "honoured"),
    [
        ("joined", "joined"),
        ("-joined", "-joined"),
        ("note", "name"),
        ("--name", "name"),
        ("", "name"),
    ],
)
def test_a_list_sorts_only_by_its_sortable_columns(asked: str, honoured: str) -> None:
    assert sort_of(QueryDict(f"sort={asked}"), COLUMNS, "name")[0] == honoured


def test_header_links_keep_the_filters_flip_the_current_column_and_restart_paging() -> None:
    name, joined, note = header_of(QueryDict("q=ada&page=3&sort=name"), COLUMNS, "name")
    assert name.aria_sort == "ascending"
    assert QueryDict(name.sort_query[1:]).dict() == {"q": "ada", "sort": "-name"}
    assert joined.aria_sort == ""
    assert QueryDict(joined.sort_query[1:])["sort"] == "-joined"  # numbers: largest first
    assert note.sort_query == ""


def test_query_with_changes_one_parameter_and_drops_emptied_ones() -> None:
    assert query_with(QueryDict("q=ada&page=2"), page=3) == "?q=ada&page=3"
    assert query_with(QueryDict("q=ada&page=2"), page="") == "?q=ada"


def test_csv_cells_are_escaped_against_formulas() -> None:
    response = csv_response("people.csv", ["Name"], [["=HYPERLINK(1)"], ["Ada"]])
    body = response.getvalue().decode()
    assert body.splitlines() == ["Name", "'=HYPERLINK(1)", "Ada"]
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'


@pytest.mark.django_db
def test_a_listing_pages_from_the_url_and_shows_the_nearest_page_when_out_of_range(
    in_alpha: Tenant,
) -> None:
    from shared_apps.users.models import User

    for number in range(5):
        in_alpha.user(Role.VIEWER, email=f"p{number}@alpha.org")
    request = RequestFactory().get("/", {"page": "99", "sort": "name"})
    page = listing(request, User.objects.all(), columns=COLUMNS, default_sort="name", per_page=2)
    assert page.total == User.objects.count()
    assert page.page.number == page.page.paginator.num_pages
    assert [user.email for user in page.rows] == sorted(
        User.objects.values_list("email", flat=True)
    )[(page.page.number - 1) * 2 :]


@pytest.mark.django_db
def test_a_listing_counted_up_to_a_number_says_more_than_it_until_its_last_page(
    in_alpha: Tenant,
) -> None:
    from shared_apps.users.models import User

    for number in range(6):
        in_alpha.user(Role.VIEWER, email=f"c{number}@alpha.org")
    emails = sorted(User.objects.values_list("email", flat=True))
    count = len(emails)  # the six and the tenant's own users
    last = -(-count // 2)

    def page_of(page: str, up_to: int = 3) -> Any:
        request = RequestFactory().get("/", {"page": page, "sort": "name"})
        return listing_counted_up_to(
            request,
            User.objects.all(),
            columns=COLUMNS,
            default_sort="name",
            up_to=up_to,
            per_page=2,
        )

    first = page_of("1")
    assert [user.email for user in first.rows] == emails[:2]
    assert (first.total, first.more_than_total) == (3, True)
    assert (first.page.has_previous(), first.page.has_next()) == (False, True)

    # The last page knows the list's length: no page follows it.
    final = page_of(str(last))
    assert [user.email for user in final.rows] == emails[(last - 1) * 2 :]
    assert (final.total, final.more_than_total, final.page.has_next()) == (count, False, False)
    assert final.page.end_index() == count

    # Past the end, or not a number: the nearest page.
    assert page_of("99").page.number == last
    assert page_of("x").page.number == 1
    assert page_of("0").page.number == 1

    # The page's rows read by key from the same rows without the filter: the same page.
    request = RequestFactory().get("/", {"page": "2", "sort": "name"})
    filtered = User.objects.filter(email__startswith="c")
    by_key = listing_counted_up_to(
        request,
        filtered,
        columns=COLUMNS,
        default_sort="name",
        up_to=3,
        per_page=2,
        rows_by_key=User.objects.all(),
    )
    assert [user.email for user in by_key.rows] == ["c2@alpha.org", "c3@alpha.org"]
    # Past the number counted up to, at least the rows up to this page's last.
    assert (by_key.total, by_key.more_than_total) == (4, True)

    # Counted up to more than it holds: the exact count, and out of range clamps to it.
    whole = page_of("99", up_to=1000)
    assert (whole.total, whole.more_than_total, whole.page.number) == (count, False, last)


def test_the_refusal_names_the_roles_a_page_is_for() -> None:
    assert roles_with(Capability.GIFTS_POST) == ["Owner", "Administrator", "Bookkeeper"]
    assert refusal(Capability.GIFTS_POST).startswith(
        "This page is for the Owner, Administrator and Bookkeeper roles."
    )


# --- Pages ---------------------------------------------------------------------------------


PEOPLE = ["Personnel reports", "Pay runs", "My hours", "Approvals", "Staff"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sections", "people"),
    [
        (Role.OWNER, [*DESKS, "Books", "People", "Settings"], PEOPLE),
        (Role.ADMIN, [*DESKS, "Books", "People", "Settings"], PEOPLE),
        (
            Role.BOOKKEEPER,
            [*DESKS, "Books", "People"],
            ["Personnel reports", "Pay runs", "My hours"],
        ),
        (Role.FUNDRAISER, [*DESKS, "Books", "People"], ["Personnel reports", "My hours"]),
        (
            Role.VOLUNTEER_COORDINATOR,
            ["Dashboard", "Donors", "Tasks", "People"],
            ["Personnel reports", "My hours", "Approvals"],
        ),
        # A single people section is an entry of its own, not a menu of one.
        (Role.VOLUNTEER, ["Dashboard", "My hours"], None),
    ],
)
def test_the_sections_bar_shows_what_the_role_may_open(
    alpha: Tenant, role: str, sections: list[str], people: list[str] | None
) -> None:
    page = alpha.client(alpha.user(role)).get("/")
    assert page.status_code == 200
    navigation = page.context["navigation"]
    assert [item.label for item in navigation] == sections
    assert [item.label for item in navigation if item.current] == ["Dashboard"]
    menus = {item.label: [sub.label for sub in item.items] for item in navigation if item.items}
    assert menus == ({"People": people} if people else {})
    html = page.content.decode()
    if people:
        assert (
            '<button type="button" class="menu-toggle" aria-expanded="false" '
            'aria-controls="sections-people">People</button>'
        ) in html
        assert '<ul id="sections-people">' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/personnel/", "Personnel reports"),
        ("/pay-runs/", "Pay runs"),
        ("/hours/timesheet/", "My hours"),
        ("/hours/approvals/", "Approvals"),
        ("/settings/staff/", "Staff"),
    ],
)
def test_on_a_people_page_its_menu_and_its_link_are_current(
    alpha: Tenant, path: str, current: str
) -> None:
    page = alpha.client(alpha.user(Role.OWNER)).get(path)
    assert page.status_code == 200
    navigation = page.context["navigation"]
    assert [item.label for item in navigation if item.current] == ["People"]
    people = next(item for item in navigation if item.items)
    assert [sub.label for sub in people.items if sub.current] == [current]
    html = page.content.decode()
    assert 'aria-controls="sections-people" aria-current="true">People</button>' in html
    assert f'aria-current="page">{current}</a>' in html


@pytest.mark.django_db
def test_the_current_section_is_marked_for_screen_readers(alpha: Tenant) -> None:
    page = alpha.client(alpha.user(Role.OWNER)).get("/accounting/")
    assert page.status_code == 200
    assert b'href="/accounting/" aria-current="page">Books</a>' in page.content


@pytest.mark.django_db
def test_staff_pages_send_the_csrf_token_with_every_htmx_request(alpha: Tenant) -> None:
    page = alpha.client(alpha.user(Role.OWNER)).get("/")
    token = page.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\''.encode() in page.content
    assert b"/static/vendor/htmx-2.0.11.min.js" in page.content


@pytest.mark.django_db
def test_htmx_adds_no_inline_style_that_the_content_security_policy_would_refuse(
    alpha: Tenant,
) -> None:
    import json
    import re

    from django.conf import settings

    page = alpha.client(alpha.user(Role.OWNER)).get("/").content.decode()
    assert "{#" not in page and "htmx: no inline styles" not in page  # the comment stays out
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert meta is not None
    config = json.loads(meta.group(1))
    # Not its indicator rules (in the stylesheet instead), not a style attribute on a swap.
    assert config["includeIndicatorStyles"] is False
    assert "style" not in config["attributesToSettle"]
    assert "class" in config["attributesToSettle"]
    # A refusal (400) is a fragment that says what is wrong: swapped in, not dropped.
    refusal = next(rule for rule in config["responseHandling"] if rule["code"] == "400")
    assert refusal["swap"] is True
    assert config["responseHandling"].index(refusal) < next(
        index for index, rule in enumerate(config["responseHandling"]) if rule["code"] == "[45].."
    )
    css = (settings.BASE_DIR / "saas_platform" / "static" / "css" / "ifm.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


@pytest.mark.django_db
@pytest.mark.parametrize("site", ["public", "organization"])
def test_the_favicon_browsers_ask_for_on_their_own_is_the_site_s_icon(
    alpha: Tenant, site: str
) -> None:
    response = Client(HTTP_HOST=alpha.host if site == "organization" else "localhost").get(
        "/favicon.ico"
    )
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")


@pytest.mark.django_db
def test_a_page_refused_to_a_role_is_the_site_s_403_naming_who_may(alpha: Tenant) -> None:
    page = alpha.client(alpha.user(Role.VOLUNTEER)).get("/accounting/")
    assert page.status_code == 403
    assert b"This page is not open to your role" in page.content
    assert b'aria-label="Sections"' in page.content  # in the site's look, with its navigation


@pytest.mark.django_db
def test_the_password_pages_are_in_the_site_s_look(alpha: Tenant) -> None:
    page = alpha.client(alpha.user(Role.FUNDRAISER)).get("/accounts/password_change/")
    assert page.status_code == 200
    assert b"<h1>Change your password</h1>" in page.content
    reset = alpha.client().get("/accounts/password_reset/")
    assert b"<h1>Reset your password</h1>" in reset.content


def test_the_stylesheet_closes_every_block_it_opens() -> None:
    """A rule block left open swallows every area's rules after it (each area appends its own)."""
    from django.conf import settings

    css = (settings.BASE_DIR / "saas_platform" / "static" / "css" / "ifm.css").read_text()
    depth = 0
    for number, line in enumerate(css.splitlines(), start=1):
        if line.startswith("/* --- "):
            assert depth == 0, f"line {number} starts an area inside an open block"
        depth += line.count("{") - line.count("}")
    assert depth == 0
