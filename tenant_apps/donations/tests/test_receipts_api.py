"""The receipts API: issuing, correcting and emailing receipts, their PDFs, the receipt
settings; roles, other tenants, bad input and query counts."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core import mail
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from pypdf import PdfReader
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.test import APIClient

from shared_apps.users.roles import Role
from tenant_apps.donations.models import Gift, Receipt, ReceiptSettings
from tenant_apps.donations.services.gifts import gift_refund
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings,
    receipt_settings_update,
)
from tenant_apps.donations.services.receipts import (
    receipt_issue,
    receipt_reissue,
    receipt_year_end_issue,
)
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.helpers import api_error
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

API = "/api/v1/donations"
READERS = [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
# The volunteer coordinator reads donors but not their giving (tests/test_privacy.py).
NOT_ISSUERS = [Role.VIEWER, Role.VOLUNTEER_COORDINATOR]
NOT_SETTINGS_MANAGERS = [Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]


def _settings_ready() -> None:
    with schema_context("alpha"):
        receipt_settings_update(acting_user=None, legal_name="Alpha Relief", ein="12-3456789")


@pytest.fixture
def ada(alpha: Tenant) -> Donor:
    _settings_ready()
    with schema_context("alpha"):
        return donor_made("Ada", "Lovelace", emails=("ada@example.org",))


@pytest.fixture
def posted(ada: Donor) -> Gift:
    with schema_context("alpha"):
        return GiftFactory.create(donor=ada, amount="300.00", posted=True)


@pytest.fixture
def receipt(posted: Gift) -> Receipt:
    with schema_context("alpha"):
        return receipt_issue(gift=posted, acting_user=None)


def test_a_gift_is_receipted_read_corrected_and_emailed(
    fundraiser: APIClient,
    posted: Gift,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = fundraiser.post(f"{API}/receipts/issue/", {"gift": posted.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["version"], body["kind"]) == (1, 1, "gift")
    assert (body["gift"], body["amount"], body["donor_name"]) == (
        posted.pk,
        "300.00",
        "Ada Lovelace",
    )
    assert body["issued_by"] == "funds@alpha.org"
    assert body["superseded_by"] is None
    assert body["emailed_to"] == ""  # answered before commit; the email goes after
    assert len(mail.outbox) == 1

    pdf = fundraiser.get(f"{API}/receipts/{body['id']}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    data = pdf.getvalue()
    assert "No goods or services" in PdfReader(io.BytesIO(data)).pages[0].extract_text()

    detail = fundraiser.get(f"{API}/receipts/{body['id']}/").json()
    assert detail["emailed_to"] == "ada@example.org"
    assert detail["emailed_at"]

    with django_capture_on_commit_callbacks(execute=True):
        corrected = fundraiser.post(
            f"{API}/receipts/{body['id']}/reissue/", {"reason": "Wrong date."}, format="json"
        )
    assert corrected.status_code == 201, corrected.content
    assert (corrected.json()["number"], corrected.json()["version"]) == (1, 2)
    assert corrected.json()["supersedes"] == body["id"]
    assert (
        fundraiser.get(f"{API}/receipts/{body['id']}/").json()["superseded_by"]
        == (corrected.json()["id"])
    )
    assert len(mail.outbox) == 2

    with django_capture_on_commit_callbacks(execute=True):
        again = fundraiser.post(f"{API}/receipts/{corrected.json()['id']}/email/")
        replaced = fundraiser.post(f"{API}/receipts/{body['id']}/email/")
    assert again.status_code == 202
    assert len(mail.outbox) == 3
    assert "version 2 replaces this one" in api_error(replaced, 409)["message"]


def test_a_receipt_is_not_emailed_to_a_donor_who_takes_no_email(
    in_alpha: Tenant,
    fundraiser: APIClient,
    receipt: Receipt,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    Donor.objects.filter(pk=receipt.donor_id).update(email_ok=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        error = api_error(fundraiser.post(f"{API}/receipts/{receipt.pk}/email/"), 409)
    assert error["message"] == "Receipt 000001: the donor does not accept email."
    assert callbacks == []
    assert mail.outbox == []


def test_a_year_end_statement_is_issued(fundraiser: APIClient, ada: Donor, posted: Gift) -> None:
    response = fundraiser.post(
        f"{API}/receipts/year-end/", {"donor": ada.pk, "year": today().year}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["year"]) == ("year_end", today().year)
    assert response.json()["gift"] is None
    assert response.json()["amount"] == "300.00"

    api_error(
        fundraiser.post(
            f"{API}/receipts/year-end/", {"donor": ada.pk, "year": today().year}, format="json"
        ),
        409,
    )


def test_bad_input_is_a_4xx_and_writes_nothing(
    in_alpha: Tenant, fundraiser: APIClient, ada: Donor, posted: Gift
) -> None:
    draft = GiftFactory.create(donor=ada, amount="5.00")
    assert (
        "gift"
        in api_error(fundraiser.post(f"{API}/receipts/issue/", {}, format="json"), 400)["fields"]
    )
    assert (
        "gift"
        in api_error(
            fundraiser.post(f"{API}/receipts/issue/", {"gift": 999999}, format="json"), 400
        )["fields"]
    )
    api_error(fundraiser.post(f"{API}/receipts/issue/", {"gift": draft.pk}, format="json"), 409)
    assert (
        "year"
        in api_error(
            fundraiser.post(
                f"{API}/receipts/year-end/",
                {"donor": ada.pk, "year": today().year - 3},
                format="json",
            ),
            400,
        )["fields"]
    )
    assert (
        "donor"
        in api_error(
            fundraiser.post(
                f"{API}/receipts/year-end/", {"donor": 999999, "year": 2026}, format="json"
            ),
            400,
        )["fields"]
    )
    assert (
        "year"
        in api_error(
            fundraiser.post(
                f"{API}/receipts/year-end/", {"donor": ada.pk, "year": "x"}, format="json"
            ),
            400,
        )["fields"]
    )
    receipt = receipt_issue(gift=posted, acting_user=None)
    api_error(fundraiser.post(f"{API}/receipts/{receipt.pk}/reissue/", {}, format="json"), 400)
    api_error(fundraiser.get(f"{API}/receipts/999999/pdf/"), 404)
    assert list(Receipt.objects.values_list("number", "version")) == [(1, 1)]


def test_issuing_without_an_ein_is_a_400_naming_it(in_alpha: Tenant, fundraiser: APIClient) -> None:
    gift = GiftFactory.create(donor=donor_made("Ada", "Lovelace"), amount="300.00", posted=True)
    error = api_error(
        fundraiser.post(f"{API}/receipts/issue/", {"gift": gift.pk}, format="json"), 400
    )
    assert "EIN" in error["message"]
    assert "ein" in error["fields"]
    assert not Receipt.objects.exists()


def test_receipts_are_listed_with_filters_in_a_fixed_number_of_queries(
    in_alpha: Tenant,
    fundraiser: APIClient,
    ada: Donor,
    receipt: Receipt,
    count_queries: Callable[[], CaptureQueriesContext],
) -> None:
    other = donor_made("Bob", "Other")
    other_receipt = receipt_issue(
        gift=GiftFactory.create(donor=other, amount="20.00", posted=True), acting_user=None
    )
    statement = receipt_year_end_issue(donor=ada, year=today().year, acting_user=None)

    def ids(query: str) -> list[int]:
        response = fundraiser.get(f"{API}/receipts/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [statement.pk, other_receipt.pk, receipt.pk]
    assert ids(f"donor={ada.pk}") == [statement.pk, receipt.pk]
    assert ids(f"gift={receipt.gift_id}") == [receipt.pk]
    assert ids("kind=year_end") == [statement.pk]
    assert ids(f"year={today().year}") == [statement.pk]
    api_error(fundraiser.get(f"{API}/receipts/?kind=nope"), 400)

    with count_queries() as few:
        fundraiser.get(f"{API}/receipts/")
    for index in range(5):
        donor = donor_made("Many", f"Donor{index}")
        made = receipt_issue(
            gift=GiftFactory.create(donor=donor, amount="15.00", posted=True), acting_user=None
        )
        receipt_reissue(receipt=made, reason="Typo.", acting_user=None)
    with count_queries() as many:
        response = fundraiser.get(f"{API}/receipts/")
    assert len(response.json()["results"]) == 13
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("role", READERS)
def test_readers_read_receipts_and_their_pdfs(alpha: Tenant, role: str, receipt: Receipt) -> None:
    client = alpha.api(alpha.user(role))
    assert client.get(f"{API}/receipts/").status_code == 200
    assert client.get(f"{API}/receipts/{receipt.pk}/").status_code == 200
    assert client.get(f"{API}/receipts/{receipt.pk}/pdf/").status_code == 200
    assert client.get(f"{API}/receipt-settings/").status_code == 200


@pytest.mark.parametrize("role", NOT_ISSUERS)
def test_readers_cannot_issue_correct_or_email(
    in_alpha: Tenant, role: str, ada: Donor, receipt: Receipt, posted: Gift
) -> None:
    client = in_alpha.api(in_alpha.user(role))
    api_error(client.post(f"{API}/receipts/issue/", {"gift": posted.pk}, format="json"), 403)
    api_error(
        client.post(
            f"{API}/receipts/year-end/", {"donor": ada.pk, "year": today().year}, format="json"
        ),
        403,
    )
    api_error(client.post(f"{API}/receipts/{receipt.pk}/reissue/", {"reason": "x"}), 403)
    api_error(client.post(f"{API}/receipts/{receipt.pk}/email/"), 403)
    assert Receipt.objects.count() == 1


def test_the_settings_are_read_and_changed_by_administrators(in_alpha: Tenant) -> None:
    client = in_alpha.api(in_alpha.owner)
    body = client.get(f"{API}/receipt-settings/").json()
    assert body["legal_name"] == "Alpha Relief Fund"
    assert body["missing"] == ["ein"]

    changed = client.patch(
        f"{API}/receipt-settings/", {"ein": "98-7654321", "address": "1 Way\n\nTown"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["missing"] == []
    assert changed.json()["address"] == "1 Way\nTown"

    replaced = client.put(
        f"{API}/receipt-settings/",
        {"legal_name": "Alpha Relief Fund, Inc.", "ein": "98-7654321", "receipt_every_gift": False},
        format="json",
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["address"] == ""
    assert replaced.json()["receipt_every_gift"] is False
    assert replaced.json()["next_number"] == 1

    assert (
        "ein"
        in api_error(client.patch(f"{API}/receipt-settings/", {"ein": "12345"}), 400)["fields"]
    )
    assert (
        "ein"
        in api_error(client.put(f"{API}/receipt-settings/", {"legal_name": "x"}), 400)["fields"]
    )
    api_error(client.patch(f"{API}/receipt-settings/", {"legal_name": "x" * 201}), 400)
    assert ReceiptSettings.objects.get().legal_name == "Alpha Relief Fund, Inc."


@pytest.mark.parametrize("role", NOT_SETTINGS_MANAGERS)
def test_only_administrators_change_the_settings(in_alpha: Tenant, role: str) -> None:
    client = in_alpha.api(in_alpha.user(role))
    api_error(client.patch(f"{API}/receipt-settings/", {"ein": "98-7654321"}, format="json"), 403)
    api_error(client.put(f"{API}/receipt-settings/", {"legal_name": "x", "ein": ""}), 403)
    assert receipt_settings().ein == ""


def test_people_of_another_tenant_get_nothing(
    in_alpha: Tenant,
    assert_other_tenant_denied: Callable[..., None],
    ada: Donor,
    posted: Gift,
    receipt: Receipt,
) -> None:
    assert_other_tenant_denied(f"{API}/receipts/")
    assert_other_tenant_denied(f"{API}/receipts/{receipt.pk}/")
    assert_other_tenant_denied(f"{API}/receipts/{receipt.pk}/pdf/")
    assert_other_tenant_denied(f"{API}/receipts/issue/", method="post", data={"gift": posted.pk})
    assert_other_tenant_denied(
        f"{API}/receipts/year-end/", method="post", data={"donor": ada.pk, "year": today().year}
    )
    assert_other_tenant_denied(
        f"{API}/receipts/{receipt.pk}/reissue/", method="post", data={"reason": "x"}
    )
    assert_other_tenant_denied(f"{API}/receipts/{receipt.pk}/email/", method="post")
    assert_other_tenant_denied(f"{API}/receipt-settings/")
    assert_other_tenant_denied(f"{API}/receipt-settings/", method="put", data={"ein": ""})
    assert_other_tenant_denied(f"{API}/receipt-settings/", method="patch", data={"ein": ""})
    assert list(Receipt.objects.values_list("number", "version")) == [(1, 1)]
    assert receipt_settings().ein == "12-3456789"


def test_beta_cannot_fetch_alphas_pdf(beta: Tenant, receipt: Receipt) -> None:
    client = beta.api(beta.owner)
    assert client.get(f"{API}/receipts/").json()["results"] == []
    api_error(client.get(f"{API}/receipts/{receipt.pk}/"), 404)
    api_error(client.get(f"{API}/receipts/{receipt.pk}/pdf/"), 404)
    # Beta's own receipt 1 is a file of beta's storage, not alpha's.
    with schema_context("beta"):
        receipt_settings_update(acting_user=None, ein="11-1111111")
        beta_receipt = receipt_issue(
            gift=GiftFactory.create(donor=donor_made("Beta", "Donor"), amount="7.00", posted=True),
            acting_user=None,
        )
    response = client.get(f"{API}/receipts/{beta_receipt.pk}/pdf/")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.getvalue())).pages[0].extract_text()
    assert "Beta Donor" in text
    assert "Ada Lovelace" not in text


def test_a_refunded_gifts_receipt_is_voided_through_the_api(
    fundraiser: APIClient, in_alpha: Tenant, posted: Gift, receipt: Receipt
) -> None:
    gift_refund(gift=posted, acting_user=None)
    response = fundraiser.post(
        f"{API}/receipts/{receipt.pk}/reissue/", {"reason": "Refunded."}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_void"] is True
    assert response.json()["amount"] is None


def test_ids_out_of_range_are_a_4xx(fundraiser: APIClient, ada: Donor) -> None:
    huge = 10**20
    api_error(fundraiser.post(f"{API}/receipts/issue/", {"gift": huge}, format="json"), 400)
    api_error(
        fundraiser.post(f"{API}/receipts/year-end/", {"donor": huge, "year": 2026}, format="json"),
        400,
    )
    api_error(fundraiser.get(f"{API}/receipts/{huge}/pdf/"), 404)
    api_error(fundraiser.post(f"{API}/receipts/{huge}/reissue/", {"reason": "x"}), 404)
    api_error(fundraiser.get(f"{API}/receipts/?donor={huge}"), 400)
