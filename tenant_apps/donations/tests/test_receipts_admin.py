"""Receipts in the tenant's admin are read only; the receipt settings are edited through the
service (its checks and audit row)."""

from __future__ import annotations

from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import ReceiptSettings
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings,
    receipt_settings_update,
)
from tenant_apps.donations.services.receipts import receipt_issue
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant


def test_an_owner_reads_receipts_but_cannot_edit_them(in_alpha: Tenant) -> None:
    receipt_settings_update(acting_user=None, ein="12-3456789")
    receipt = receipt_issue(
        gift=GiftFactory.create(donor=donor_made("Ada", "Lovelace"), amount="123.45", posted=True),
        acting_user=None,
    )
    client = in_alpha.client(in_alpha.owner)

    page = client.get(f"/admin/donations/receipt/{receipt.pk}/change/")

    assert page.status_code == 200
    assert b"123.45" in page.content
    assert client.post(f"/admin/donations/receipt/{receipt.pk}/change/", {}).status_code == 403
    assert client.get("/admin/donations/receipt/add/").status_code == 403
    assert client.get("/admin/donations/receipt/").status_code == 200
    assert client.get(f"/admin/donations/receipt/{receipt.pk}/delete/").status_code == 403


def test_an_owner_edits_the_receipt_settings_through_the_service(in_alpha: Tenant) -> None:
    receipt_settings()
    client = in_alpha.client(in_alpha.owner)
    assert client.get("/admin/donations/receiptsettings/").status_code == 200
    form = {
        "legal_name": "Alpha Relief Fund, Inc.",
        "ein": "12-3456789",
        "address": "1 Relief Way",
        "signatory_name": "",
        "signatory_title": "",
        "receipt_every_gift": "on",
    }

    bad = client.post("/admin/donations/receiptsettings/1/change/", {**form, "ein": "123"})
    saved = client.post("/admin/donations/receiptsettings/1/change/", form)

    assert bad.status_code == 200
    assert b"NN-NNNNNNN" in bad.content
    assert saved.status_code == 302
    row = ReceiptSettings.objects.get()
    assert (row.legal_name, row.ein, row.next_number) == (
        "Alpha Relief Fund, Inc.",
        "12-3456789",
        1,
    )
    assert AuditEvent.objects.filter(action="receipt_settings.update").exists()
    assert client.get("/admin/donations/receiptsettings/add/").status_code == 403


def test_the_admin_links_a_receipt_to_its_pdf(in_alpha: Tenant) -> None:
    receipt_settings_update(acting_user=None, ein="12-3456789")
    receipt = receipt_issue(
        gift=GiftFactory.create(donor=donor_made("Ada", "Lovelace"), amount="250.00", posted=True),
        acting_user=None,
    )
    client = in_alpha.client(in_alpha.owner)
    link = f'href="/receipts/{receipt.pk}/receipt.pdf"'

    page = client.get(f"/admin/donations/receipt/{receipt.pk}/change/").content.decode()
    listing = client.get("/admin/donations/receipt/").content.decode()

    assert link in page
    assert link in listing
    assert "/media/" not in page  # the storage's own URL, which nothing serves
    download = client.get(f"/receipts/{receipt.pk}/receipt.pdf")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
