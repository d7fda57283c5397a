"""Uploading scans to a deposit and reading them: the checks found on each page, what was read,
the donor suggested, duplicates flagged, and files refused with a clear error and nothing kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from saas_platform.lib.errors import ServiceError
from tenant_apps.checks.models import CheckState, ScannedCheck, ScanState, ScanUpload
from tenant_apps.checks.services.matching import account_fingerprint
from tenant_apps.checks.services.review import scanned_check_accept
from tenant_apps.checks.services.uploads import scan_upload_create
from tenant_apps.checks.tests.check_images import blank_page, photo_of_something_else
from tenant_apps.checks.tests.conftest import Scans
from tenant_apps.donations.models import Deposit
from tenant_apps.donations.services import deposit_create
from tenant_apps.donors.models import Donor
from tenant_apps.donors.services import AddressSpec
from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant

pytestmark = pytest.mark.usefixtures("in_alpha")


@pytest.fixture
def deposit(in_alpha: Tenant) -> Deposit:
    return deposit_create(
        deposit_on=date(2026, 12, 1),
        expected_count=4,
        expected_total=Decimal("1000.00"),
        acting_user=in_alpha.owner,
    )


def _uploaded(
    deposit: Deposit,
    content: bytes,
    name: str,
    run_on_commit: Callable[..., Any],
    user: Any = None,
) -> ScanUpload:
    with run_on_commit(execute=True):
        scan = scan_upload_create(
            deposit=deposit, upload=SimpleUploadedFile(name, content), acting_user=user
        )
    scan.refresh_from_db()
    return scan


def test_a_pdf_of_scans_becomes_checks_read_field_by_field(
    deposit: Deposit,
    scans: Scans,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    scan = _uploaded(deposit, scans.pdf, "stack.pdf", django_capture_on_commit_callbacks)

    assert scan.state == ScanState.DONE
    assert (scan.kind, scan.pages_total, scan.pages_read, scan.checks_found) == ("pdf", 2, 2, 4)
    assert scan.page_errors == []
    assert not scan.file  # the crops are kept, not the whole file
    checks = list(ScannedCheck.objects.filter(upload=scan).order_by("page_index", "position"))
    assert [(check.page_index, check.position) for check in checks] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
    ]
    for check, generated in zip(checks, scans.checks, strict=True):
        truth = generated.truth
        assert check.state == CheckState.PENDING
        assert check.amount == truth.amount
        assert check.check_number == truth.check_number.lstrip("0")
        assert check.routing_number == truth.routing_number
        assert check.account_last4 == truth.account_number.replace("-", "")[-4:]
        assert check.fingerprint == account_fingerprint(
            routing_number=truth.routing_number, account_number=truth.account_number
        )
        assert check.payer_name == truth.payer_name
        assert check.fields["amount"]["value"] == f"{truth.amount:.2f}"
        assert 0.6 <= check.fields["amount"]["confidence"] <= 1
        assert check.image.read().startswith(b"\x89PNG")
    # The account number is nowhere but in the image: not in a column, not in the fields.
    for check, generated in zip(checks, scans.checks, strict=True):
        account = generated.truth.account_number.replace("-", "")
        stored = " ".join(
            str(value) for value in ScannedCheck.objects.filter(pk=check.pk).values().get().values()
        )
        assert account not in stored
        assert check.fields["account_number"]["value"] == f"••••{account[-4:]}"


def test_several_checks_on_one_flatbed_image_are_cropped_apart(
    deposit: Deposit, scans: Scans, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    scan = _uploaded(deposit, scans.flatbed_png, "glass.png", django_capture_on_commit_callbacks)

    assert (scan.kind, scan.checks_found) == ("png", 3)
    amounts = list(
        ScannedCheck.objects.filter(upload=scan)
        .order_by("position")
        .values_list("amount", flat=True)
    )
    assert amounts == [generated.truth.amount for generated in scans.checks[:3]]


def test_the_payer_is_suggested_from_the_account_then_from_name_and_postcode(
    deposit: Deposit,
    in_alpha: Tenant,
    scans: Scans,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # Given a donor with the second check's payer's name and ZIP code, and nothing yet learned.
    truth = scans.checks[1].truth
    first, last = truth.payer_name.rsplit(" ", 1)
    same_name = DonorFactory.create(
        first_name=first,
        last_name=last,
        addresses=(AddressSpec(line1="1 Elsewhere", postcode=truth.payer_address[1][-5:]),),
    )
    scan = _uploaded(deposit, scans.pdf, "one.pdf", django_capture_on_commit_callbacks)
    by_name = ScannedCheck.objects.get(upload=scan, page_index=0, position=1)
    assert by_name.suggested_donor == same_name
    assert by_name.suggestion_reason == "Same name and ZIP code as the payer."

    # When a person gives the first check to another donor, that account is learned.
    chosen = DonorFactory.create(first_name="Chosen", last_name="Person")
    first_check = ScannedCheck.objects.get(upload=scan, page_index=0, position=0)
    scanned_check_accept(scanned_check=first_check, donor=chosen, acting_user=in_alpha.owner)

    # Then the next check from that account, in another deposit, suggests that donor.
    other_deposit = deposit_create(
        deposit_on=date(2026, 12, 2),
        expected_count=1,
        expected_total=Decimal("10.00"),
        acting_user=None,
    )
    again = _uploaded(other_deposit, scans.pdf, "again.pdf", django_capture_on_commit_callbacks)
    learned = ScannedCheck.objects.get(upload=again, page_index=0, position=0)
    assert learned.suggested_donor == chosen
    assert learned.suggestion_reason.startswith("Paid from the same account before")
    # And every check of the same file uploaded again is flagged, never taken silently.
    assert set(ScannedCheck.objects.filter(upload=again).values_list("state", flat=True)) == {
        CheckState.DUPLICATE
    }
    assert learned.duplicate_reason == (
        f"Check {first_check.check_number} of the same account is already in deposit "
        f"{deposit.pk} (accepted)."
    )
    assert isinstance(chosen, Donor)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\ngarbage" * 3,
            "broken.pdf",
            "The PDF is damaged or cut short: it cannot be opened.",
        ),
        (b"PK\x03\x04 a zip file", "scan.pdf", "The file is not a JPEG, PNG, TIFF or PDF scan."),
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
            "cut.png",
            "The image file is damaged or cut short.",
        ),
        (b"", "empty.jpg", "The file is empty."),
    ],
    ids=["corrupted-pdf", "not-a-scan", "damaged-png", "empty"],
)
def test_a_file_that_is_not_a_scan_is_refused_and_nothing_is_kept(
    deposit: Deposit, content: bytes, name: str, message: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        scan_upload_create(
            deposit=deposit, upload=SimpleUploadedFile(name, content), acting_user=None
        )

    assert refused.value.fields == {"file": [message]}
    assert not ScanUpload.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_read(deposit: Deposit) -> None:
    huge = SimpleUploadedFile("huge.tif", b"II*\x00" + b"\x00" * (50 * 1024 * 1024))

    with pytest.raises(ServiceError) as refused:
        scan_upload_create(deposit=deposit, upload=huge, acting_user=None)

    assert refused.value.message == (
        "The file is 50.0 MB; the limit is 20 MB. Split it into smaller files."
    )
    assert not ScanUpload.objects.exists()


@override_settings(CHECK_SCAN_MAX_BYTES=1024 * 1024)
def test_the_size_limit_is_a_setting(deposit: Deposit, scans: Scans) -> None:
    with pytest.raises(ServiceError, match="the limit is 1 MB"):
        scan_upload_create(
            deposit=deposit,
            upload=SimpleUploadedFile("big.pdf", scans.pdf + b"\x00" * 1024 * 1024),
            acting_user=None,
        )


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            blank_page(),
            "No check was found. Page 1: The page is blank: nothing is printed or written on it.",
        ),
        (
            photo_of_something_else(),
            "No check was found. Page 1: No check found in the image: it has neither a MICR "
            "line nor an amount box.",
        ),
    ],
    ids=["blank-page", "photo"],
)
def test_a_page_without_a_check_fails_the_upload_saying_why_and_keeps_nothing(
    deposit: Deposit,
    content: bytes,
    error: str,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    scan = _uploaded(deposit, content, "scan.jpg", django_capture_on_commit_callbacks)

    assert scan.state == ScanState.FAILED
    assert scan.error == error
    assert not scan.file
    assert not ScannedCheck.objects.exists()


def test_scans_go_to_an_open_deposit_only(in_alpha: Tenant, scans: Scans) -> None:
    from saas_platform.lib.errors import StateConflict
    from tenant_apps.donations.models import DepositState

    closed = deposit_create(
        deposit_on=date(2026, 12, 1),
        expected_count=1,
        expected_total=Decimal("1.00"),
        acting_user=None,
    )
    closed.state = DepositState.CLOSED  # as deposit_close leaves it (its entry aside)

    with pytest.raises(StateConflict, match="is closed: scans go to an open deposit"):
        scan_upload_create(
            deposit=closed, upload=SimpleUploadedFile("a.pdf", scans.pdf), acting_user=None
        )
    assert not ScanUpload.objects.exists()
