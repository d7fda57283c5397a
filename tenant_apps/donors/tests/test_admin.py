"""Donors in the tenant's admin can be looked at, not written: writes go through services."""

from __future__ import annotations

from tenant_apps.donors.tests.factories import DonorFactory
from tests.plugin import Tenant


def test_an_owner_reads_donors_but_cannot_edit_them(in_alpha: Tenant) -> None:
    donor = DonorFactory.create(
        first_name="Ada",
        last_name="Lovelace",
        emails=("ada@example.org",),
        postcodes=("02139",),
    )
    client = in_alpha.client(in_alpha.owner)

    page = client.get(f"/admin/donors/donor/{donor.pk}/change/")

    assert page.status_code == 200
    assert b"ada@example.org" in page.content
    assert b'name="first_name"' not in page.content
    assert client.post(f"/admin/donors/donor/{donor.pk}/change/", {}).status_code == 403
    assert client.get("/admin/donors/donor/add/").status_code == 403
    for model in ("donor", "household", "tag", "donornote", "donormergerecord", "donortask"):
        assert client.get(f"/admin/donors/{model}/").status_code == 200, model
