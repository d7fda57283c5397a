"""The tenant list: numbers from each tenant's schema, search, sort, pages, fixed queries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.billing.models import Plan, Subscription
from shared_apps.console import selectors
from shared_apps.console.tests.factories import OrganizationFactory
from shared_apps.tenants.models import OrganizationState
from tenant_apps.donations.tests.factories import gift_made
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db


def _row(content: bytes, slug: str) -> str:
    """The table row of the tenant with this slug, as text."""
    html = content.decode()
    for row in re.findall(r"<tr>.*?</tr>", html, flags=re.S):
        if f"<td>{slug}</td>" in row:
            return re.sub(r"\s+", " ", row)
    raise AssertionError(f"no row for {slug}")


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
    ]


def test_list_shows_each_tenant_with_its_numbers(
    alpha: Tenant, beta: Tenant, console: Client
) -> None:
    with schema_context(alpha.organization.schema_name):
        donors = [donor_made("Ann", f"Donor{number}") for number in range(3)]
        gift_made(donors[0], "50.00")
        gift_made(donors[1], "75.00")
    plan = Plan.objects.get(code="standard")
    Subscription.objects.create(organization=alpha.organization, plan=plan, status="past_due")
    alpha.organization.plan_code = "standard"
    alpha.organization.save()

    response = console.get("/console/")

    assert response.status_code == 200
    cells = _cells(_row(response.content, "alpha"))
    assert cells[0] == "Alpha Relief Fund"
    assert cells[2] == "Active"
    assert cells[3] == "standard"
    assert cells[4] == alpha.organization.created_at.strftime("%Y-%m-%d")
    assert cells[5] == "Payment failed"
    assert cells[7:9] == ["3", "2"]
    assert re.match(r"^[\d.]+\s(KB|MB)$", cells[9].replace("\xa0", " "))
    beta_cells = _cells(_row(response.content, "beta"))
    assert beta_cells[5] == "none"
    assert beta_cells[7:9] == ["0", "0"]


def test_last_activity_is_the_latest_audit_event_or_login(alpha: Tenant, console: Client) -> None:
    later = timezone.now() + timedelta(days=3)
    with schema_context(alpha.organization.schema_name):
        type(alpha.owner).objects.filter(pk=alpha.owner.pk).update(last_login=later)

    stats = selectors.tenant_stats([alpha.organization.schema_name])

    assert stats[alpha.organization.schema_name].last_activity == later
    with schema_context(alpha.organization.schema_name):
        donor_made("Audit", "Trail")  # writes an AuditEvent now, earlier than `later`
    assert (
        selectors.tenant_stats([alpha.organization.schema_name])[
            alpha.organization.schema_name
        ].last_activity
        == later
    )


def test_schema_size_is_the_sum_over_the_schemas_tables(alpha: Tenant) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            [alpha.organization.schema_name],
        )
        expected = cursor.fetchone()[0]

    stats = selectors.tenant_stats([alpha.organization.schema_name])

    assert stats[alpha.organization.schema_name].size_bytes == expected > 0


def test_a_tenant_without_schema_or_tables_shows_dashes(alpha: Tenant, console: Client) -> None:
    OrganizationFactory.create(slug="failedearly", state=OrganizationState.FAILED)
    OrganizationFactory.create(slug="halfway", state=OrganizationState.FAILED)
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "tenant_halfway"')

    response = console.get("/console/?q=a")

    assert response.status_code == 200
    assert _cells(_row(response.content, "failedearly"))[7:10] == ["—", "—", "—"]
    assert _cells(_row(response.content, "halfway"))[7:10] == ["—", "—", "0 bytes"]


def test_search_matches_name_slug_and_owner_email(
    alpha: Tenant, beta: Tenant, console: Client
) -> None:
    OrganizationFactory.create(slug="gamma", name="Gamma Aid", owner_email="boss@gamma-example.org")

    def slugs(query: str) -> list[str]:
        response = console.get("/console/", {"q": query})
        return [row.organization.slug for row in response.context["rows"]]

    assert slugs("relief") == ["alpha"]
    assert slugs("BETA") == ["beta"]
    assert slugs("gamma-example") == ["gamma"]
    assert slugs("nothing-like-it") == []
    assert b"No tenant matches" in console.get("/console/", {"q": "nothing-like-it"}).content


def test_the_public_schema_is_not_listed(alpha: Tenant, console: Client) -> None:
    response = console.get("/console/")
    assert "public" not in [row.organization.schema_name for row in response.context["rows"]]


def test_sort_by_each_column_both_ways(alpha: Tenant, beta: Tenant, console: Client) -> None:
    OrganizationFactory.create(
        slug="aardvark", name="Zeta Trust", state=OrganizationState.SUSPENDED
    )

    def slugs(sort: str) -> list[str]:
        return [
            row.organization.slug
            for row in console.get("/console/", {"sort": sort}).context["rows"]
        ]

    assert slugs("name") == ["alpha", "beta", "aardvark"]
    assert slugs("-name") == ["aardvark", "beta", "alpha"]
    assert slugs("slug") == ["aardvark", "alpha", "beta"]
    assert slugs("state")[-1] == "aardvark"
    assert slugs("-created")[0] == "aardvark"
    assert slugs("nonsense") == slugs("name")  # an unknown key falls back, never a 500
    response = console.get("/console/", {"sort": "-name"})
    assert b'aria-sort="descending"' in response.content


def test_list_is_paginated(alpha: Tenant, beta: Tenant, console: Client) -> None:
    for number in range(selectors.PAGE_SIZE):
        OrganizationFactory.create(slug=f"p{number:03d}", name=f"Page Org {number:03d}")

    first = console.get("/console/")
    second = console.get("/console/", {"page": 2})
    beyond = console.get("/console/", {"page": "zzz"})

    assert len(first.context["rows"]) == selectors.PAGE_SIZE
    assert len(second.context["rows"]) == 2
    assert b'rel="next"' in first.content
    assert b"Page 2 of 2" in second.content
    assert beyond.status_code == 200


def test_list_runs_the_same_queries_for_few_tenants_as_for_many(
    alpha: Tenant, beta: Tenant, console: Client, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    """Numbers come from each listed schema, yet the page's query count does not grow."""
    console.get("/console/")  # warm the session and anything cached once

    with count_queries() as few:
        response = console.get("/console/")
    assert len(response.context["rows"]) == 2

    for number in range(selectors.PAGE_SIZE + 5):
        organization = OrganizationFactory.create(
            slug=f"m{number:03d}", name=f"Many {number:03d}", tables_like=alpha.organization
        )
    with schema_context(alpha.organization.schema_name):
        donor_made("Copied", "One")
        donor_made("Copied", "Two")
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{organization.schema_name}"."donors_donor" '  # noqa: S608
            f'SELECT * FROM "{alpha.organization.schema_name}"."donors_donor"'
        )
    console.get("/console/")  # new organizations retired the routing cache: warm it again
    with count_queries() as many:
        response = console.get("/console/", {"sort": "-name"})

    assert len(response.context["rows"]) == selectors.PAGE_SIZE
    assert len(many) == len(few), [query["sql"][:80] for query in many.captured_queries]
    row = next(row for row in response.context["rows"] if row.organization == organization)
    assert row.stats.donors == 2
    assert row.stats.gifts == 0
    stats_queries = [query for query in many if "UNION ALL" in query["sql"]]
    assert len(stats_queries) == 1
