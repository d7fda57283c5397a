"""Images of scanned checks are deleted once the organization's retention period has passed; the
checks' fields and gifts stay, and the pages say the image is gone."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from shared_apps.users.roles import Role
from tenant_apps.checks.models import ScannedCheck, ScanUpload
from tenant_apps.checks.services.retention import (
    check_images_expire,
    check_scan_settings_update,
)
from tenant_apps.checks.services.uploads import scanned_check_record
from tenant_apps.checks.tasks import check_images_expire as check_images_expire_task
from tenant_apps.checks.tests.conftest import ReadCheck
from tenant_apps.donations.services import deposit_create
from tests.plugin import Tenant


def _recorded(read: ReadCheck, *, position: int) -> ScannedCheck:
    deposit = deposit_create(
        deposit_on=date(2026, 12, 1),
        expected_count=1,
        expected_total=Decimal("1.00"),
        acting_user=None,
    )
    upload = ScanUpload.objects.create(
        deposit=deposit,
        original_filename="scan.png",
        kind="png",
        size_bytes=len(read.image),
        sha256=hashlib.sha256(read.image).hexdigest(),
    )
    return scanned_check_record(
        scan=upload, page_index=0, position=position, image=read.image, reading=read.reading
    )


def test_images_older_than_the_period_are_deleted_and_the_rest_kept(
    in_alpha: Tenant, read_checks: list[ReadCheck]
) -> None:
    check_scan_settings_update(image_retention_days=30, acting_user=in_alpha.owner)
    old, recent = _recorded(read_checks[0], position=0), _recorded(read_checks[1], position=1)
    ScannedCheck.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    storage, old_name = old.image.storage, str(old.image.name)
    assert storage.exists(old_name)

    assert check_images_expire_task(in_alpha.organization.pk) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.image and old.image_deleted_at is not None
    assert not storage.exists(old_name)
    assert old.amount == read_checks[0].generated.truth.amount  # the fields stay
    assert recent.image and recent.image_deleted_at is None
    # Running again the same night deletes nothing more.
    assert check_images_expire(now=timezone.now()) == 0
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    page = client.get(f"/deposits/{old.deposit_id}/checks/{old.pk}/")
    assert "The image was deleted after the retention period." in page.content.decode()
    assert client.get(f"/deposits/{old.deposit_id}/checks/{old.pk}/image.png").status_code == 404


@pytest.mark.parametrize("days", [0, -1, 36501, "30", True])
def test_a_retention_period_out_of_range_is_refused(in_alpha: Tenant, days: object) -> None:
    with pytest.raises(ServiceError, match="Images are kept between 1 and 36,500 days."):
        check_scan_settings_update(image_retention_days=days, acting_user=None)


def test_an_upload_whose_reading_stopped_is_failed_at_night_saying_so(in_alpha: Tenant) -> None:
    from tenant_apps.checks.models import ScanState

    deposit = deposit_create(
        deposit_on=date(2026, 12, 1),
        expected_count=1,
        expected_total=Decimal("1.00"),
        acting_user=None,
    )
    stalled, fresh = (
        ScanUpload.objects.create(
            deposit=deposit,
            original_filename=name,
            kind="pdf",
            size_bytes=1,
            sha256="0" * 64,
            state=ScanState.READING,
            pages_total=5,
            pages_read=2,
        )
        for name in ("stalled.pdf", "fresh.pdf")
    )
    ScanUpload.objects.filter(pk=stalled.pk).update(created_at=timezone.now() - timedelta(hours=2))

    # Before the nightly pass, the deposit's page and the API already say it stopped, and the
    # page stops asking again every two seconds (it still does for the upload being read).
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))
    panel = client.get(f"/deposits/{deposit.pk}/checks/panel/").content.decode()
    assert 'stalled.pdf</strong>: <span data-testid="scan-state">Stopped</span>' in panel
    assert "Reading stopped after page 2 of 5: upload the rest of the file again." in panel
    assert 'hx-trigger="every 2s"' in panel  # fresh.pdf is still being read
    shown = {
        row["original_filename"]: (row["state"], row["error"])
        for row in client.get(f"/api/v1/checks/uploads/?deposit={deposit.pk}").json()["results"]
    }
    assert shown["stalled.pdf"][0] == "failed" and shown["stalled.pdf"][1].startswith("Reading")
    assert shown["fresh.pdf"] == ("reading", "")
    ScanUpload.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(hours=2))
    panel = client.get(f"/deposits/{deposit.pk}/checks/panel/").content.decode()
    assert 'hx-trigger="every 2s"' not in panel
    ScanUpload.objects.filter(pk=fresh.pk).update(created_at=timezone.now())

    check_images_expire_task(in_alpha.organization.pk)

    stalled.refresh_from_db()
    fresh.refresh_from_db()
    assert (stalled.state, stalled.error) == (
        ScanState.FAILED,
        "Reading stopped after page 2 of 5: upload the rest of the file again.",
    )
    assert fresh.state == ScanState.READING
