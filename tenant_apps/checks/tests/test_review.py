"""Reviewing scanned checks, by the pages and the API: the image beside the fields, accepting
into a draft gift (with a corrected amount), creating the payer as a donor, rejecting,
duplicates refused, role permissions and other tenants refused."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from shared_apps.users.roles import Role
from tenant_apps.checks.models import CheckState, ScannedCheck, ScanUpload
from tenant_apps.checks.services.uploads import scanned_check_record
from tenant_apps.checks.tests.conftest import ReadCheck, Scans
from tenant_apps.donations.models import Deposit, Gift, GiftMethod, GiftSource, GiftState
from tenant_apps.donations.services import deposit_create
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant


def _deposit() -> Deposit:
    return deposit_create(
        deposit_on=date(2026, 12, 1),
        expected_count=2,
        expected_total=Decimal("100.00"),
        acting_user=None,
    )


def _recorded(deposit: Deposit, read: ReadCheck, *, position: int = 0) -> ScannedCheck:
    upload = ScanUpload.objects.create(
        deposit=deposit,
        original_filename="scan.png",
        kind="png",
        size_bytes=len(read.image),
        sha256=hashlib.sha256(read.image).hexdigest(),
        pages_total=1,
        pages_read=1,
        checks_found=1,
        state="done",
    )
    return scanned_check_record(
        scan=upload, page_index=0, position=position, image=read.image, reading=read.reading
    )


@pytest.fixture
def recorded(alpha: Tenant, read_checks: list[ReadCheck]) -> list[ScannedCheck]:
    with schema_context(alpha.organization.schema_name):
        deposit = _deposit()
        return [
            _recorded(deposit, read, position=index) for index, read in enumerate(read_checks[:2])
        ]


def test_the_review_page_shows_the_image_beside_the_fields_and_accepting_makes_a_draft_gift(
    alpha: Tenant, recorded: list[ScannedCheck], read_checks: list[ReadCheck]
) -> None:
    first = recorded[0]
    client = alpha.client(alpha.user(Role.BOOKKEEPER))
    truth = read_checks[0].generated.truth
    with schema_context(alpha.organization.schema_name):
        donor = donor_made("Ruth", "Example")

    page = client.get(f"/deposits/{first.deposit_id}/checks/{first.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'src="/deposits/{first.deposit_id}/checks/{first.pk}/image.png"' in html
    assert truth.payer_name in html
    assert truth.account_number.replace("-", "") not in html
    image = client.get(f"/deposits/{first.deposit_id}/checks/{first.pk}/image.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"

    accepted = client.post(
        f"/deposits/{first.deposit_id}/checks/{first.pk}/",
        {
            "action": "accept",
            "donor_query": donor.display_name,
            "donor_id": donor.pk,
            "amount": "12.34",
            "check_number": first.check_number,
            "payer_name": first.payer_name,
        },
    )

    # Then the next check opens, and the first is a draft gift by check, source check scan.
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/deposits/{first.deposit_id}/checks/{recorded[1].pk}/"
    with schema_context(alpha.organization.schema_name):
        first.refresh_from_db()
        gift = Gift.objects.get(scanned_check=first)
        assert (first.state, first.donor_id, first.amount) == (
            CheckState.ACCEPTED,
            donor.pk,
            Decimal("12.34"),
        )
        assert (gift.amount, gift.method, gift.source, gift.state, gift.check_number) == (
            Decimal("12.34"),
            GiftMethod.CHECK,
            GiftSource.CHECK_SCAN,
            GiftState.DRAFT,
            first.check_number,
        )
        assert gift.deposit_id == first.deposit_id
    fragment = client.get(f"/gifts/{gift.pk}/check/")
    assert fragment.status_code == 200
    assert f"/checks/{first.pk}/image.png" in fragment.content.decode()


def test_a_donor_is_created_from_the_payer_then_the_check_accepted(
    alpha: Tenant, recorded: list[ScannedCheck], read_checks: list[ReadCheck]
) -> None:
    second = recorded[1]
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    truth = read_checks[1].generated.truth
    url = f"/deposits/{second.deposit_id}/checks/{second.pk}/"

    created = client.post(url, {"action": "create_donor", "payer_name": truth.payer_name})

    assert created.status_code == 302 and created["Location"] == url
    with schema_context(alpha.organization.schema_name):
        second.refresh_from_db()
        donor = second.suggested_donor
        assert donor is not None and donor.display_name == truth.payer_name
        assert list(donor.addresses.values_list("postcode", flat=True)) == [
            truth.payer_address[1][-5:]
        ]
    page = client.get(url)
    assert f'value="{donor.pk}"' in page.content.decode()


def test_a_rejected_check_never_becomes_a_gift_and_frees_its_duplicate(
    in_alpha: Tenant, read_checks: list[ReadCheck]
) -> None:
    deposit = _deposit()
    original = _recorded(deposit, read_checks[0])
    again = _recorded(deposit, read_checks[0], position=1)
    assert again.state == CheckState.DUPLICATE
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    refused = client.post(
        f"/deposits/{deposit.pk}/checks/{again.pk}/",
        {
            "action": "accept",
            "donor_id": donor_made("A", "B").pk,
            "donor_query": "A B",
            "amount": "5.00",
        },
    )
    assert refused.status_code == 409
    assert "Reject this scan, or reject the other one first." in refused.content.decode()

    rejected = client.post(
        f"/deposits/{deposit.pk}/checks/{original.pk}/reject/", {"reason": "Scanned twice"}
    )
    assert rejected.status_code == 302
    original.refresh_from_db()
    again.refresh_from_db()
    assert (original.state, original.reject_reason, original.gift_id) == (
        CheckState.REJECTED,
        "Scanned twice",
        None,
    )
    assert again.state == CheckState.PENDING
    assert not Gift.objects.exists()


def test_a_50_mb_upload_on_the_page_is_refused_with_a_clear_error_and_nothing_kept(
    in_alpha: Tenant,
) -> None:
    deposit = _deposit()
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    answer = client.post(
        f"/deposits/{deposit.pk}/checks/upload/",
        {"file": SimpleUploadedFile("huge.pdf", b"%PDF-1.7\n" + b"\x00" * (50 * 1024 * 1024))},
    )

    assert answer.status_code == 400
    assert "The file is 50.0 MB; the limit is 20 MB." in answer.content.decode()
    assert not ScanUpload.objects.exists()


def test_the_deposit_page_loads_the_scans_panel_with_the_upload_form(in_alpha: Tenant) -> None:
    deposit = _deposit()
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))

    page = client.get(f"/deposits/{deposit.pk}/")
    panel = client.get(f"/deposits/{deposit.pk}/checks/panel/")

    assert f'hx-get="/deposits/{deposit.pk}/checks/panel/"' in page.content.decode()
    assert 'enctype="multipart/form-data"' in panel.content.decode()
    viewer = in_alpha.client(in_alpha.user(Role.VIEWER))
    assert (
        "Upload and read"
        not in viewer.get(f"/deposits/{deposit.pk}/checks/panel/").content.decode()
    )
    assert viewer.post(f"/deposits/{deposit.pk}/checks/upload/").status_code == 403


# --- API ---------------------------------------------------------------------------------------


def test_the_api_uploads_follows_reads_and_accepts(
    alpha: Tenant,
    scans: Scans,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with schema_context(alpha.organization.schema_name):
        deposit = _deposit()
        donor = donor_made("Api", "Donor")
    api = alpha.api(alpha.user(Role.FUNDRAISER))

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/checks/uploads/",
            {"deposit": deposit.pk, "file": SimpleUploadedFile("glass.png", scans.flatbed_png)},
            format="multipart",
        )
    assert created.status_code == 201, created.content
    status = api.get(f"/api/v1/checks/uploads/{created.json()['id']}/").json()
    assert (status["state"], status["checks_found"], status["pages_read"]) == ("done", 3, 1)

    listed = api.get(f"/api/v1/checks/checks/?deposit={deposit.pk}").json()["results"]
    assert [Decimal(row["amount"]) for row in listed] == [
        generated.truth.amount for generated in scans.checks[:3]
    ]
    first = listed[0]
    assert first["fields_read"]["amount"]["confidence"] >= 0.6
    assert first["fields_read"]["account_number"]["value"].startswith("••••")
    assert "account_number" not in first

    accepted = api.post(
        f"/api/v1/checks/checks/{first['id']}/accept/",
        {"donor": donor.pk, "corrections": {"amount": "99.99"}},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "accepted"
    again = api.post(
        f"/api/v1/checks/checks/{first['id']}/accept/", {"donor": donor.pk}, format="json"
    )
    assert again.status_code == 409
    rejected = api.post(
        f"/api/v1/checks/checks/{listed[1]['id']}/reject/", {"reason": ""}, format="json"
    )
    assert rejected.status_code == 400
    with schema_context(alpha.organization.schema_name):
        gift = Gift.objects.get()
        assert (gift.amount, gift.source, gift.donor_id) == (
            Decimal("99.99"),
            GiftSource.CHECK_SCAN,
            donor.pk,
        )


def test_the_api_refuses_viewers_writes_and_bad_files(alpha: Tenant) -> None:
    with schema_context(alpha.organization.schema_name):
        deposit = _deposit()
    viewer = alpha.api(alpha.user(Role.VIEWER))
    bookkeeper = alpha.api(alpha.user(Role.BOOKKEEPER))

    assert viewer.get("/api/v1/checks/uploads/").status_code == 200
    refused = viewer.post(
        "/api/v1/checks/uploads/",
        {"deposit": deposit.pk, "file": SimpleUploadedFile("a.png", b"x")},
        format="multipart",
    )
    assert refused.status_code == 403
    corrupted = bookkeeper.post(
        "/api/v1/checks/uploads/",
        {"deposit": deposit.pk, "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 broken")},
        format="multipart",
    )
    assert corrupted.status_code == 400
    assert corrupted.json()["error"]["fields"] == {
        "file": ["The PDF is damaged or cut short: it cannot be opened."]
    }
    with schema_context(alpha.organization.schema_name):
        assert not ScanUpload.objects.exists()


def test_people_of_another_tenant_get_nothing(
    alpha: Tenant, recorded: list[ScannedCheck], assert_other_tenant_denied: Callable[..., None]
) -> None:
    scanned = recorded[0]
    assert_other_tenant_denied("/api/v1/checks/uploads/")
    assert_other_tenant_denied(f"/api/v1/checks/uploads/{scanned.upload_id}/")
    assert_other_tenant_denied("/api/v1/checks/checks/")
    assert_other_tenant_denied(f"/api/v1/checks/checks/{scanned.pk}/")
    assert_other_tenant_denied(
        f"/api/v1/checks/checks/{scanned.pk}/accept/", method="post", data={"donor": 1}
    )
    assert_other_tenant_denied(
        f"/api/v1/checks/checks/{scanned.pk}/reject/", method="post", data={"reason": "x"}
    )
    with schema_context(alpha.organization.schema_name):
        scanned.refresh_from_db()
        assert scanned.state == CheckState.PENDING
        assert isinstance(Donor.objects.count(), int)


def test_the_scans_pages_run_as_many_queries_for_many_checks_as_for_one(
    in_alpha: Tenant,
    read_checks: list[ReadCheck],
    count_queries: Callable[[], Any],
) -> None:
    deposit = _deposit()
    first = _recorded(deposit, read_checks[0])
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    paths = [
        f"/deposits/{deposit.pk}/checks/",
        f"/deposits/{deposit.pk}/checks/panel/",
        f"/deposits/{deposit.pk}/checks/{first.pk}/",
    ]
    for path in paths:
        client.get(path)  # the session and the settings rows, once
    with count_queries() as few:
        for path in paths:
            assert client.get(path).status_code == 200

    for index, read in enumerate(read_checks[1:], start=1):
        _recorded(deposit, read, position=index)
    with count_queries() as many:
        for path in paths:
            assert client.get(path).status_code == 200

    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_admin_shows_scanned_checks_read_only_without_their_fingerprint(
    in_alpha: Tenant, read_checks: list[ReadCheck]
) -> None:
    from django.conf import settings

    scanned = _recorded(_deposit(), read_checks[0])
    client = in_alpha.client(in_alpha.owner)
    base = f"/{settings.ADMIN_URL_PATH}checks/scannedcheck/"

    listing = client.get(base)
    detail = client.get(f"{base}{scanned.pk}/change/")

    assert listing.status_code == 200 and detail.status_code == 200
    assert scanned.account_masked in listing.content.decode()
    assert scanned.fingerprint not in detail.content.decode()
    assert client.post(f"{base}{scanned.pk}/delete/").status_code == 403


def test_the_api_corrects_fields_and_refuses_what_cannot_be_corrected(
    alpha: Tenant, recorded: list[ScannedCheck]
) -> None:
    scanned = recorded[0]
    api = alpha.api(alpha.user(Role.BOOKKEEPER))
    url = f"/api/v1/checks/checks/{scanned.pk}/"

    corrected = api.patch(url, {"amount": "250.00", "check_date": "2026-11-30"}, format="json")
    refused = api.patch(url, {"routing_number": "011000015"}, format="json")
    bad_number = api.patch(url, {"check_number": "12a"}, format="json")

    assert corrected.status_code == 200, corrected.content
    assert (corrected.json()["amount"], corrected.json()["check_date"]) == ("250.00", "2026-11-30")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"routing_number": ["Unknown field."]}
    assert bad_number.status_code == 400
    assert bad_number.json()["error"]["fields"] == {"check_number": ["Digits only."]}
    with schema_context(alpha.organization.schema_name):
        scanned.refresh_from_db()
        assert scanned.amount == Decimal("250.00")
        assert scanned.routing_number != "011000015"
