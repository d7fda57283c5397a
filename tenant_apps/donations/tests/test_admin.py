"""Gifts in the tenant's admin can be looked at, not written: writes go through services."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from tenant_apps.donations.tests.factories import gift_made
from tenant_apps.donors.tests.factories import donor_made


def test_an_owner_reads_gifts_but_cannot_edit_them(alpha: Any) -> None:
    with schema_context("alpha"):
        gift = gift_made(donor_made("Ada", "Lovelace"), "123.45", splits=(("PRP", "123.45"),))
    client = alpha.client(alpha.owner)

    page = client.get(f"/admin/donations/gift/{gift.pk}/change/")

    assert page.status_code == 200 and b"123.45" in page.content
    assert client.post(f"/admin/donations/gift/{gift.pk}/change/", {}).status_code == 403
    assert client.get("/admin/donations/gift/add/").status_code == 403
    for model in ("gift", "campaign", "deposit"):
        assert client.get(f"/admin/donations/{model}/").status_code == 200, model
