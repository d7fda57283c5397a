"""Pledges and recurring gifts in the tenant's admin can be looked at, not written."""

from __future__ import annotations

from tenant_apps.donations.tests.factories import PledgeFactory, RecurringGiftFactory, today
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant


def test_an_owner_reads_pledges_and_recurring_gifts_but_cannot_edit_them(in_alpha: Tenant) -> None:
    ada = donor_made("Ada", "Lovelace")
    pledge = PledgeFactory.create(donor=ada, amount="1234.56", posted=True)
    recurring = RecurringGiftFactory.create(donor=ada, next_on=today(), amount="65.43")
    client = in_alpha.client(in_alpha.owner)

    page = client.get(f"/admin/donations/pledge/{pledge.pk}/change/")
    assert page.status_code == 200
    assert b"1234.56" in page.content
    assert b"308.64" in page.content  # an installment of the schedule
    page = client.get(f"/admin/donations/recurringgift/{recurring.pk}/change/")
    assert page.status_code == 200
    assert b"65.43" in page.content
    for model, pk in (("pledge", pledge.pk), ("recurringgift", recurring.pk)):
        assert client.get(f"/admin/donations/{model}/").status_code == 200, model
        assert client.post(f"/admin/donations/{model}/{pk}/change/", {}).status_code == 403
        assert client.get(f"/admin/donations/{model}/add/").status_code == 403
        assert client.post(f"/admin/donations/{model}/{pk}/delete/", {}).status_code == 403
