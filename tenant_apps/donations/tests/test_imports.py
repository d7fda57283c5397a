"""CSV imports through the API: all rows or none, the file's own problems refused at upload,
row errors named by row and column, duplicates reported, gifts matched to donors, progress
readable while a job runs, roles, other tenants and query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.accounting.models import JournalEntry
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Gift, ImportJob, ImportState
from tenant_apps.donations.selectors import import_progress
from tenant_apps.donations.services import imports
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors import services as donor_services
from tenant_apps.donors.models import Donor, DonorEmail, Tag
from tenant_apps.donors.services import imports as donor_imports
from tenant_apps.donors.tests.factories import donor_made
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donations/imports"
DONOR_HEADER = (
    "type,first_name,last_name,organization_name,email,phone,address_line1,city,postcode,tags,"
    "do_not_contact,notes"
)
GOOD_DONORS = (
    f"{DONOR_HEADER}\n"
    "individual,Grace,Hopper,,grace@example.org,(555) 010-1000,1 Navy Way,Arlington,22201,"
    "Board; Volunteers,no,\n"
    ",Alan,Turing,,alan@example.org,,,,,volunteers,yes,'=likes puzzles\n"
    "organization,,,Analytical Engines Ltd,,+44 20 7946 0000,,,,,,\n"
)


def _file(content: str | bytes, name: str = "donors.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def upload(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[..., Any]:
    """Upload a file as `client` and run the queued import (Celery is eager in tests)."""

    def send(client: Any, kind: str, content: str | bytes, name: str = "file.csv") -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"{API}/", {"kind": kind, "file": _file(content, name)}, format="multipart"
            )

    return send


def _job(response: Any) -> ImportJob:
    assert response.status_code == 201, (response.status_code, response.content[:500])
    with schema_context("alpha"):
        return ImportJob.objects.get(pk=response.json()["id"])


def _donor_count() -> int:
    with schema_context("alpha"):
        return Donor.objects.count()


# --- Donors ------------------------------------------------------------------------------------


def test_a_donor_file_is_imported_whole_with_contacts_tags_and_one_audit_row(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    response = upload(fundraiser, "donors", GOOD_DONORS, "donors.csv")

    job = _job(response)
    assert job.state == ImportState.SUCCEEDED, job.message
    assert job.rows_created == 3, job.message
    status = fundraiser.get(f"{API}/{job.pk}/").json()
    assert status["state"] == "succeeded"
    assert status["original_filename"] == "donors.csv"
    assert status["progress"] == {"state": "succeeded", "processed": 3, "total": 3}
    assert status["created_by"] == "funds@alpha.org"
    assert status["error_count"] == 0
    grace = Donor.objects.get(display_name="Grace Hopper")
    assert grace.emails.get().email == "grace@example.org"
    assert grace.phones.get().phone_digits == "5550101000"
    address = grace.addresses.get()
    assert (address.line1, address.city, address.postcode, address.country) == (
        "1 Navy Way",
        "Arlington",
        "22201",
        "US",
    )
    assert sorted(tag.name for tag in grace.tags.all()) == ["Board", "Volunteers"]
    alan = Donor.objects.get(display_name="Alan Turing")
    assert alan.kind == "individual"
    assert alan.do_not_contact
    assert alan.notes == "=likes puzzles"  # the export's formula escape is taken off
    # "volunteers" is the tag "Volunteers" (tags are one name ignoring case).
    assert [tag.name for tag in alan.tags.all()] == ["Volunteers"]
    assert Tag.objects.filter(name__iexact="volunteers").count() == 1
    engines = Donor.objects.get(display_name="Analytical Engines Ltd")
    assert engines.kind == "organization"
    assert engines.created_by is not None
    assert engines.created_by.email == "funds@alpha.org"
    audit = AuditEvent.objects.filter(action__startswith="donor.")
    assert [event.action for event in audit] == ["donor.import"]
    assert audit.get().detail == {"file": "donors.csv", "rows": 3}


def test_a_file_with_one_bad_row_imports_nothing_and_names_every_problem(
    fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    content = (
        "first_name,last_name,email,phone,country,address_line1,email_ok\n"
        "Ada,Lovelace,ada@example.org,,,,\n"
        "Bad,Row,not-an-email,12,,,maybe\n"
        ",,,,,,\n"  # blank: skipped, but it keeps its row number
        ",,x@example.org,5550102030,USA,1 Main St,\n"
    )
    before = _donor_count()

    job = _job(upload(fundraiser, "donors", content))

    assert job.state == ImportState.FAILED
    assert job.rows_created == 0
    assert _donor_count() == before
    assert "2 of 3 rows have errors" in job.message
    assert "nothing was imported" in job.message
    errors = fundraiser.get(f"{API}/{job.pk}/errors/").json()
    assert errors["count"] == len(errors["results"]) == 5
    found = {(error["row"], error["column"]) for error in errors["results"]}
    assert found == {
        (3, "email"),
        (3, "phone"),
        (3, "email_ok"),
        (5, "last_name"),
        (5, "country"),
    }
    messages = {(error["row"], error["column"]): error["message"] for error in errors["results"]}
    assert "not-an-email is not an email address" in messages[3, "email"]
    assert "not a phone number" in messages[3, "phone"]
    assert "'maybe' is not yes or no" in messages[3, "email_ok"]
    assert "first or a last name" in messages[5, "last_name"]
    assert "two-letter country code" in messages[5, "country"]
    page = fundraiser.get(f"{API}/{job.pk}/errors/?limit=2&offset=1").json()
    assert [error["row"] for error in page["results"]] == [3, 3]
    assert page["next"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "first_name,last_name,shoe_size\nAda,Lovelace,7\n",
            "Unknown column in the header: shoe_size",
        ),
        ("email,phone\nada@example.org,\n", "no first_name or last_name or organization_name"),
        ("first_name,First_Name\nAda,Ada\n", "names a column twice: first_name"),
        ("", "The file is empty"),
        ("\n\n", "The file is empty"),
        ("first_name,last_name\n", "a header but no rows"),
        ("first_name,last_name\n\n,\n", "a header but no rows"),
        ('first_name,last_name\nAda,Lovelace\n"Alan,Turing\n', "not valid CSV near line 3"),
        (b"first_name,last_name\nAda,Lovel\xe1ce\n", "not UTF-8 text (line 2"),
        (b"\xff\xfef\x00i\x00r\x00", "not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_at_upload_and_nothing_is_queued(
    in_alpha: Tenant,
    fundraiser: APIClient,
    upload: Callable[..., Any],
    content: str | bytes,
    expected: str | None,
) -> None:
    response = upload(fundraiser, "donors", content)

    if expected is None:
        assert response.status_code in (201, 400)
        return
    error = api_error(response, 400)
    assert expected in error["message"], error
    assert error["fields"]["file"]
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(
    in_alpha: Tenant,
    fundraiser: APIClient,
    upload: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 1024 * 1024)
    content = "first_name,last_name\n" + "Ada,Lovelace\n" * 90_000  # about 1.2 MB

    error = api_error(upload(fundraiser, "donors", content), 400)

    assert "the limit is 1 MB" in error["message"]
    assert not ImportJob.objects.exists()


def test_a_utf8_file_with_a_byte_order_mark_and_windows_lines_is_read(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    content = "\ufefffirst_name,last_name\r\nZoë,Ångström\r\n".encode()

    job = _job(upload(fundraiser, "donors", content))

    assert job.state == ImportState.SUCCEEDED, job.errors
    assert Donor.objects.filter(display_name="Zoë Ångström").exists()


def test_a_cell_too_long_is_named_once_by_its_column(
    fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    content = f"first_name,address_line1,city,phone\nAda,1 Main St,{'x' * 101},{'5' * 41}\n"

    job = _job(upload(fundraiser, "donors", content))

    assert [(error["column"], error["message"]) for error in job.errors] == [
        ("city", "At most 100 characters."),
        ("phone", "At most 40 characters."),
    ]


def test_a_value_outside_every_column_is_a_row_error(
    fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    content = "first_name,last_name\nAda,Lovelace,London\nAlan,Turing,\n"

    job = _job(upload(fundraiser, "donors", content))

    assert job.state == ImportState.FAILED
    assert [(error["row"], error["column"]) for error in job.errors] == [(2, "")]
    assert "outside every column" in job.errors[0]["message"]


def test_a_nul_character_in_a_donor_cell_is_a_row_and_column_error(
    fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    content = "first_name,last_name,email\nAda,Lovelace,\nAlan,Tu\x00ring,alan@example.org\n"

    job = _job(upload(fundraiser, "donors", content))

    assert job.state == ImportState.FAILED
    assert [(error["row"], error["column"]) for error in job.errors] == [(3, "last_name")]
    assert "NUL character" in job.errors[0]["message"]
    assert job.message.startswith("1 of 2 rows have errors")
    assert _donor_count() == 0


def test_a_nul_character_in_a_gift_cell_is_a_row_and_column_error(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    ada = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    day = today().isoformat()
    content = (
        f"{GIFT_HEADER}\n"
        f"{ada.pk},,100,{day},check,,,1001\n"
        f",ada@exam\x00ple.org,100,{day},check,,,1002\n"
    )

    job = _job(upload(fundraiser, "gifts", content))

    assert job.state == ImportState.FAILED
    nul_errors = [error for error in job.errors if "NUL character" in error["message"]]
    assert [(error["row"], error["column"]) for error in nul_errors] == [(3, "donor_email")]
    assert not Gift.objects.exists()


def test_a_nul_character_in_the_header_is_refused_at_upload(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    response = upload(fundraiser, "donors", "first_name,last\x00name\nAda,Lovelace\n")

    error = api_error(response, 400)
    assert "Column 2 of the header holds a NUL character" in error["message"]
    assert not ImportJob.objects.exists()


def test_likely_duplicates_are_reported_and_do_not_block_the_import(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    ada = donor_made("Ada", "Lovelace", emails=("ada@example.org",), postcodes=("02139",))
    merged = donor_made("Old", "Record", emails=("old@example.org",))
    survivor = donor_made("New", "Record")
    donor_services.donor_merge(survivor=survivor, merged=merged, acting_user=None)
    content = (
        "first_name,last_name,email,phone,address_line1,postcode\n"
        "Augusta Ada,Lovelace,ADA@example.org,,,\n"  # row 2: same email as Ada
        "Ada,Lovelace,,,2 Other St,02139\n"  # row 3: similar name, same postcode
        "Charles,Babbage,,555-010-7777,,\n"  # row 4
        "Charlie,Babbage,,(555) 010 7777,,\n"  # row 5: same phone as row 4
        "Nobody,Similar,,,,\n"  # row 6
    )

    job = _job(upload(fundraiser, "donors", content))

    assert job.state == ImportState.SUCCEEDED
    assert job.rows_created == 5
    body = fundraiser.get(f"{API}/{job.pk}/duplicates/").json()
    assert body["results"] == [
        {"row": 2, "reasons": ["email"], "donor": ada.pk, "donor_name": "Ada Lovelace"},
        {
            "row": 3,
            "reasons": ["name_and_postcode"],
            "donor": ada.pk,
            "donor_name": "Ada Lovelace",
        },
        {"row": 5, "reasons": ["phone"], "same_as_row": 4},
    ]
    assert fundraiser.get(f"{API}/{job.pk}/").json()["duplicate_count"] == 3


# --- Gifts ---------------------------------------------------------------------------------------


GIFT_HEADER = "donor_id,donor_email,amount,received_on,method,fund,campaign,check_number"


def test_gifts_are_matched_by_email_and_by_id_and_imported_as_drafts(
    in_alpha: Tenant, upload: Callable[..., Any]
) -> None:
    bookkeeper = in_alpha.api(in_alpha.user(Role.BOOKKEEPER, email="books@alpha.org"))
    ada = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    alan = donor_made("Alan", "Turing")
    entries = JournalEntry.objects.count()
    day = today().isoformat()
    content = (
        f"{GIFT_HEADER},in_kind_description\n"
        f',Ada@Example.org,"1,250.00",{day},check,,,1042,\n'
        f"{alan.pk},,25,{day},Cash,PRP,,,\n"
        f"{ada.pk},ada@example.org,10.50,{day},in-kind,,,,Books for the library\n"
    )

    job = _job(upload(bookkeeper, "gifts", content, "gifts.csv"))

    assert job.state == ImportState.SUCCEEDED, job.errors
    assert job.rows_created == 3, job.errors
    gifts = list(Gift.objects.order_by("id").prefetch_related("allocations__fund"))
    assert [(g.donor_id, str(g.amount), g.method) for g in gifts] == [
        (ada.pk, "1250.00", "check"),
        (alan.pk, "25.00", "cash"),
        (ada.pk, "10.50", "in_kind"),
    ]
    assert {(g.state, g.source) for g in gifts} == {("draft", "import")}
    assert [[(a.fund.code, str(a.amount)) for a in g.allocations.all()] for g in gifts] == [
        [("GEN", "1250.00")],
        [("PRP", "25.00")],
        [("GEN", "10.50")],
    ]
    assert gifts[0].check_number == "1042"
    assert gifts[0].created_by is not None
    assert gifts[0].created_by.email == "books@alpha.org"
    assert gifts[2].in_kind_description == "Books for the library"
    assert JournalEntry.objects.count() == entries  # posting is a bookkeeper's act
    assert AuditEvent.objects.filter(action="gift.import").count() == 1


def test_a_gift_file_with_bad_rows_imports_no_gift_and_lists_each_problem(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    ada = donor_made("Ada", "Lovelace", emails=("ada@example.org", "shared@example.org"))
    donor_made("Ann", "Other", emails=("shared@example.org",))
    merged = donor_made("Old", "Record")
    donor_services.donor_merge(survivor=ada, merged=merged, acting_user=None)
    GiftFactory.create(donor=ada, amount="5.00", payment_reference="ch_1")
    gifts_before = Gift.objects.count()
    day = today().isoformat()
    content = (
        f"{GIFT_HEADER},payment_reference,goods_services_value\n"
        f"{ada.pk},,100,{day},check,,,,,\n"  # row 2: fine
        f",nobody@example.org,100,{day},check,,,,,\n"  # 3: unknown email
        f"{merged.pk},,100,{day},check,,,,,\n"  # 4: merged donor
        f"{ada.pk},,-5,31/12/2025,cheque,NOPE,FALL,,,\n"  # 5: amount, date, method, fund, campaign
        f",shared@example.org,100,{day},card,,,,ch_1,\n"  # 6: two donors; reference taken
        f"{ada.pk},,100,{day},card,,,,ch_2,20\n"  # 7: a value in return without a description
        f"{ada.pk},,100,{day},card,,,,ch_2,\n"  # 8: ch_2 again
        f"999999,,100,{day},check,,,,,\n"  # 9: no such donor
        f"{ada.pk},nobody@example.org,100,{day},check,,,,,\n"  # 10: email of someone else
    )

    job = _job(upload(fundraiser, "gifts", content))

    assert job.state == ImportState.FAILED
    found = {(error["row"], error["column"]) for error in job.errors}
    assert found == {
        (3, "donor_email"),
        (4, "donor_id"),
        (5, "amount"),
        (5, "received_on"),
        (5, "method"),
        (5, "fund"),
        (5, "campaign"),
        (6, "donor_email"),
        (6, "payment_reference"),
        (7, "goods_services_description"),
        (8, "payment_reference"),
        (9, "donor_id"),
        (10, "donor_email"),
    }
    messages = {(error["row"], error["column"]): error["message"] for error in job.errors}
    assert "No donor has the email nobody@example.org" in messages[3, "donor_email"]
    assert f"merged into donor {ada.pk}" in messages[4, "donor_id"]
    assert "YYYY-MM-DD" in messages[5, "received_on"]
    assert "Several donors have the email" in messages[6, "donor_email"]
    assert "also on row 7" in messages[8, "payment_reference"]
    assert Gift.objects.count() == gifts_before


def test_a_gift_file_imported_twice_reports_the_repeated_gifts(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    ada = donor_made("Ada", "Lovelace")
    content = f"donor_id,amount,received_on,method\n{ada.pk},50,{today().isoformat()},cash\n"
    first = _job(upload(fundraiser, "gifts", content))

    second = _job(upload(fundraiser, "gifts", content))

    assert first.duplicates == []
    gift = Gift.objects.order_by("id").first()
    assert gift is not None
    assert second.state == ImportState.SUCCEEDED
    assert second.duplicates == [{"row": 2, "reasons": ["same_donor_amount_date"], "gift": gift.pk}]


# --- Progress ----------------------------------------------------------------------------------


def test_the_status_reads_published_progress_while_a_job_runs_and_the_row_after(
    in_alpha: Tenant, fundraiser: APIClient
) -> None:
    job = ImportJob.objects.create(
        kind="donors", original_filename="big.csv", state=ImportState.IMPORTING, total_rows=10
    )
    imports.import_progress_publish(job_id=job.pk, state="importing", processed=4, total=10)

    running = fundraiser.get(f"{API}/{job.pk}/").json()

    assert running["state"] == "importing"
    assert running["progress"] == {"state": "importing", "processed": 4, "total": 10}
    ImportJob.objects.filter(pk=job.pk).update(state="succeeded", rows_processed=10)
    assert fundraiser.get(f"{API}/{job.pk}/").json()["progress"] == {
        "state": "succeeded",
        "processed": 10,
        "total": 10,
    }


def test_progress_is_published_through_the_cache_during_the_import(
    fundraiser: APIClient, upload: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What another connection would read at each step: the cache, not the job's row (whose
    updates are inside the import's transaction)."""
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(donor_imports, "IMPORT_BATCH_SIZE", 2)
    seen: list[tuple[str, str, int, int]] = []
    publish = imports.import_progress_publish

    def spy(*, job_id: int, state: str, processed: int, total: int) -> None:
        publish(job_id=job_id, state=state, processed=processed, total=total)
        row = ImportJob.objects.get(pk=job_id)
        progress = import_progress(row)
        seen.append((row.state, progress["state"], progress["processed"], progress["total"]))

    monkeypatch.setattr(imports, "import_progress_publish", spy)
    content = "first_name,last_name\n" + "".join(f"Given{n},Family{n}\n" for n in range(5))

    job = _job(upload(fundraiser, "donors", content))

    assert job.state == ImportState.SUCCEEDED
    assert seen == [
        ("validating", "validating", 0, 5),
        ("validating", "validating", 2, 5),
        ("validating", "validating", 4, 5),
        ("validating", "validating", 5, 5),
        ("importing", "importing", 0, 5),
        ("importing", "importing", 2, 5),
        ("importing", "importing", 4, 5),
        ("importing", "importing", 5, 5),
    ]


