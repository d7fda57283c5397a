"""Files whose headers are not our column names: the columns recognised from a plain
spreadsheet's headers and from the exports of Bloomerang and Little Green Light, a mapping
chosen by hand, the mapping's checks, the preview of the first rows, the choice to import the
rows without errors, the result line, and an upload confirmed or discarded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from saas_platform.lib.errors import ServiceError
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations import selectors
from tenant_apps.donations.models import (
    Gift,
    GiftState,
    ImportJob,
    ImportKind,
    ImportState,
    RowErrorHandling,
)
from tenant_apps.donations.services import import_columns, import_csv, imports
from tenant_apps.donations.services.import_columns import columns_recognise, header_key
from tenant_apps.donations.tests.factories import today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

NOTHING = RowErrorHandling.IMPORT_NOTHING
SKIP = RowErrorHandling.SKIP_ROWS


@pytest.fixture
def imported(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Callable[..., ImportJob]:
    """Upload `content` as the imports page does, confirm its columns (recognised, or
    `mapping`) and run the import (Celery is eager in tests)."""

    def run(
        kind: str,
        content: str,
        *,
        mapping: list[str] | None = None,
        on_row_errors: str = NOTHING,
        name: str = "file.csv",
    ) -> ImportJob:
        upload = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
        job = imports.import_upload(kind=kind, upload=upload, acting_user=in_alpha.owner)
        with django_capture_on_commit_callbacks(execute=True):
            imports.import_confirm(
                job=job,
                mapping=job.mapping if mapping is None else mapping,
                on_row_errors=on_row_errors,
                acting_user=in_alpha.owner,
            )
        return ImportJob.objects.get(pk=job.pk)

    return run


def _uploaded(in_alpha: Tenant, kind: str, content: str) -> ImportJob:
    upload = SimpleUploadedFile("file.csv", content.encode(), content_type="text/csv")
    return imports.import_upload(kind=kind, upload=upload, acting_user=in_alpha.owner)


# --- Recognition ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("First Name", "firstname"),
        ("first_name", "firstname"),
        ("  FIRST-NAME ", "firstname"),
        ("E-mail", "email"),
        ("Check #", "checknumber"),
        ("Address Line 1", "addressline1"),
        ("ZIP/Postal Code", "zippostalcode"),
    ],
)
def test_a_header_is_compared_without_case_spaces_or_punctuation(written: str, key: str) -> None:
    assert header_key(written) == key


@pytest.mark.parametrize("kind", ImportKind.values)
def test_every_column_is_recognised_by_its_own_name_and_no_alias_names_two_fields(
    kind: str,
) -> None:
    columns = import_csv.COLUMNS[kind]
    assert columns_recognise(list(columns), kind=kind) == list(columns)
    assert set(import_columns.FIELD_LABELS[kind]) == set(columns)
    seen: dict[str, str] = {header_key(name): name for name in columns}
    for name, aliases in import_columns.ALIASES[kind].items():
        assert name in columns
        for alias in aliases:
            assert seen.setdefault(header_key(alias), name) == name, (alias, name)


def test_an_unknown_column_and_a_field_named_twice_are_left_out() -> None:
    header = ["Email", "Shoe size", "E-mail Address", "Last Name"]

    assert columns_recognise(header, kind="donors") == ["email", "", "", "last_name"]


def test_a_spreadsheet_of_donors_imports_the_right_fields(
    imported: Callable[..., ImportJob],
) -> None:
    content = (
        "First Name,Last Name,E-mail,Phone,Address,City,State,Zip,Country,Notes,Favourite colour\n"
        "Ada,Lovelace,ada@example.org,(555) 010-1000,12 St James Sq,London,LDN,SW1Y 4JH,GB,"
        "Met at the gala,green\n"
        "Alan,Turing,alan@example.org,,,,,,,,\n"
    )

    job = imported("donors", content)

    assert job.mapping == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "address_line1",
        "city",
        "region",
        "postcode",
        "country",
        "notes",
        "",
    ]
    assert job.state == ImportState.SUCCEEDED, job.errors
    assert selectors.import_result(job) == "2 of 2 rows imported"
    ada = Donor.objects.get(display_name="Ada Lovelace")
    assert ada.emails.get().email == "ada@example.org"
    assert ada.phones.get().phone_digits == "5550101000"
    address = ada.addresses.get()
    assert (address.line1, address.city, address.region, address.postcode, address.country) == (
        "12 St James Sq",
        "London",
        "LDN",
        "SW1Y 4JH",
        "GB",
    )
    assert ada.notes == "Met at the gala"
    assert Donor.objects.filter(display_name="Alan Turing").exists()


def test_a_bloomerang_constituent_export_imports_the_right_fields(
    imported: Callable[..., ImportJob],
) -> None:
    content = (
        "Account Number,Type,First Name,Last Name,Organization Name,Primary Email Address,"
        "Primary Phone Number,Primary Street,Primary City,Primary State,Primary Zip Code,"
        "Primary Country,Communication Restrictions\n"
        "1001,Individual,Grace,Hopper,,grace@example.org,555-010-2000,1 Navy Way,Arlington,VA,"
        "22201,US,Do Not Call\n"
        "1002,Organization,,,Analytical Engines Ltd,info@engines.example.org,,,,,,,\n"
    )

    job = imported("donors", content)

    assert job.mapping == [
        "",
        "type",
        "first_name",
        "last_name",
        "organization_name",
        "email",
        "phone",
        "address_line1",
        "city",
        "region",
        "postcode",
        "country",
        "",
    ]
    assert job.state == ImportState.SUCCEEDED, job.errors
    grace = Donor.objects.get(display_name="Grace Hopper")
    assert grace.kind == "individual"
    assert grace.emails.get().email == "grace@example.org"
    assert grace.addresses.get().postcode == "22201"
    engines = Donor.objects.get(display_name="Analytical Engines Ltd")
    assert engines.kind == "organization"


def test_a_bloomerang_transaction_export_imports_the_right_fields(
    imported: Callable[..., ImportJob],
) -> None:
    ada = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    day = today()
    content = (
        "Transaction Number,Account Number,Name,Date,Amount,Method,Check Number,Fund,Campaign,"
        "Appeal,Note,Primary Email Address\n"
        f'T-1,1001,Ada Lovelace,{day:%m/%d/%Y},"$1,250.00",Check,1042,General fund,,Spring,'
        "For the library,ada@example.org\n"
        f"T-2,1001,Ada Lovelace,{day:%m/%d/%Y},$25.00,Credit Card,,GEN,,,,ada@example.org\n"
    )

    job = imported("gifts", content)

    assert job.mapping == [
        "",
        "",
        "",
        "received_on",
        "amount",
        "method",
        "check_number",
        "fund",
        "campaign",
        "",
        "designation",
        "donor_email",
    ]
    assert job.state == ImportState.SUCCEEDED, job.errors
    gifts = list(Gift.objects.order_by("id").prefetch_related("allocations__fund"))
    assert [(g.donor_id, g.amount, g.received_on, g.method) for g in gifts] == [
        (ada.pk, Decimal("1250.00"), day, "check"),
        (ada.pk, Decimal("25.00"), day, "card"),
    ]
    assert gifts[0].check_number == "1042"
    assert gifts[0].designation == "For the library"
    # The fund named by its name in the export is the fund of that name.
    assert [a.fund.code for g in gifts for a in g.allocations.all()] == ["GEN", "GEN"]
    assert {(g.import_job_id, g.state) for g in gifts} == {(job.pk, GiftState.DRAFT)}


def test_a_little_green_light_constituent_export_imports_the_right_fields(
    imported: Callable[..., ImportJob],
) -> None:
    content = (
        "LGL Constituent ID,First Name,Last Name,Org Name,Email Address,Phone Number,"
        "Street,City,State,Postal Code,Country\n"
        "501,Katherine,Johnson,,kj@example.org,(555) 010-3000,1 Langley Blvd,Hampton,VA,23666,"
        "US\n"
        "502,,,Friends of the Library,,,,,,,\n"
    )

    job = imported("donors", content)

    assert job.mapping == [
        "",
        "first_name",
        "last_name",
        "organization_name",
        "email",
        "phone",
        "address_line1",
        "city",
        "region",
        "postcode",
        "country",
    ]
    assert job.state == ImportState.SUCCEEDED, job.errors
    katherine = Donor.objects.get(display_name="Katherine Johnson")
    assert katherine.phones.get().phone_digits == "5550103000"
    assert katherine.addresses.get().city == "Hampton"
    assert Donor.objects.get(display_name="Friends of the Library").kind == "organization"


def test_a_little_green_light_gift_export_imports_the_right_fields(
    imported: Callable[..., ImportJob],
) -> None:
    kj = donor_made("Katherine", "Johnson", emails=("kj@example.org",))
    day = today().isoformat()
    content = (
        "LGL Gift ID,LGL Constituent ID,Constituent Name,Email,Gift Date,Gift Amount,"
        "Payment Type,Check/Reference No.,Fund,Campaign,Gift Note\n"
        f"9001,501,Katherine Johnson,kj@example.org,{day},500.00,Check,2210,GEN,,Annual gift\n"
    )

    job = imported("gifts", content)

    assert job.mapping == [
        "",
        "",
        "",
        "donor_email",
        "received_on",
        "amount",
        "method",
        "check_number",
        "fund",
        "campaign",
        "designation",
    ]
    assert job.state == ImportState.SUCCEEDED, job.errors
    gift = Gift.objects.get()
    assert (gift.donor_id, gift.amount, gift.method, gift.check_number, gift.designation) == (
        kj.pk,
        Decimal("500.00"),
        "check",
        "2210",
        "Annual gift",
    )


def test_a_spreadsheet_of_gifts_imports_the_right_fields(
    imported: Callable[..., ImportJob],
) -> None:
    ada = donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    content = (
        f"Email,Amount,Date,Payment Method,Memo\nada@example.org,75,{today()},Cash,Bake sale\n"
    )

    job = imported("gifts", content)

    assert job.state == ImportState.SUCCEEDED, job.errors
    gift = Gift.objects.get()
    assert (gift.donor_id, gift.amount, gift.method, gift.designation) == (
        ada.pk,
        Decimal("75.00"),
        "cash",
        "Bake sale",
    )


# --- A mapping chosen by hand ---------------------------------------------------------------------


def test_a_mapping_chosen_by_hand_overrides_the_recognised_one(
    imported: Callable[..., ImportJob],
) -> None:
    content = "Known as,Surname,Notes\nAda,Lovelace,not for the file\n"

    job = imported("donors", content, mapping=["first_name", "last_name", ""])

    assert job.state == ImportState.SUCCEEDED, job.errors
    ada = Donor.objects.get()
    assert (ada.first_name, ada.last_name, ada.notes) == ("Ada", "Lovelace", "")
    confirm = AuditEvent.objects.get(action="import.confirm")
    assert confirm.detail == {
        "columns": [["Known as", "first_name"], ["Surname", "last_name"]],
        "on_row_errors": "import_nothing",
    }


@pytest.mark.parametrize(
    ("mapping", "fields", "message"),
    [
        (
            ["first_name", "first_name", ""],
            {"column_0", "column_1"},
            "First name is chosen for “Given Name” and “Also given”: choose it for one column",
        ),
        (
            ["", "", "email"],
            {"columns"},
            "No column is read as First name or Last name or Organization name",
        ),
        (["first_name", "last_name"], {"columns"}, "The file has 3 columns"),
        (["first_name", "", "shoe_size"], {"columns"}, "A donors file has no field shoe_size"),
    ],
)
def test_a_bad_mapping_is_refused_and_changes_nothing(
    in_alpha: Tenant,
    django_capture_on_commit_callbacks: Callable[..., Any],
    mapping: list[str],
    fields: set[str],
    message: str,
) -> None:
    content = "Given Name,Also given,Email\nAda,Augusta,ada@example.org\n"
    job = _uploaded(in_alpha, "donors", content)

    with (
        django_capture_on_commit_callbacks(execute=True) as queued,
        pytest.raises(ServiceError) as refused,
    ):
        imports.import_confirm(
            job=job, mapping=mapping, on_row_errors=NOTHING, acting_user=in_alpha.owner
        )

    assert message in refused.value.message
    assert set(refused.value.fields) == fields
    assert queued == []
    job.refresh_from_db()
    assert (job.state, job.mapping) == (ImportState.UPLOADED, ["first_name", "", "email"])
    assert not Donor.objects.exists()
    assert not AuditEvent.objects.filter(action="import.confirm").exists()


def test_an_upload_is_confirmed_once(in_alpha: Tenant, imported: Callable[..., ImportJob]) -> None:
    job = imported("donors", "First Name\nAda\n")

    with pytest.raises(ServiceError, match="confirmed already"):
        imports.import_confirm(
            job=job, mapping=["first_name"], on_row_errors=NOTHING, acting_user=in_alpha.owner
        )

    assert Donor.objects.count() == 1


def test_errors_name_the_columns_as_the_file_does(imported: Callable[..., ImportJob]) -> None:
    job = imported("donors", "First Name,E-mail\nAda,not-an-email\n")

    assert job.state == ImportState.FAILED
    assert [(error["row"], error["column"]) for error in job.errors] == [(2, "E-mail")]
    assert "not-an-email is not an email address" in job.errors[0]["message"]


# --- Rows with errors, and the result line -----------------------------------------------------


def test_rows_with_errors_left_out_when_asked_the_others_imported(
    imported: Callable[..., ImportJob],
) -> None:
    content = "First Name,Email\nAda,ada@example.org\nAlan,not-an-email\nGrace,\n"

    job = imported("donors", content, on_row_errors=SKIP)

    assert job.state == ImportState.SUCCEEDED
    assert (job.rows_created, job.rows_with_errors, job.error_count) == (2, 1, 1)
    assert selectors.import_result(job) == "2 of 3 rows imported: 1 row has errors"
    assert sorted(Donor.objects.values_list("first_name", flat=True)) == ["Ada", "Grace"]
    assert [(error["row"], error["column"]) for error in job.errors] == [(3, "Email")]
    audit = AuditEvent.objects.get(action="donor.import")
    assert audit.detail == {"file": "file.csv", "rows": 2, "rows_left_out": 1}


def test_nothing_is_imported_by_default_when_a_row_has_errors(
    imported: Callable[..., ImportJob],
) -> None:
    content = "First Name,Email\nAda,ada@example.org\nAlan,nope\nGrace,nope-too\n"

    job = imported("donors", content)

    assert job.state == ImportState.FAILED
    assert selectors.import_result(job) == "nothing imported: 2 rows have errors"
    assert not Donor.objects.exists()


def test_every_row_bad_imports_nothing_even_when_leaving_rows_out(
    imported: Callable[..., ImportJob],
) -> None:
    job = imported("donors", "First Name,Email\nAda,nope\n", on_row_errors=SKIP)

    assert job.state == ImportState.FAILED
    assert selectors.import_result(job) == "nothing imported: 1 row has errors"


def test_the_result_line_counts_what_was_imported_and_the_possible_duplicates(
    imported: Callable[..., ImportJob],
) -> None:
    donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    content = "First Name,Last Name,Email\nAda,Lovelace,ada@example.org\nAlan,Turing,\nG,H,\n"

    job = imported("donors", content)

    assert selectors.import_result(job) == "3 of 3 rows imported: 1 possible duplicate to review"


def test_a_job_not_finished_has_no_result_line(in_alpha: Tenant) -> None:
    job = _uploaded(in_alpha, "donors", "First Name\nAda\n")

    assert selectors.import_result(job) == ""


# --- The preview ---------------------------------------------------------------------------------


def test_the_preview_reads_values_and_marks_each_problem_on_its_cell(in_alpha: Tenant) -> None:
    donor_made("Ada", "Lovelace", emails=("ada@example.org",))
    day = today()
    rows = [
        f'ada@example.org,"$1,250.00",{day:%m/%d/%Y},Credit Card,Shoe',
        "nobody@example.org,-5,31/12/2025,barter,",
        *[f"ada@example.org,{n},{day},cash," for n in range(1, 9)],
    ]
    job = _uploaded(in_alpha, "gifts", "Email,Amount,Date,Method,Shoe size\n" + "\n".join(rows))
    read = imports.import_header(job, rows=import_columns.PREVIEW_ROWS)

    preview = import_columns.import_preview(kind="gifts", read=read, mapping=job.mapping)

    assert [column.label for column in preview.columns] == [
        "Donor's email",
        "Amount",
        "Date received",
        "Method",
    ]
    assert [column.title for column in preview.columns] == ["Email", "Amount", "Date", "Method"]
    assert len(preview.rows) == import_columns.PREVIEW_ROWS
    first, second = preview.rows[0], preview.rows[1]
    assert [cell.reading.value for cell in first.cells] == [
        "ada@example.org",
        Decimal("1250.00"),
        day,
        "Card",
    ]
    assert [cell.reading.shown_as for cell in first.cells] == ["text", "money", "date", "text"]
    assert [cell.error for cell in first.cells] == ["", "", "", ""]
    assert first.problems == []
    assert [bool(cell.error) for cell in second.cells] == [True, True, True, True]
    assert "No donor has the email nobody@example.org" in second.cells[0].error
    assert "YYYY-MM-DD" in second.cells[2].error
    assert preview.rows_with_errors == 1
    assert not preview.problems
    assert preview.listed_problems[0] == (
        3,
        "Donor's email: No donor has the email nobody@example.org.",
    )
    assert [number for number, _ in preview.listed_problems] == [3, 3, 3, 3]


def test_the_preview_names_the_missing_fields_and_a_field_chosen_twice(in_alpha: Tenant) -> None:
    job = _uploaded(in_alpha, "gifts", "Email,Amount,Gift Amount\na@example.org,5,6\n")
    read = imports.import_header(job)

    preview = import_columns.import_preview(
        kind="gifts", read=read, mapping=["donor_email", "amount", "amount"]
    )

    assert preview.problems.missing == [
        "No column is read as Date received: a gifts file needs one.",
        "No column is read as Method: a gifts file needs one.",
    ]
    assert preview.problems.column_messages == [
        "Amount is chosen for “Amount” and “Gift Amount”: choose it for one column only."
    ]
    # The field chosen twice is read from its first column.
    assert [column.title for column in preview.columns] == ["Email", "Amount"]
    assert preview.rows[0].cells[1].reading.value == Decimal("5.00")


def test_a_problem_of_a_field_no_column_is_read_as_is_the_rows_own(in_alpha: Tenant) -> None:
    job = _uploaded(in_alpha, "donors", "First Name,Zip\nAda,02139\nGrace,\n")
    read = imports.import_header(job, rows=import_columns.PREVIEW_ROWS)

    preview = import_columns.import_preview(kind="donors", read=read, mapping=job.mapping)

    assert preview.has_row_problems
    ada, grace = preview.rows
    assert [cell.error for cell in ada.cells] == ["", ""]
    assert len(ada.problems) == 1
    assert ada.problems[0].startswith("Address line 1: ")
    assert grace.problems == []


@pytest.mark.parametrize(
    ("name", "written", "value"),
    [
        ("amount", "$2,000", Decimal("2000.00")),
        ("amount", "lots", "lots"),
        ("received_on", "2026-03-31", date(2026, 3, 31)),
        ("received_on", "3/31/2026", date(2026, 3, 31)),
        ("received_on", "31/3/2026", "31/3/2026"),
        ("method", "in-kind", "In-kind"),
        ("method", "EFT", "ACH"),
        ("type", "organisation", "Organization"),
        ("email_ok", "Y", "Yes"),
        ("do_not_contact", "false", "No"),
        ("notes", "<b>hi</b>", "<b>hi</b>"),
    ],
)
def test_a_cell_reads_as_the_import_reads_it(name: str, written: str, value: object) -> None:
    assert import_columns.cell_read(name, written).value == value


# --- Uploads discarded, and the sample files ------------------------------------------------------


def test_a_discarded_upload_leaves_no_job_and_no_file(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    job = _uploaded(in_alpha, "donors", "First Name\nAda\n")
    stored, storage = job.file.name, job.file.storage
    assert stored and storage.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        imports.import_discard(job=job, acting_user=in_alpha.owner)

    assert not ImportJob.objects.exists()
    assert not storage.exists(stored)
    discard = AuditEvent.objects.get(action="import.discard")
    assert (discard.object_id, discard.detail) == (str(job.pk), {"file": "file.csv"})
    assert AuditEvent.objects.filter(action="import.upload", object_id=str(job.pk)).exists()


def test_a_queued_job_cannot_be_discarded(
    in_alpha: Tenant, imported: Callable[..., ImportJob]
) -> None:
    job = imported("donors", "First Name\nAda\n")

    with pytest.raises(ServiceError, match="nor the upload be discarded"):
        imports.import_discard(job=job, acting_user=in_alpha.owner)

    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_the_sample_files_import_cleanly_one_after_the_other(
    imported: Callable[..., ImportJob],
) -> None:
    def sample(kind: str) -> str:
        columns = import_csv.COLUMNS[kind]
        lines = [",".join(columns)]
        for row in import_csv.SAMPLE_ROWS[kind]:
            lines.append(",".join(f'"{row.get(column, "")}"' for column in columns))
        return "\n".join(lines) + "\n"

    donors = imported("donors", sample("donors"))
    gifts = imported("gifts", sample("gifts"))

    assert selectors.import_result(donors) == "3 of 3 rows imported", donors.errors
    assert selectors.import_result(gifts) == "3 of 3 rows imported", gifts.errors
    assert donors.mapping == list(import_csv.COLUMNS["donors"])
    assert sorted(Gift.objects.values_list("donor__display_name", flat=True)) == [
        "Alan Turing",
        "Grace Hopper",
        "Riverside Community Foundation",
    ]
