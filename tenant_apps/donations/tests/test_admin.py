"""Gifts in the tenant's admin can be looked at, not written: writes go through services."""

from __future__ import annotations

from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant


def test_an_owner_reads_gifts_but_cannot_edit_them(in_alpha: Tenant) -> None:
    gift = GiftFactory.create(
        donor=donor_made("Ada", "Lovelace"), amount="123.45", splits=(("PRP", "123.45"),)
    )
    client = in_alpha.client(in_alpha.owner)

    page = client.get(f"/admin/donations/gift/{gift.pk}/change/")

    assert page.status_code == 200
    assert b"123.45" in page.content
    assert client.post(f"/admin/donations/gift/{gift.pk}/change/", {}).status_code == 403
    assert client.get("/admin/donations/gift/add/").status_code == 403
    for model in ("gift", "campaign", "deposit"):
        assert client.get(f"/admin/donations/{model}/").status_code == 200, model