def test_progress_keys_are_per_tenant(alpha: Tenant, beta: Tenant) -> None:
    with schema_context("alpha"):
        alpha_job = ImportJob.objects.create(kind="donors", original_filename="a.csv")
        imports.import_progress_publish(
            job_id=alpha_job.pk, state="importing", processed=7, total=9
        )
    with schema_context("beta"):
        beta_job = ImportJob.objects.create(kind="donors", original_filename="b.csv")
        assert import_progress(beta_job)["processed"] == 0


def test_a_job_runs_once_even_if_its_task_is_delivered_twice(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    job = _job(upload(fundraiser, "donors", "first_name,last_name\nAda,Lovelace\n"))
    before = _donor_count()

    assert imports.import_run(job_id=job.pk) is None

    assert _donor_count() == before


# --- Roles, other tenants, lists -------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind", "allowed"),
    [
        (Role.FUNDRAISER, "donors", True),
        (Role.FUNDRAISER, "gifts", True),
        (Role.BOOKKEEPER, "gifts", True),
        (Role.BOOKKEEPER, "donors", False),
        (Role.VIEWER, "donors", False),
        (Role.VIEWER, "gifts", False),
        (Role.VOLUNTEER_COORDINATOR, "donors", False),
    ],
)
def test_who_may_import_what(
    in_alpha: Tenant, upload: Callable[..., Any], role: str, kind: str, allowed: bool
) -> None:
    client = in_alpha.api(in_alpha.user(role))
    content = "first_name,last_name\nAda,Lovelace\n"
    if kind == "gifts":
        content = f"donor_email,amount,received_on,method\na@example.org,1,{today()},cash\n"

    response = upload(client, kind, content)

    if allowed:
        assert response.status_code == 201, response.content
    else:
        api_error(response, 403)
        assert not ImportJob.objects.exists()


