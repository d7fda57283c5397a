"""Search and duplicate suggestions, on alpha's schema, against PostgreSQL's pg_trgm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenant_apps.donors import selectors
from tenant_apps.donors.models import Donor, DonorKind
from tenant_apps.donors.selectors import DuplicateCandidate, DuplicateReason
from tenant_apps.donors.services.checks import DonorNames
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_donors(in_alpha: Tenant) -> dict[str, Donor]:
    """John Smith, Jane Smithers, Acme Foundation and Maria Lopez, in alpha (its schema current
    for the whole test)."""
    return {
        "john": DonorFactory.create(
            first_name="John",
            last_name="Smith",
            emails=("John.Smith@Example.org",),
            phones=("+1 (555) 010-2030",),
            postcodes=("02139",),
            tags=("Major donor",),
        ),
        "jane": DonorFactory.create(
            first_name="Jane", last_name="Smithers", emails=("jane@smithers.net",)
        ),
        "acme": DonorFactory.create(organization_name="Acme Foundation", phones=("555 777 8888",)),
        "maria": DonorFactory.create(
            first_name="Maria", last_name="Lopez", tags=("board",), postcodes=("10001",)
        ),
    }


def _search(query: str) -> list[str]:
    return sorted(donor.display_name for donor in selectors.donor_search(query=query))


def test_the_trigram_extension_lives_in_public_and_resolves_from_the_tenant(
    in_alpha: Tenant,
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
        assert cursor.fetchone() == ("public",)
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0].replace(" ", "").split(",")[:2] == ["alpha", "public"]
        cursor.execute("SELECT similarity('John Smith', 'Jonh Smith')")
        assert cursor.fetchone()[0] > 0.3


def test_the_search_indexes_are_trigram_gin_and_btree(in_alpha: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'alpha' "
            "AND indexname IN ('donor_display_name_trgm', 'donoremail_email_trgm', "
            "'donorphone_digits')"
        )
        definitions = dict(cursor.fetchall())
    assert "gin (display_name gin_trgm_ops)" in definitions["donor_display_name_trgm"]
    assert "gin (email gin_trgm_ops)" in definitions["donoremail_email_trgm"]
    assert "btree (phone_digits)" in definitions["donorphone_digits"]


def test_search_by_name_forgives_typos_and_finds_parts(known_donors: dict[str, Donor]) -> None:
    assert _search("Jonh Smith") == ["John Smith"]
    assert _search("smith") == ["Jane Smithers", "John Smith"]
    assert _search("acme foundation") == ["Acme Foundation"]
    assert _search("Lo") == ["Maria Lopez"]
    assert _search("Zebulon Quarx") == []


@pytest.mark.parametrize(
    "query", ["Jonh Smith", "smith", "acme foundation", "Lo", "jane@", "board"]
)
def test_searching_finds_the_same_donors_with_the_index_at_the_kept_similarity(
    known_donors: dict[str, Donor], query: str
) -> None:
    outside = _search(query)
    with selectors.searching(), connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.similarity_threshold")
        assert cursor.fetchone() == (str(selectors.SEARCH_NAME_SIMILARITY),)
        assert _search(query) == outside


def test_search_by_email_ignores_case_and_matches_a_part(known_donors: dict[str, Donor]) -> None:
    assert _search("JOHN.SMITH@example.org") == ["John Smith"]
    assert _search("smithers.net") == ["Jane Smithers"]


@pytest.mark.parametrize(
    "query", ["555-010-2030", "(555) 010 2030", "+1 555 010 2030", "5550102030", "1.555.010.2030"]
)
def test_search_by_phone_whatever_the_format(known_donors: dict[str, Donor], query: str) -> None:
    assert _search(query) == ["John Smith"]


def test_search_by_tag_name_ignoring_case(known_donors: dict[str, Donor]) -> None:
    assert _search("major DONOR") == ["John Smith"]
    assert _search("Board") == ["Maria Lopez"]


def test_an_empty_query_lists_everyone(known_donors: dict[str, Donor]) -> None:
    assert len(_search("  ")) == 4


def _selects(queries: CaptureQueriesContext) -> list[str]:
    # django-tenants sets the search_path before each statement: those are not the reads.
    return [query["sql"] for query in queries if not query["sql"].startswith("SET search_path")]


def test_a_search_page_runs_a_fixed_number_of_queries(
    in_alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    for number in range(12):
        DonorFactory.create(
            first_name="Pat",
            last_name=f"Smith{number}",
            emails=(f"pat{number}@example.org", f"p{number}@example.com"),
            phones=(f"555 010 {number:04d}",),
            postcodes=("02139", "02140"),
            tags=("a", "b"),
        )
    with count_queries() as queries:
        found = list(selectors.donor_search(query="Pat Smith")[:50])
        for donor in found:
            [row.email for row in donor.emails.all()]
            [row.number for row in donor.phones.all()]
            [row.postcode for row in donor.addresses.all()]
            [tag.name for tag in donor.tags.all()]
            donor.household  # noqa: B018 - select_related: no query
    assert len(found) == 12
    # donors (with households), emails, phones, addresses, tags
    assert len(_selects(queries)) == 5


# --- Duplicates --------------------------------------------------------------------------------


def _suggest(**candidate: Any) -> dict[str, list[str]]:
    names = candidate.pop("names", DonorNames(kind=DonorKind.INDIVIDUAL, last_name="Nobody"))
    suggestions = selectors.donor_duplicates_suggest(
        candidate=DuplicateCandidate(names=names, **candidate)
    )
    return {suggestion.donor.display_name: suggestion.reasons for suggestion in suggestions}


def test_duplicates_by_email_ignoring_case(known_donors: dict[str, Donor]) -> None:
    assert _suggest(emails=["JOHN.smith@example.org"]) == {"John Smith": [DuplicateReason.EMAIL]}


def test_duplicates_by_phone_digits_whatever_the_format(known_donors: dict[str, Donor]) -> None:
    assert _suggest(phones=["555.777.8888"]) == {"Acme Foundation": [DuplicateReason.PHONE]}


def test_duplicates_by_similar_name_need_the_same_postcode(known_donors: dict[str, Donor]) -> None:
    jon = DonorNames(kind=DonorKind.INDIVIDUAL, first_name="Jon", last_name="Smith")
    assert _suggest(names=jon, postcodes=["02139"]) == {
        "John Smith": [DuplicateReason.NAME_AND_POSTCODE]
    }
    assert _suggest(names=jon, postcodes=["99999"]) == {}
    assert _suggest(names=jon) == {}
    # a different name at the same postcode is someone else
    other = DonorNames(kind=DonorKind.INDIVIDUAL, first_name="Ada", last_name="Byron")
    assert _suggest(names=other, postcodes=["02139"]) == {}


def test_duplicates_give_every_reason_and_best_first(known_donors: dict[str, Donor]) -> None:
    john = DonorNames(kind=DonorKind.INDIVIDUAL, first_name="John", last_name="Smith")
    suggestions = selectors.donor_duplicates_suggest(
        candidate=DuplicateCandidate(
            names=john,
            emails=["jane@smithers.net", "john.smith@example.org"],
            phones=["5550102030"],
            postcodes=["02139"],
        )
    )
    assert [(s.donor.display_name, s.reasons) for s in suggestions] == [
        ("John Smith", ["email", "phone", "name_and_postcode"]),
        ("Jane Smithers", ["email"]),
    ]


def test_duplicates_leave_out_merged_donors_and_the_donor_itself(
    known_donors: dict[str, Donor],
) -> None:
    john = known_donors["john"]
    assert (
        selectors.donor_duplicates_suggest(candidate=selectors.candidate_of(john), exclude=john)
        == []
    )
    Donor.objects.filter(pk=known_donors["jane"].pk).update(
        is_active=False, merged_into=known_donors["maria"]
    )
    assert _suggest(emails=["jane@smithers.net"]) == {}


def test_duplicates_run_one_query(
    known_donors: dict[str, Donor], count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    john = DonorNames(kind=DonorKind.INDIVIDUAL, first_name="John", last_name="Smith")
    with count_queries() as queries:
        found = selectors.donor_duplicates_suggest(
            candidate=DuplicateCandidate(
                names=john,
                emails=["x@example.org"],
                phones=["555 010 2030"],
                postcodes=["02139"],
            )
        )
    assert [suggestion.donor.display_name for suggestion in found] == ["John Smith"]
    assert len(_selects(queries)) == 1
