"""CSV export of the donor list: the list's filters, the import's columns (a file exported
imports as it is), formula cells defused, one query whatever the number of donors."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.donations.models import ImportJob
from tenant_apps.donors.models import Donor
from tenant_apps.donors.services.checks import AddressSpec
from tenant_apps.donors.services.imports import DONOR_CSV_COLUMNS
from tenant_apps.donors.services.merges import donor_merge
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/donors/donors/export/"


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="donors-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == DONOR_CSV_COLUMNS
    return list(reader)


@pytest.fixture
def viewer(alpha: Tenant) -> APIClient:
    return alpha.api(alpha.user(Role.VIEWER))


@pytest.fixture
def board(in_alpha: Tenant) -> list[Donor]:
    grace = DonorFactory.create(
        first_name="Grace",
        last_name="Hopper",
        emails=("grace@example.org",),
        phones=("+1 (555) 010-1000",),
        addresses=(
            AddressSpec(
                line1="1 Navy Way",
                line2="Suite 2",
                city="Arlington",
                region="VA",
                postcode="22201",
            ),
        ),
        tags=("Board", "Volunteers"),
        mail_ok=False,
        email_news_ok=True,
        notes='=HYPERLINK("http://evil.example")\nsecond line, with a comma',
    )
    engines = DonorFactory.create(organization_name="Analytical Engines Ltd", tags=("Board",))
    return [grace, engines]


def test_the_export_writes_the_import_columns_with_contacts_tags_and_defused_formulas(
    in_alpha: Tenant, viewer: APIClient, board: list[Donor]
) -> None:
    DonorFactory.create(first_name="Not", last_name="Board")

    rows = _rows(viewer.get(f"{EXPORT}?tag=board"))

    assert rows == [
        {
            "type": "organization",
            "first_name": "",
            "last_name": "",
            "organization_name": "Analytical Engines Ltd",
            "email": "",
            "phone": "",
            "address_line1": "",
            "address_line2": "",
            "city": "",
            "region": "",
            "postcode": "",
            "country": "",
            "tags": "Board",
            "email_ok": "yes",
            "email_news_ok": "no",
            "mail_ok": "yes",
            "phone_ok": "yes",
            "do_not_contact": "no",
            "notes": "",
        },
        {
            "type": "individual",
            "first_name": "Grace",
            "last_name": "Hopper",
            "organization_name": "",
            "email": "grace@example.org",
            "phone": "'+1 (555) 010-1000",
            "address_line1": "1 Navy Way",
            "address_line2": "Suite 2",
            "city": "Arlington",
            "region": "VA",
            "postcode": "22201",
            "country": "US",
            "tags": "Board;Volunteers",
            "email_ok": "yes",
            "email_news_ok": "yes",
            "mail_ok": "no",
            "phone_ok": "yes",
            "do_not_contact": "no",
            "notes": '\'=HYPERLINK("http://evil.example")\nsecond line, with a comma',
        },
    ]


def test_the_export_follows_the_search_and_leaves_merged_donors_out(
    in_alpha: Tenant, viewer: APIClient
) -> None:
    keep = DonorFactory.create(first_name="Ada", last_name="Lovelace")
    merged = DonorFactory.create(first_name="Ada", last_name="Lovelace-King")
    DonorFactory.create(first_name="Alan", last_name="Turing")
    donor_merge(survivor=keep, merged=merged, acting_user=None)

    rows = _rows(viewer.get(f"{EXPORT}?q=lovelace"))

    assert [(row["first_name"], row["last_name"]) for row in rows] == [("Ada", "Lovelace")]
    assert len(_rows(viewer.get(f"{EXPORT}?kind=organization"))) == 0


def test_an_exported_file_imports_as_it_is(
    in_alpha: Tenant,
    board: list[Donor],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """The round trip: export, import the file, export again: every donor twice, the same."""
    fundraiser = in_alpha.api(in_alpha.user(Role.FUNDRAISER))
    exported = fundraiser.get(f"{EXPORT}?tag=board").getvalue()

    with django_capture_on_commit_callbacks(execute=True):
        response = fundraiser.post(
            "/api/v1/donations/imports/",
            {"kind": "donors", "file": SimpleUploadedFile("board.csv", exported, "text/csv")},
            format="multipart",
        )

    assert response.status_code == 201, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.state == "succeeded" and job.rows_created == 2, job.errors
    first = _rows(fundraiser.get(f"{EXPORT}?tag=board"))
    assert len(first) == 4
    assert first[0] == first[1]
    assert first[2] == first[3]
    copy = Donor.objects.exclude(pk=board[0].pk).get(display_name="Grace Hopper")
    assert copy.notes == board[0].notes
    assert copy.phones.get().number == "+1 (555) 010-1000"
    # and the import saw each as a likely duplicate of the donor it came from
    assert {duplicate["donor"] for duplicate in job.duplicates} >= {board[0].pk}


def test_the_export_runs_the_same_queries_for_many_donors(
    in_alpha: Tenant, viewer: APIClient, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    def make(count: int, start: int) -> None:
        for number in range(start, start + count):
            DonorFactory.create(
                first_name=f"Given{number}",
                last_name="Family",
                emails=(f"d{number}@example.org",),
                phones=(f"555010{number:04d}",),
                postcodes=("02139",),
                tags=("Board", f"tag{number}"),
            )

    _rows(viewer.get(EXPORT))  # the host's tenant is cached from here on
    make(2, 0)
    with count_queries() as few:
        assert len(_rows(viewer.get(EXPORT))) == 2
    make(30, 2)
    with count_queries() as many:
        assert len(_rows(viewer.get(f"{EXPORT}"))) == 32

    assert len(many) == len(few)


@pytest.mark.parametrize(
    "role", [Role.OWNER, Role.FUNDRAISER, Role.BOOKKEEPER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR]
)
def test_every_donor_reader_exports(in_alpha: Tenant, role: str) -> None:
    DonorFactory.create(first_name="Ada", last_name="Lovelace")

    assert len(_rows(in_alpha.api(in_alpha.user(role)).get(EXPORT))) == 1


def test_other_tenants_get_nothing(
    in_alpha: Tenant, assert_other_tenant_denied: Callable[..., None]
) -> None:
    DonorFactory.create(first_name="Ada", last_name="Lovelace")

    assert_other_tenant_denied(EXPORT)
    assert in_alpha.api().get(EXPORT).status_code == 401
