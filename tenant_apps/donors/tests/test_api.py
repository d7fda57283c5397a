"""The donors API: answers, roles, other tenants, bad input and query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.donors.models import Donor, DonorMergeRecord, DonorNote, Household, Tag
from tenant_apps.donors.services.donors import donor_note_add
from tenant_apps.donors.services.households import household_add
from tenant_apps.donors.tests.factories import DonorFactory, HouseholdFactory
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donors"
READERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
READERS += [Role.VOLUNTEER_COORDINATOR]
WRITERS = [Role.OWNER, Role.ADMIN, Role.FUNDRAISER]
NOT_WRITERS = [Role.BOOKKEEPER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR]

JOHN = {
    "kind": "individual",
    "first_name": "John",
    "last_name": "Smith",
    "emails": [{"email": "John@Example.org"}],
    "phones": [{"number": "(555) 010-2030"}],
    "addresses": [{"line1": "1 Main St", "city": "Cambridge", "postcode": "02139"}],
    "tags": ["Board"],
}


@pytest.fixture
def john(in_alpha: Tenant) -> Donor:
    return DonorFactory.create(
        first_name="John",
        last_name="Smith",
        emails=("john@example.org",),
        phones=("555 010 2030",),
        postcodes=("02139",),
        tags=("Board",),
    )


def test_a_donor_is_created_with_its_contacts(in_alpha: Tenant, fundraiser: APIClient) -> None:
    response = fundraiser.post(f"{API}/donors/", JOHN)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["display_name"] == "John Smith"
    assert body["kind"] == "individual"
    assert [row["email"] for row in body["emails"]] == ["john@example.org"]
    assert body["phones"][0]["phone_digits"] == "5550102030"
    assert body["addresses"][0]["country"] == "US"
    assert body["addresses"][0]["is_primary"]
    assert body["tags"] == ["Board"]
    assert body["household"] is None
    assert body["possible_duplicates"] == []
    created_by = Donor.objects.get().created_by
    assert created_by is not None
    assert created_by.email == "funds@alpha.org"


def test_creating_a_likely_duplicate_answers_it_with_the_reasons(
    fundraiser: APIClient, john: Donor
) -> None:
    response = fundraiser.post(
        f"{API}/donors/",
        {**JOHN, "first_name": "Jon", "emails": [{"email": "other@example.org"}]},
    )

    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == [
        {
            "id": john.pk,
            "display_name": "John Smith",
            "kind": "individual",
            "reasons": ["phone", "name_and_postcode"],
        }
    ]
    duplicates = fundraiser.get(f"{API}/donors/{response.json()['id']}/duplicates/")
    assert [row["id"] for row in duplicates.json()] == [john.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "robot"}, "kind"),
        ({"first_name": "", "last_name": ""}, "last_name"),
        ({"emails": [{"email": "nope"}]}, "emails"),
        ({"phones": [{"number": "12"}]}, "phones"),
        ({"emails": "a@b.org"}, "emails"),
        ({"household": 999999}, "household"),
        ({"kind": "organization"}, "organization_name"),
    ],
)
def test_bad_donor_input_is_a_400_and_writes_nothing(
    in_alpha: Tenant, fundraiser: APIClient, body: dict[str, Any], field: str
) -> None:
    error = api_error(fundraiser.post(f"{API}/donors/", {**JOHN, **body}), 400)

    assert field in error["fields"]
    assert not Donor.objects.exists()
    assert not Tag.objects.exists()


def test_donors_are_searched_and_filtered(
    in_alpha: Tenant, fundraiser: APIClient, john: Donor
) -> None:
    DonorFactory.create(first_name="Jane", last_name="Doe", emails=("jane@doe.net",))
    DonorFactory.create(organization_name="Acme Foundation", tags=("corporate",))

    def names(**query: Any) -> list[str]:
        response = fundraiser.get(f"{API}/donors/", query)
        assert response.status_code == 200, response.content
        return [row["display_name"] for row in response.json()["results"]]

    assert names() == ["Acme Foundation", "Jane Doe", "John Smith"]
    assert names(q="Jonh Smith") == ["John Smith"]
    assert names(q="+1 555-010-2030") == ["John Smith"]
    assert names(q="doe.net") == ["Jane Doe"]
    assert names(q="board") == ["John Smith"]
    assert names(tag="CORPORATE") == ["Acme Foundation"]
    assert names(kind="organization") == ["Acme Foundation"]
    assert names(is_active="false") == []
    assert "kind" in api_error(fundraiser.get(f"{API}/donors/", {"kind": "robot"}), 400)["fields"]


def test_the_donor_list_runs_a_fixed_number_of_queries(
    in_alpha: Tenant, fundraiser: APIClient, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    def listed(count: int) -> int:
        household = HouseholdFactory.create(name=f"H{count}")
        for number in range(count):
            donor = DonorFactory.create(
                first_name="Pat",
                last_name=f"Lee{count}x{number}",
                emails=(f"p{count}x{number}@example.org",),
                phones=(f"555 01{count:01d} {number:04d}",),
                postcodes=("02139",),
                tags=("t1", "t2"),
            )
            household_add(household=household, donor=donor, acting_user=None)
        fundraiser.get(f"{API}/tags/")  # the first request of a client caches its user
        with count_queries() as queries:
            response = fundraiser.get(f"{API}/donors/", {"q": "Pat Lee", "page_size": "100"})
        assert len(response.json()["results"]) >= count
        return len(queries)

    assert listed(2) == listed(9)


@pytest.mark.parametrize("listing", ["households", "tags", "notes"])
def test_the_other_lists_run_a_fixed_number_of_queries(
    in_alpha: Tenant,
    fundraiser: APIClient,
    count_queries: Callable[[], CaptureQueriesContext],
    john: Donor,
    listing: str,
) -> None:
    made: list[int] = []

    def grow(count: int) -> None:
        for _ in range(count):
            made.append(len(made))
            household = HouseholdFactory.create(name=f"H{made[-1]}")
            for member in ("Pat", "Sam"):
                donor = DonorFactory.create(
                    first_name=member,
                    last_name=f"Lee{made[-1]}",
                    tags=(f"tag{made[-1]}", "common"),
                )
                household_add(household=household, donor=donor, acting_user=None)
            donor_note_add(donor=john, body=f"Note {made[-1]}", acting_user=None)

    path = {"notes": f"{API}/donors/{john.pk}/notes/"}.get(listing, f"{API}/{listing}/")

    def listed() -> tuple[int, int]:
        fundraiser.get(f"{API}/tags/")  # the first request of a client caches its user
        with count_queries() as queries:
            response = fundraiser.get(path, {"page_size": 100})
        assert response.status_code == 200, response.content
        body = response.json()
        return len(queries), len(body["results"] if isinstance(body, dict) else body)

    grow(2)
    few_queries, few_rows = listed()
    grow(7)
    many_queries, many_rows = listed()

    assert many_rows > few_rows
    assert many_queries == few_queries


def test_a_donor_is_read_and_updated(fundraiser: APIClient, john: Donor) -> None:
    response = fundraiser.patch(
        f"{API}/donors/{john.pk}/", {"last_name": "Smythe", "mail_ok": False}
    )

    assert response.status_code == 200, response.content
    assert response.json()["display_name"] == "John Smythe"
    detail = fundraiser.get(f"{API}/donors/{john.pk}/").json()
    assert detail["mail_ok"] is False
    assert detail["tags"] == ["Board"]
    assert api_error(
        fundraiser.patch(f"{API}/donors/{john.pk}/", {"first_name": "", "last_name": ""}), 400
    )
    assert api_error(fundraiser.get(f"{API}/donors/999999/"), 404)


def test_a_donors_contacts_are_replaced_and_a_bad_list_changes_nothing(
    in_alpha: Tenant, fundraiser: APIClient, john: Donor
) -> None:
    url = f"{API}/donors/{john.pk}/"
    replaced = fundraiser.patch(
        url,
        {
            "last_name": "Smythe",
            "emails": [
                {"email": "j@work.example"},
                {"email": "J@Home.example", "is_primary": True},
            ],
            "addresses": [],
        },
    )

    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert sorted((row["email"], row["is_primary"]) for row in body["emails"]) == [
        ("j@home.example", True),
        ("j@work.example", False),
    ]
    assert body["addresses"] == []
    assert [row["number"] for row in body["phones"]] == ["555 010 2030"]
    from tenant_apps.core.models import AuditEvent

    audit = AuditEvent.objects.filter(action="donor.contacts_replace").get()
    assert audit.detail["before"]["emails"] == ["john@example.org"]

    # One bad phone refuses the whole change: the name and the emails stay as they were.
    error = api_error(
        fundraiser.patch(url, {"last_name": "Other", "emails": [], "phones": [{"number": "12"}]}),
        400,
    )
    assert "phones" in error["fields"]
    after = fundraiser.get(url).json()
    assert after["display_name"] == "John Smythe"
    assert len(after["emails"]) == 2
    assert (
        "phones"
        in api_error(
            fundraiser.patch(url, {"phones": [{"number": "555 111 2222", "is_primary": True}] * 2}),
            400,
        )["fields"]
    )


def test_notes_are_listed_and_added(fundraiser: APIClient, john: Donor) -> None:
    added = fundraiser.post(f"{API}/donors/{john.pk}/notes/", {"body": "Thanked by phone"})
    listed = fundraiser.get(f"{API}/donors/{john.pk}/notes/")

    assert added.status_code == 201
    assert added.json()["author"] == "funds@alpha.org"
    assert [note["body"] for note in listed.json()["results"]] == ["Thanked by phone"]
    assert "body" in api_error(fundraiser.post(f"{API}/donors/{john.pk}/notes/", {}), 400)["fields"]


def test_notes_come_a_page_at_a_time_newest_first(fundraiser: APIClient, john: Donor) -> None:
    for body in ("First call", "Second call", "Third call"):
        fundraiser.post(f"{API}/donors/{john.pk}/notes/", {"body": body})

    # The donor list's ordering is no parameter of the notes: it changes nothing.
    first = fundraiser.get(f"{API}/donors/{john.pk}/notes/?page_size=2&ordering=display_name")
    second = fundraiser.get(first.json()["next"])

    assert first.status_code == 200
    assert [note["body"] for note in first.json()["results"]] == ["Third call", "Second call"]
    assert [note["body"] for note in second.json()["results"]] == ["First call"]
    assert second.json()["next"] is None


def test_tags_are_added_to_and_removed_from_a_donor(
    in_alpha: Tenant, fundraiser: APIClient, john: Donor
) -> None:
    added = fundraiser.post(f"{API}/donors/{john.pk}/tags/", {"name": "Major"})
    board = Tag.objects.get(name="Board")
    removed = fundraiser.delete(f"{API}/donors/{john.pk}/tags/{board.pk}/")

    assert added.json()["tags"] == ["Board", "Major"]
    assert removed.status_code == 200
    assert removed.json()["tags"] == ["Major"]
    assert api_error(fundraiser.delete(f"{API}/donors/{john.pk}/tags/999999/"), 400)


def test_a_donor_is_merged_and_stays_as_a_tombstone(
    in_alpha: Tenant, fundraiser: APIClient, john: Donor
) -> None:
    jon = DonorFactory.create(first_name="Jon", last_name="Smith", emails=("jon@example.org",))
    acme = DonorFactory.create(organization_name="Smith Foundation")

    response = fundraiser.post(f"{API}/donors/{john.pk}/merge/", {"merged": jon.pk})

    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["email"] for row in body["survivor"]["emails"]] == [
        "john@example.org",
        "jon@example.org",
    ]
    assert body["record"]["merged"] == jon.pk
    assert body["record"]["moved"]["emails"]["emails"]
    tombstone = fundraiser.get(f"{API}/donors/{jon.pk}/").json()
    assert tombstone["merged_into"] == john.pk
    assert tombstone["is_active"] is False
    assert api_error(fundraiser.post(f"{API}/donors/{john.pk}/merge/", {"merged": jon.pk}), 409)
    assert api_error(fundraiser.post(f"{API}/donors/{john.pk}/merge/", {"merged": john.pk}), 400)
    error = api_error(fundraiser.post(f"{API}/donors/{john.pk}/merge/", {"merged": acme.pk}), 400)
    assert "allow_different_kinds" in error["fields"]
    assert api_error(fundraiser.post(f"{API}/donors/{john.pk}/merge/", {"merged": 999999}), 400)
    allowed = fundraiser.post(
        f"{API}/donors/{john.pk}/merge/", {"merged": acme.pk, "allow_different_kinds": True}
    )
    assert allowed.status_code == 200
    assert DonorMergeRecord.objects.count() == 2


def test_households_are_created_and_filled(fundraiser: APIClient, john: Donor) -> None:
    created = fundraiser.post(f"{API}/households/", {"name": "Smith family"})
    household_id = created.json()["id"]
    added = fundraiser.post(f"{API}/households/{household_id}/add/", {"donor": john.pk})
    renamed = fundraiser.patch(f"{API}/households/{household_id}/", {"name": "The Smiths"})
    listed = fundraiser.get(f"{API}/households/")
    donor = fundraiser.get(f"{API}/donors/", {"household": household_id})
    removed = fundraiser.post(f"{API}/households/{household_id}/remove/", {"donor": john.pk})

    assert created.status_code == 201
    assert added.json()["members"] == [{"id": john.pk, "display_name": "John Smith"}]
    assert renamed.json()["name"] == "The Smiths"
    assert [row["name"] for row in listed.json()["results"]] == ["The Smiths"]
    assert [row["id"] for row in donor.json()["results"]] == [john.pk]
    assert removed.json()["members"] == []
    assert api_error(fundraiser.post(f"{API}/households/", {"name": " "}), 400)
    assert api_error(fundraiser.post(f"{API}/households/{household_id}/add/", {"donor": 0}), 400)


def test_tags_are_listed_and_created_once_ignoring_case(fundraiser: APIClient, john: Donor) -> None:
    created = fundraiser.post(f"{API}/tags/", {"name": "Volunteer"})

    assert created.status_code == 201
    assert [row["name"] for row in fundraiser.get(f"{API}/tags/").json()["results"]] == [
        "Board",
        "Volunteer",
    ]
    assert api_error(fundraiser.post(f"{API}/tags/", {"name": "board"}), 400)


@pytest.mark.parametrize("role", READERS)
def test_every_donors_role_reads(alpha: Tenant, john: Donor, role: str) -> None:
    client = alpha.api(alpha.user(role))
    for path in (
        f"{API}/donors/",
        f"{API}/donors/{john.pk}/",
        f"{API}/donors/{john.pk}/notes/",
        f"{API}/donors/{john.pk}/duplicates/",
        f"{API}/households/",
        f"{API}/tags/",
    ):
        assert client.get(path).status_code == 200, (role, path)


def _writes(donor_id: int, household_id: int, tag_id: int) -> list[tuple[str, str, Any]]:
    return [
        ("post", f"{API}/donors/", JOHN),
        ("patch", f"{API}/donors/{donor_id}/", {"notes": "x"}),
        ("post", f"{API}/donors/{donor_id}/merge/", {"merged": donor_id}),
        ("post", f"{API}/donors/{donor_id}/notes/", {"body": "x"}),
        ("post", f"{API}/donors/{donor_id}/tags/", {"name": "x"}),
        ("delete", f"{API}/donors/{donor_id}/tags/{tag_id}/", None),
        ("post", f"{API}/households/", {"name": "x"}),
        ("patch", f"{API}/households/{household_id}/", {"name": "x"}),
        ("post", f"{API}/households/{household_id}/add/", {"donor": donor_id}),
        ("post", f"{API}/households/{household_id}/remove/", {"donor": donor_id}),
        ("post", f"{API}/tags/", {"name": "x"}),
    ]


@pytest.fixture
def household(in_alpha: Tenant) -> Household:
    return HouseholdFactory.create(name="Smiths")


@pytest.mark.parametrize("role", NOT_WRITERS)
def test_roles_without_donors_write_cannot_write(
    in_alpha: Tenant, john: Donor, household: Household, role: str
) -> None:
    client = in_alpha.api(in_alpha.user(role))
    tag_id = Tag.objects.get().pk
    for method, path, body in _writes(john.pk, household.pk, tag_id):
        response = getattr(client, method)(path, body)
        assert api_error(response, 403), (role, method, path)
    assert Donor.objects.count() == 1
    assert not DonorNote.objects.exists()
    assert list(Household.objects.values_list("name", flat=True)) == ["Smiths"]


@pytest.mark.parametrize("role", WRITERS)
def test_donors_writers_write(alpha: Tenant, role: str) -> None:
    response = alpha.api(alpha.user(role)).post(f"{API}/donors/", JOHN)
    assert response.status_code == 201


def test_anonymous_people_get_nothing(alpha: Tenant, john: Donor) -> None:
    assert api_error(alpha.api().get(f"{API}/donors/"), 401)


def test_people_of_another_tenant_get_nothing(
    in_alpha: Tenant,
    john: Donor,
    household: Household,
    assert_other_tenant_denied: Callable[..., None],
) -> None:
    tag_id = Tag.objects.get().pk
    for path in (
        f"{API}/donors/",
        f"{API}/donors/{john.pk}/",
        f"{API}/donors/{john.pk}/notes/",
        f"{API}/donors/{john.pk}/duplicates/",
        f"{API}/households/",
        f"{API}/households/{household.pk}/",
        f"{API}/tags/",
        f"{API}/tags/{tag_id}/",
    ):
        assert_other_tenant_denied(path)
    for method, path, body in _writes(john.pk, household.pk, tag_id):
        assert_other_tenant_denied(path, method=method, data=body)
    assert Donor.objects.count() == 1
    assert not DonorNote.objects.exists()


def test_a_household_is_patched_with_any_subset_of_its_fields(fundraiser: APIClient) -> None:
    household_id = fundraiser.post(f"{API}/households/", {"name": "Smith family"}).json()["id"]

    unchanged = fundraiser.patch(f"{API}/households/{household_id}/", {})

    assert unchanged.status_code == 200, unchanged.content
    assert unchanged.json()["name"] == "Smith family"
    assert api_error(fundraiser.patch(f"{API}/households/{household_id}/", {"name": ""}), 400)


def test_a_detail_route_ignores_the_list_filters(fundraiser: APIClient, john: Donor) -> None:
    # john is active: the list's `is_active=false` must not hide him when he is asked for by id.
    donor = fundraiser.get(f"{API}/donors/{john.pk}/", {"is_active": "false", "kind": "org"})
    summary = fundraiser.get(f"{API}/donors/{john.pk}/giving-summary/", {"q": "nobody"})

    assert donor.status_code == 200, donor.content
    assert donor.json()["id"] == john.pk
    assert summary.status_code == 200, summary.content


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"is_active": "7e16"}, "is_active"),
        ({"is_active": "maybe"}, "is_active"),
        ({"kind": "alien"}, "kind"),
        ({"household": "not-a-number"}, "household"),
    ],
)
def test_a_malformed_filter_value_is_a_400(
    fundraiser: APIClient, john: Donor, query: dict[str, str], field: str
) -> None:
    error = api_error(fundraiser.get(f"{API}/donors/", query), 400)

    assert field in error["fields"]


def test_boolean_filters_read_true_and_false(fundraiser: APIClient, john: Donor) -> None:
    active = fundraiser.get(f"{API}/donors/", {"is_active": "true"}).json()["results"]
    inactive = fundraiser.get(f"{API}/donors/", {"is_active": "0"}).json()["results"]

    assert [row["id"] for row in active] == [john.pk]
    assert inactive == []


@pytest.mark.parametrize(
    ("query", "accept"),
    [("", "text/csv"), ("?format=csv", "text/html,*/*;q=0.8"), ("", "*/*")],
)
def test_the_export_is_negotiated_as_csv(
    fundraiser: APIClient, john: Donor, query: str, accept: str
) -> None:
    response = fundraiser.get(f"{API}/donors/export/{query}", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "John" in response.getvalue().decode()


def test_the_export_refuses_a_client_that_reads_only_json(
    alpha: Tenant, fundraiser: APIClient
) -> None:
    assert api_error(fundraiser.get(f"{API}/donors/export/", HTTP_ACCEPT="application/json"), 406)
    assert api_error(
        fundraiser.get(f"{API}/donors/export/?format=csv", HTTP_ACCEPT="application/json"), 406
    )
    # Errors stay in the JSON error shape though CSV was asked for.
    assert api_error(alpha.api().get(f"{API}/donors/export/", HTTP_ACCEPT="text/csv"), 401)


def test_the_news_by_email_preference_is_read_given_and_changed(
    in_alpha: Tenant, fundraiser: APIClient, john: Donor
) -> None:
    # A donor created without it has not asked for news; one created with it has.
    assert fundraiser.get(f"{API}/donors/{john.pk}/").json()["email_news_ok"] is False
    created = fundraiser.post(
        f"{API}/donors/", {**JOHN, "first_name": "Jane", "email_news_ok": True}
    )
    assert created.status_code == 201, created.content
    assert created.json()["email_news_ok"] is True
    assert Donor.objects.get(pk=created.json()["id"]).email_news_ok is True

    changed = fundraiser.patch(f"{API}/donors/{john.pk}/", {"email_news_ok": True})

    assert changed.status_code == 200, changed.content
    assert changed.json()["email_news_ok"] is True
    john.refresh_from_db()
    assert (john.email_news_ok, john.email_ok) == (True, True)
    # Not a yes or no: refused, nothing changed.
    assert api_error(fundraiser.patch(f"{API}/donors/{john.pk}/", {"email_news_ok": "maybe"}), 400)
    john.refresh_from_db()
    assert john.email_news_ok is True