def test_a_viewer_reads_jobs_and_their_errors(
    alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    job = _job(upload(fundraiser, "donors", "first_name,email\nAda,nope\n"))
    viewer = alpha.api(alpha.user(Role.VIEWER))

    assert viewer.get(f"{API}/").json()["results"][0]["id"] == job.pk
    assert viewer.get(f"{API}/{job.pk}/errors/").json()["count"] == 1


def test_bad_input_gets_a_clear_400(fundraiser: APIClient) -> None:
    pledges = {"kind": "pledges", "file": _file("first_name\nAda\n")}
    error = api_error(fundraiser.post(f"{API}/", pledges, format="multipart"), 400)
    assert error["fields"] == {"kind": ["donors or gifts."]}
    error = api_error(fundraiser.post(f"{API}/", {"kind": "donors"}, format="multipart"), 400)
    assert "file" in error["fields"]
    api_error(fundraiser.post(f"{API}/", {"kind": "donors"}, format="json"), 415)


def test_other_tenants_get_nothing(
    alpha: Tenant,
    beta: Tenant,
    fundraiser: APIClient,
    upload: Callable[..., Any],
    assert_other_tenant_denied: Callable[..., None],
) -> None:
    job = _job(upload(fundraiser, "donors", "first_name,email\nAda,nope\n"))

    for path in (f"{API}/", f"{API}/{job.pk}/", f"{API}/{job.pk}/errors/"):
        assert_other_tenant_denied(path)
    assert_other_tenant_denied(f"{API}/{job.pk}/duplicates/")
    assert_other_tenant_denied(f"{API}/", method="post", data={"kind": "donors"})
    beta_owner = beta.api(beta.owner)
    assert beta_owner.get(f"{API}/").json()["results"] == []
    api_error(beta_owner.get(f"{API}/{job.pk}/"), 404)
    api_error(beta_owner.get(f"{API}/{job.pk}/errors/"), 404)


def test_the_list_runs_the_same_queries_for_many_jobs(
    in_alpha: Tenant, fundraiser: APIClient, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    def make(count: int) -> None:
        for number in range(count):
            ImportJob.objects.create(
                kind="donors", original_filename=f"{number}.csv", created_by=in_alpha.owner
            )

    fundraiser.get(f"{API}/")  # the host's tenant is cached from here on
    make(2)
    with count_queries() as few:
        assert len(fundraiser.get(f"{API}/").json()["results"]) == 2
    make(20)
    with count_queries() as many:
        assert len(fundraiser.get(f"{API}/").json()["results"]) == 22

    assert len(many) == len(few)


def test_an_owner_reads_jobs_in_the_admin_but_cannot_edit_them(in_alpha: Tenant) -> None:
    job = ImportJob.objects.create(kind="donors", original_filename="spring-donors.csv")
    client = in_alpha.client(in_alpha.owner)

    assert b"spring-donors.csv" in client.get("/admin/donations/importjob/").content
    assert client.get(f"/admin/donations/importjob/{job.pk}/change/").status_code == 200
    assert client.post(f"/admin/donations/importjob/{job.pk}/change/", {}).status_code == 403


def test_emails_of_imported_donors_are_stored_lowercased(
    in_alpha: Tenant, fundraiser: APIClient, upload: Callable[..., Any]
) -> None:
    job = _job(upload(fundraiser, "donors", "first_name,email\nAda,Ada@Example.ORG\n"))

    assert job.state == ImportState.SUCCEEDED
    assert DonorEmail.objects.get().email == "ada@example.org"
