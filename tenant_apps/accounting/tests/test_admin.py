"""The books in the tenant's admin can be looked at, not written: writes go through services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tenant_apps.accounting.services import postings
from tests.plugin import Tenant


def test_an_owner_reads_a_posted_entry_and_its_lines_but_cannot_edit_them(in_alpha: Tenant) -> None:
    entry = postings.post_contribution(
        date=date(2026, 10, 1), amount=Decimal("321.09"), fund="PRP", acting_user=in_alpha.owner
    )
    client = in_alpha.client(in_alpha.owner)

    listing = client.get("/admin/accounting/journalentry/")
    page = client.get(f"/admin/accounting/journalentry/{entry.pk}/change/")
    edit = client.post(f"/admin/accounting/journalentry/{entry.pk}/change/", {"memo": "changed"})

    assert listing.status_code == 200
    assert b"Contribution" in listing.content
    assert page.status_code == 200
    assert b"321.09" in page.content
    assert b"4010" in page.content
    assert b'name="memo"' not in page.content
    assert edit.status_code == 403
    assert client.get("/admin/accounting/journalentry/add/").status_code == 403
    assert client.get(f"/admin/accounting/journalentry/{entry.pk}/delete/").status_code == 403
    for path in ("account", "fund", "program", "fiscalperiod"):
        assert client.get(f"/admin/accounting/{path}/").status_code == 200, path
    # The audit log is the organization's, no longer the books': the core app's admin.
    for path in ("core/auditevent",):
        assert client.get(f"/admin/{path}/").status_code == 200, path
