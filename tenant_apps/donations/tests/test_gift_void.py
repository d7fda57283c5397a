"""Voiding a gift entered in error or never received: the service (giving, campaigns, the books,
deposits, receipts, pledges), the action on a gift's page by role, and the API endpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context
from pytest_django import DjangoCaptureOnCommitCallbacks

from saas_platform.lib.errors import ServiceError, StateConflict
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import JournalEntry
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations import selectors
from tenant_apps.donations.models import Campaign, Gift, GiftMethod, GiftState, Receipt
from tenant_apps.donations.services.allocations import SoftCreditSpec
from tenant_apps.donations.services.campaigns import campaign_create
from tenant_apps.donations.services.deposits import (
    deposit_add_gift,
    deposit_close,
    deposit_create,
)
from tenant_apps.donations.services.gifts import gift_refund, gift_void
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.services.receipts import receipt_issue
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donations.tests.readers import fund_balances, ledger
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donations/gifts"
PAGES = "/gifts/"
POSTERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER]
NOT_POSTERS = [Role.FUNDRAISER, Role.VIEWER, Role.VOLUNTEER_COORDINATOR, Role.VOLUNTEER]


def _spring() -> Campaign:
    return campaign_create(code="SPRING", name="Spring appeal", goal="1000.00", acting_user=None)


# --- The service ------------------------------------------------------------------------------


def test_a_posted_gift_voided_leaves_giving_campaigns_and_the_books(
    in_alpha: Tenant, ada: Donor
) -> None:
    # Given two posted gifts of Ada's to the spring campaign, one soft-credited to William
    spring = _spring()
    william = donor_made("William", "King")
    GiftFactory.create(donor=ada, amount="40.00", campaign=spring, posted=True)
    bounced = GiftFactory.create(
        donor=ada,
        amount="250.00",
        splits=(("GEN", "150.00"), ("PRP", "100.00")),
        campaign=spring,
        soft_credits=[SoftCreditSpec(donor=william, amount=Decimal("250.00"))],
        posted=True,
    )
    posting = bounced.journal_entry
    assert posting is not None

    # When the second is voided because its check bounced
    gift = gift_void(gift=bounced, reason="The check bounced", acting_user=in_alpha.owner)

    # Then it is void, with its reason, who and when, and its entry is reversed today
    assert gift.state == GiftState.VOIDED
    assert (gift.void_reason, gift.voided_by) == ("The check bounced", in_alpha.owner)
    assert gift.voided_at is not None
    reversal = gift.void_entry
    assert reversal is not None
    assert (reversal.reverses_id, reversal.date) == (posting.pk, today())
    assert "The check bounced" in reversal.memo
    assert JournalEntry.objects.get(pk=posting.pk).state == "reversed"
    assert gift.refund_entry is None
    # the books hold only the first gift, in each fund
    assert ledger() == {"1050": ("40.00", "0.00"), "4010": ("0.00", "40.00")}
    assert fund_balances()["PRP"] == ("0.00", "0.00", "0.00")
    # and neither Ada's giving, William's soft credits nor the campaign count it
    summaries = selectors.donor_giving_summaries(donor_ids=[ada.pk, william.pk])
    assert (summaries[ada.pk].lifetime_total, summaries[ada.pk].gift_count) == (
        Decimal("40.00"),
        1,
    )
    assert summaries[william.pk].soft_credit_total == Decimal(0)
    campaign = selectors.campaigns_with_progress(Campaign.objects.filter(pk=spring.pk)).get()
    assert campaign.raised == Decimal("40.00")
    audit = AuditEvent.objects.get(action="gift.void", object_id=str(gift.pk))
    assert audit.detail["reason"] == "The check bounced"
    assert audit.detail["reversal"] == reversal.number


def test_a_draft_voided_stays_on_record_out_of_the_books(in_alpha: Tenant, ada: Donor) -> None:
    draft = GiftFactory.create(donor=ada, amount="75.00")

    gift = gift_void(gift=draft, reason="Entered twice", acting_user=None)

    assert gift.state == GiftState.VOIDED
    assert (gift.journal_entry, gift.void_entry) == (None, None)
    assert Gift.objects.filter(pk=draft.pk).exists()
    assert not JournalEntry.objects.exists()
    assert selectors.donor_giving_summaries(donor_ids=[ada.pk])[ada.pk].gift_count == 0
    assert AuditEvent.objects.get(action="gift.void", object_id=str(gift.pk)).detail["was"] == (
        "draft"
    )


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_void_needs_a_reason_and_changes_nothing_without_one(
    in_alpha: Tenant, ada: Donor, reason: str
) -> None:
    gift = GiftFactory.create(donor=ada, posted=True)
    entries = JournalEntry.objects.count()

    with pytest.raises(ServiceError) as refused:
        gift_void(gift=gift, reason=reason, acting_user=None)

    assert "reason" in (refused.value.fields or {})
    gift.refresh_from_db()
    assert (gift.state, gift.void_reason) == (GiftState.POSTED, "")
    assert JournalEntry.objects.count() == entries
    assert not AuditEvent.objects.filter(action="gift.void").exists()


def test_refunded_and_void_gifts_are_not_voided(in_alpha: Tenant, ada: Donor) -> None:
    refunded = gift_refund(
        gift=GiftFactory.create(donor=ada, method="card", posted=True), acting_user=None
    )
    void = gift_void(gift=GiftFactory.create(donor=ada), reason="Twice", acting_user=None)

    with pytest.raises(StateConflict, match="is refunded; only a draft or a posted gift"):
        gift_void(gift=refunded, reason="Again", acting_user=None)
    with pytest.raises(StateConflict, match="is void; only a draft or a posted gift"):
        gift_void(gift=void, reason="Again", acting_user=None)
    refunded.refresh_from_db()
    assert refunded.state == GiftState.REFUNDED


def test_a_void_dated_before_the_gift_is_refused(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, posted=True)
    with pytest.raises(ServiceError, match="cannot be dated before the gift was received"):
        gift_void(gift=gift, reason="Bounced", date=today() - timedelta(days=1), acting_user=None)
    gift.refresh_from_db()
    assert gift.state == GiftState.POSTED


def test_a_bounced_check_in_a_closed_deposit_comes_back_out_of_the_bank(
    in_alpha: Tenant, ada: Donor
) -> None:
    check = GiftFactory.create(donor=ada, amount="80.00", posted=True)
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="80.00", acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=check, acting_user=None)
    deposit_close(deposit=deposit, acting_user=None)
    assert ledger() == {"1010": ("80.00", "0.00"), "4010": ("0.00", "80.00")}

    gift_void(gift=check, reason="The check bounced", acting_user=None)

    assert ledger() == {}


def test_a_gift_in_an_open_deposit_comes_out_of_it_before_a_void(
    in_alpha: Tenant, ada: Donor
) -> None:
    check = GiftFactory.create(donor=ada, amount="80.00", posted=True)
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="80.00", acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=check, acting_user=None)

    with pytest.raises(StateConflict, match="remove it from the deposit before voiding it"):
        gift_void(gift=check, reason="Bounced", acting_user=None)

    check.refresh_from_db()
    assert check.state == GiftState.POSTED


def test_a_voided_gift_receipt_is_voided_by_a_new_version(
    in_alpha: Tenant, ada: Donor, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    receipt_settings_update(
        acting_user=None,
        legal_name="Alpha Relief Fund, Inc.",
        ein="12-3456789",
        address="1 Relief Way\nSpringfield, IL 62701",
        signatory_name="Grace Hopper",
        signatory_title="Treasurer",
    )
    gift = GiftFactory.create(donor=ada, amount="300.00", method="ach", posted=True)
    first = receipt_issue(gift=gift, acting_user=None)

    with django_capture_on_commit_callbacks(execute=True):
        gift_void(gift=gift, reason="Entered for the wrong donor", acting_user=None)

    current = Receipt.objects.get(gift=gift, version=2)
    assert current.is_void
    assert current.supersedes_id == first.pk
    assert current.reason == "The gift was voided: Entered for the wrong donor"
    assert current.content["statements"][0] == (
        "Receipt no. 000001 version 1 is void: the contribution it acknowledged was voided on "
        f"{today():%B} {today().day}, {today().year}. This notice acknowledges no contribution."
    )


# --- The gift's page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", POSTERS)
def test_posters_void_a_gift_from_its_page_with_a_reason(in_alpha: Tenant, role: str) -> None:
    gift = GiftFactory.create(posted=True, method=GiftMethod.CARD)
    client = in_alpha.client(in_alpha.user(role))
    page = client.get(f"{PAGES}{gift.pk}/")
    assert b"Void the gift" in page.content
    assert b'name="csrfmiddlewaretoken"' in page.content

    response = client.post(
        f"{PAGES}{gift.pk}/void/", {"reason": "Charged twice", "confirm": "on"}, follow=True
    )

    assert response.redirect_chain == [(f"{PAGES}{gift.pk}/", 302)]
    text = response.content.decode()
    assert "Gift voided: its entry is reversed" in text
    assert "Charged twice" in text
    assert "when the gift was voided" in text
    assert "Void the gift" not in text
    gift.refresh_from_db()
    assert gift.state == GiftState.VOIDED
    assert AuditEvent.objects.filter(action="gift.void", object_id=str(gift.pk)).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "Twice"}, "Tick the box to confirm"),
        ({"reason": "", "confirm": "on"}, "This field is required"),
    ],
)
def test_a_void_without_its_reason_or_confirmation_changes_nothing(
    in_alpha: Tenant, fields: dict[str, str], message: str
) -> None:
    gift = GiftFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    response = client.post(f"{PAGES}{gift.pk}/void/", fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    gift.refresh_from_db()
    assert gift.state == GiftState.POSTED


def test_a_void_the_service_refuses_is_told_on_the_page(in_alpha: Tenant) -> None:
    gift = GiftFactory.create(posted=True)
    deposit = deposit_create(
        deposit_on=today(), expected_count=1, expected_total="100.00", acting_user=None
    )
    deposit_add_gift(deposit=deposit, gift=gift, acting_user=None)
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    response = client.post(f"{PAGES}{gift.pk}/void/", {"reason": "Bounced", "confirm": "on"})

    assert response.status_code == 400
    assert "remove it from the deposit before voiding it" in response.content.decode()


def test_a_draft_is_voided_from_its_page(in_alpha: Tenant) -> None:
    gift = GiftFactory.create()
    client = in_alpha.client(in_alpha.user(Role.BOOKKEEPER))

    response = client.post(
        f"{PAGES}{gift.pk}/void/", {"reason": "Entered twice", "confirm": "on"}, follow=True
    )

    text = response.content.decode()
    assert "Draft voided" in text
    assert "Never in the books: it was voided as a draft." in text
    assert "Post to the books" not in text


@pytest.mark.parametrize("role", NOT_POSTERS)
def test_those_who_do_not_post_do_not_void(in_alpha: Tenant, role: str) -> None:
    gift = GiftFactory.create(posted=True)
    client = in_alpha.client(in_alpha.user(role))
    page = client.get(f"{PAGES}{gift.pk}/")
    assert b"Void the gift" not in page.content

    response = client.post(f"{PAGES}{gift.pk}/void/", {"reason": "x", "confirm": "on"})

    assert response.status_code == 403
    gift.refresh_from_db()
    assert gift.state == GiftState.POSTED


def test_a_void_reason_is_escaped_on_the_page(in_alpha: Tenant) -> None:
    gift = gift_void(gift=GiftFactory.create(), reason="<script>x</script>", acting_user=None)
    content = in_alpha.client(in_alpha.user(Role.VIEWER)).get(f"{PAGES}{gift.pk}/").content
    assert b"<script>x</script>" not in content
    assert b"&lt;script&gt;x&lt;/script&gt;" in content


# --- The API ----------------------------------------------------------------------------------


def test_the_api_voids_a_posted_gift(in_alpha: Tenant, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, posted=True)
    client = in_alpha.api(in_alpha.user(Role.BOOKKEEPER))

    response = client.post(f"{API}/{gift.pk}/void/", {"reason": "Bounced"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["void_reason"]) == ("voided", "Bounced")
    assert body["void_entry"] == Gift.objects.get(pk=gift.pk).void_entry.number  # type: ignore[union-attr]
    assert body["voided_at"]
    assert ledger() == {}
    again = api_error(client.post(f"{API}/{gift.pk}/void/", {"reason": "x"}, format="json"), 409)
    assert "only a draft or a posted gift is voided" in again["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": None},
        {"reason": ["Bounced"]},
        {"reason": "x" * 501},
        {"reason": "Bounced", "date": "someday"},
    ],
)
def test_the_api_refuses_bad_void_input_and_changes_nothing(
    in_alpha: Tenant, ada: Donor, body: dict[str, object]
) -> None:
    gift = GiftFactory.create(donor=ada, posted=True)
    client = in_alpha.api(in_alpha.user(Role.BOOKKEEPER))

    api_error(client.post(f"{API}/{gift.pk}/void/", body, format="json"), 400)

    gift.refresh_from_db()
    assert gift.state == GiftState.POSTED


@pytest.mark.parametrize("role", NOT_POSTERS)
def test_the_api_void_is_for_posters(in_alpha: Tenant, role: str, ada: Donor) -> None:
    gift = GiftFactory.create(donor=ada, posted=True)
    client = in_alpha.api(in_alpha.user(role))
    api_error(client.post(f"{API}/{gift.pk}/void/", {"reason": "x"}, format="json"), 403)
    gift.refresh_from_db()
    assert gift.state == GiftState.POSTED


def test_other_tenants_cannot_void_alpha_gifts(
    alpha: Tenant, beta: Tenant, assert_other_tenant_denied: Callable[..., None]
) -> None:
    with schema_context(alpha.organization.schema_name):
        gift = GiftFactory.create(donor=donor_made("Ada", "Lovelace"), posted=True)
    assert_other_tenant_denied(f"{API}/{gift.pk}/void/", method="post", data={"reason": "x"})
    page = beta.client(beta.user(Role.OWNER)).post(
        f"{PAGES}{gift.pk}/void/", {"reason": "x", "confirm": "on"}
    )
    assert page.status_code == 404
    with schema_context(alpha.organization.schema_name):
        gift.refresh_from_db()
        assert gift.state == GiftState.POSTED
