"""Which donor an online gift is from: the donor with the email first; then the one donor with
the same name at the billing address's postcode (Checkout's customer_details), by the donors
desk's duplicate rules; anything less certain is a new donor whose page shows the others under
"Possible duplicates", for a person to compare and merge."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from shared_apps.billing.tests.conftest import fake_stripe, fake_stripe_server  # noqa: F401
from shared_apps.billing.tests.fake_stripe import FakeStripe
from tenant_apps.donations.models import Gift
from tenant_apps.donations.tests.test_online_gifts import (  # noqa: F401 - fixtures
    Deliver,
    completed,
    connected,
    deliver,
    paid_on_checkout,
)
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

BILLING = {
    "city": "San Francisco",
    "country": "US",
    "line1": "9 Harbor Way",
    "line2": None,
    "postal_code": "94107",
    "state": "CA",
}


@pytest.fixture
def fake(connected: FakeStripe) -> FakeStripe:  # noqa: F811 - the fixture
    return connected


@pytest.fixture
def post(deliver: Deliver) -> Deliver:  # noqa: F811 - the fixture
    return deliver


def given(
    alpha: Tenant, fake: FakeStripe, post: Deliver, *, name: str, address: dict[str, Any]
) -> Gift:
    """A gift from `name`, with an email not on file, paid with this billing address."""
    session = paid_on_checkout(alpha, fake, name=name, email="new.address@example.org")
    session["customer_details"]["address"] = address
    post(completed(session))
    with schema_context("alpha"):
        return Gift.objects.select_related("donor").get()


def test_the_one_donor_of_that_name_at_that_postcode_is_the_donor(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    with schema_context("alpha"):
        grace = donor_made("Grace", "Hopper", emails=("grace@example.org",), postcodes=("94107",))
        donor_made("Grace", "Hopper", postcodes=("10001",))  # another Grace, elsewhere

    gift = given(alpha, fake, post, name="grace hopper", address=BILLING)

    assert gift.donor_id == grace.pk
    with schema_context("alpha"):
        assert Donor.objects.count() == 2


@pytest.mark.parametrize(
    "others",
    [
        (("Grace", "Hopper"), ("Grace", "Hopper")),  # two of that name there: which one?
        (("Grace", "Hoper"),),  # a similar name only
    ],
)
def test_an_uncertain_match_is_a_new_donor_shown_with_its_possible_duplicates(
    alpha: Tenant, fake: FakeStripe, post: Deliver, others: tuple[tuple[str, str], ...]
) -> None:
    with schema_context("alpha"):
        existing = [donor_made(first, last, postcodes=("94107",)) for first, last in others]

    gift = given(alpha, fake, post, name="Grace Hopper", address=BILLING)

    assert gift.donor_id not in {donor.pk for donor in existing}
    with schema_context("alpha"):
        (address,) = gift.donor.addresses.all()
        assert (address.line1, address.postcode, address.region) == ("9 Harbor Way", "94107", "CA")
    page = alpha.client(alpha.owner).get(f"/donors/{gift.donor_id}/").content.decode()
    assert "Possible duplicates" in page
    for donor in existing:
        assert f"/donors/{gift.donor_id}/merge/{donor.pk}/" in page


def test_without_a_street_the_new_donor_carries_a_note_naming_the_others(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    with schema_context("alpha"):
        first = donor_made("Grace", "Hopper", postcodes=("94107",))
        second = donor_made("Grace", "Hopper", postcodes=("94107",))

    gift = given(
        alpha, fake, post, name="Grace Hopper", address={**BILLING, "line1": None, "city": None}
    )

    with schema_context("alpha"):
        assert gift.donor_id not in (first.pk, second.pk)
        assert not gift.donor.addresses.exists()
        assert f"donor {first.pk}" in gift.donor.notes and f"donor {second.pk}" in gift.donor.notes


def test_the_email_wins_over_name_and_postcode(
    alpha: Tenant, fake: FakeStripe, post: Deliver
) -> None:
    with schema_context("alpha"):
        by_email = donor_made("Ada", "Byron", emails=("new.address@example.org",))
        donor_made("Grace", "Hopper", postcodes=("94107",))

    gift = given(alpha, fake, post, name="Grace Hopper", address=BILLING)

    assert gift.donor_id == by_email.pk
