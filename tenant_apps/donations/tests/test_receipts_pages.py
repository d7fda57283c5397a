"""The receipts desk's pages: the list with its filters and CSV, a receipt's page and PDF,
emailing again and correcting (confirmed first), the receipt settings; roles, escaping and
query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test.utils import CaptureQueriesContext

from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Receipt, ReceiptSettings
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.services.receipts import receipt_issue
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.models import Donor
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

INDEX = "/receipts/"
SETTINGS = "/receipts/settings/"


@pytest.fixture
def receipting(in_alpha: Tenant) -> Tenant:
    receipt_settings_update(
        acting_user=None,
        legal_name="Alpha Relief Fund, Inc.",
        ein="12-3456789",
        address="1 Relief Way\nSpringfield, IL 62701",
        signatory_name="Grace Hopper",
        signatory_title="Treasurer",
    )
    return in_alpha


def receipted(donor: Donor, amount: str = "100.00") -> Receipt:
    gift = GiftFactory.create(donor=donor, amount=amount, posted=True)
    return receipt_issue(gift=gift, acting_user=None)


@pytest.fixture
def ada(receipting: Tenant) -> Donor:
    return donor_made("Ada", "Lovelace", emails=("ada@example.org",))


# --- Roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.OWNER, Role.ADMIN, Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER]
)
def test_readers_of_donors_see_the_list_and_a_receipt(alpha: Tenant, ada: Donor, role: str) -> None:
    receipt = receipted(ada)
    client = alpha.client(alpha.user(role))
    assert client.get(INDEX).status_code == 200
    assert client.get(f"{INDEX}{receipt.pk}/").status_code == 200
    assert client.get(f"{INDEX}{receipt.pk}/receipt.pdf").status_code == 200


@pytest.mark.parametrize("role", [Role.VOLUNTEER])
def test_other_roles_get_the_refusal(alpha: Tenant, ada: Donor, role: str) -> None:
    receipt = receipted(ada)
    client = alpha.client(alpha.user(role))
    for path in (INDEX, f"{INDEX}{receipt.pk}/", f"{INDEX}{receipt.pk}/receipt.pdf", SETTINGS):
        response = client.get(path)
        assert response.status_code == 403
        assert b"This page is for the" in response.content


def test_anonymous_visitors_are_sent_to_log_in(alpha: Tenant) -> None:
    response = alpha.client().get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_viewer_can_neither_email_nor_correct(alpha: Tenant, ada: Donor) -> None:
    receipt = receipted(ada)
    client = alpha.client(alpha.user(Role.VIEWER))
    detail = client.get(f"{INDEX}{receipt.pk}/")
    assert b"Email again" not in detail.content
    assert b"Issue a corrected version" not in detail.content
    assert client.post(f"{INDEX}{receipt.pk}/email/").status_code == 403
    response = client.post(f"{INDEX}{receipt.pk}/reissue/", {"reason": "Typo."})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__in=["receipt.email", "receipt.reissue"]).exists()


# --- The list ----------------------------------------------------------------------------------


def test_the_list_filters_by_donor_kind_emailed_and_voided(alpha: Tenant, ada: Donor) -> None:
    grace = donor_made("Grace", "Hopper")
    ada_receipt = receipted(ada, "250.00")
    grace_receipt = receipted(grace, "75.00")
    Receipt.objects.filter(pk=ada_receipt.pk).update(emailed_to="ada@example.org")
    client = alpha.client(alpha.user(Role.FUNDRAISER))

    page = client.get(INDEX).content.decode()
    assert "Ada Lovelace" in page and "Grace Hopper" in page
    assert "$250.00" in page
    assert "Receipt for one gift" in page

    only_grace = client.get(INDEX, {"donor": "grace"}).content.decode()
    assert "Grace Hopper" in only_grace and "Ada Lovelace" not in only_grace
    assert "Ada Lovelace" not in client.get(INDEX, {"kind": "year_end"}).content.decode()
    assert "Grace Hopper" in client.get(INDEX, {"emailed": "no"}).content.decode()
    assert "No receipt matches" in client.get(INDEX, {"voided": "yes"}).content.decode()

    receipt_reissue_by_page(client, grace_receipt, "Wrong amount.")
    voided = client.get(INDEX, {"voided": "yes"}).content.decode()
    assert "Grace Hopper" in voided and "Replaced by a correction" in voided
    assert "Ada Lovelace" not in voided


def test_the_list_is_sorted_and_answers_htmx_with_its_results_only(
    alpha: Tenant, ada: Donor
) -> None:
    receipted(ada, "10.00")
    receipted(donor_made("Grace", "Hopper"), "20.00")
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    page = client.get(INDEX, {"sort": "amount"}).content.decode()
    assert page.index("$10.00") < page.index("$20.00")
    fragment = client.get(INDEX, {"sort": "-amount"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert 'id="receipt-results"' in fragment
    assert fragment.index("$20.00") < fragment.index("$10.00")


def test_the_csv_holds_every_receipt_the_filters_select(alpha: Tenant, ada: Donor) -> None:
    receipted(ada, "250.00")
    receipted(donor_made("Grace", "Hopper"), "75.00")
    client = alpha.client(alpha.user(Role.VIEWER))
    response = client.get(INDEX, {"format": "csv", "donor": "ada"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.getvalue().decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("Number,Version,Donor,Kind")
    assert len(lines) == 2
    assert "Ada Lovelace" in lines[1] and "$250.00" in lines[1]


def test_the_list_runs_as_many_queries_for_many_receipts_as_for_few(
    alpha: Tenant, ada: Donor, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    receipted(ada)
    client.get(INDEX)  # the session and the site's settings are read once
    with count_queries() as few:
        client.get(INDEX)
    for index in range(6):
        receipted(donor_made("Donor", f"Number {index}"))
    with count_queries() as many:
        page = client.get(INDEX)
    assert page.content.decode().count("/receipt") >= 7
    assert len(many) == len(few)


def test_names_are_escaped(alpha: Tenant, receipting: Tenant) -> None:
    receipt = receipted(donor_made("<script>alert(1)</script>", "Smith"))
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    for path in (INDEX, f"{INDEX}{receipt.pk}/", f"{INDEX}{receipt.pk}/email/"):
        content = client.get(path).content
        assert b"<script>alert(1)" not in content
        assert b"&lt;script&gt;alert(1)" in content


# --- One receipt -------------------------------------------------------------------------------


def test_the_pdf_is_the_receipt_as_issued(alpha: Tenant, ada: Donor) -> None:
    receipt = receipted(ada)
    response = alpha.client(alpha.user(Role.VIEWER)).get(f"{INDEX}{receipt.pk}/receipt.pdf")
    assert response["Content-Type"] == "application/pdf"
    data = response.getvalue()
    with receipt.pdf.open("rb") as stored:
        assert data == stored.read()
    assert f"receipt-{receipt.number:06d}-v1.pdf" in response["Content-Disposition"]


def test_emailing_again_is_confirmed_then_queued_with_a_message(
    alpha: Tenant, ada: Donor, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    receipt = receipted(ada)
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    confirm = client.get(f"{INDEX}{receipt.pk}/email/")
    assert confirm.status_code == 200
    assert b"Email receipt" in confirm.content
    assert not AuditEvent.objects.filter(action="receipt.email").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{INDEX}{receipt.pk}/email/", follow=True)

    assert response.redirect_chain[-1][0] == f"{INDEX}{receipt.pk}/"
    assert b"is on its way to Ada Lovelace" in response.content
    assert AuditEvent.objects.filter(action="receipt.email").count() == 1
    assert [message.to for message in mail.outbox] == [["ada@example.org"]]


def test_a_donor_who_takes_no_email_is_refused_with_the_reason(alpha: Tenant, ada: Donor) -> None:
    receipt = receipted(ada)
    Donor.objects.filter(pk=ada.pk).update(email_ok=False)
    response = alpha.client(alpha.user(Role.FUNDRAISER)).post(f"{INDEX}{receipt.pk}/email/")
    assert response.status_code == 409
    assert b"the donor does not accept email" in response.content
    assert not AuditEvent.objects.filter(action="receipt.email").exists()


def receipt_reissue_by_page(client: Any, receipt: Receipt, reason: str) -> Any:
    return client.post(f"{INDEX}{receipt.pk}/reissue/", {"reason": reason}, follow=True)


def test_a_correction_is_issued_and_replaces_the_receipt(alpha: Tenant, ada: Donor) -> None:
    receipt = receipted(ada)
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    assert b"Why it is corrected" in client.get(f"{INDEX}{receipt.pk}/reissue/").content

    response = receipt_reissue_by_page(client, receipt, "The donor's name was misspelled.")

    corrected = Receipt.objects.get(supersedes=receipt)
    assert response.redirect_chain[-1][0] == f"{INDEX}{corrected.pk}/"
    assert b"Version 2 of receipt" in response.content
    assert corrected.reason == "The donor's name was misspelled."
    assert AuditEvent.objects.filter(action="receipt.reissue").count() == 1
    old = client.get(f"{INDEX}{receipt.pk}/").content
    assert b"Replaced by a correction" in old
    assert b"Email again" not in old


def test_a_correction_without_a_reason_is_refused_next_to_the_field(
    alpha: Tenant, ada: Donor
) -> None:
    receipt = receipted(ada)
    response = alpha.client(alpha.user(Role.FUNDRAISER)).post(
        f"{INDEX}{receipt.pk}/reissue/", {"reason": "  "}
    )
    assert response.status_code == 400
    assert b"One thing needs fixing" in response.content
    assert b'id="id_reason_error"' in response.content
    assert Receipt.objects.count() == 1


def test_an_unknown_receipt_is_not_found(alpha: Tenant, receipting: Tenant) -> None:
    client = alpha.client(alpha.user(Role.FUNDRAISER))
    assert client.get(f"{INDEX}999999/").status_code == 404
    assert client.get(f"{INDEX}999999/receipt.pdf").status_code == 404


# --- Settings ----------------------------------------------------------------------------------


def test_an_administrator_changes_the_receipt_settings(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.ADMIN))
    page = client.get(SETTINGS)
    assert b"Receipts cannot be issued until the" in page.content

    response = client.post(
        SETTINGS,
        {
            "legal_name": "Alpha Relief Fund, Inc.",
            "ein": "12-3456789",
            "address": "1 Relief Way\nSpringfield, IL",
            "signatory_name": "Grace Hopper",
            "signatory_title": "Treasurer",
        },
        follow=True,
    )

    assert b"The receipt settings are saved." in response.content
    settings_row = ReceiptSettings.objects.get()
    assert settings_row.ein == "12-3456789"
    assert settings_row.signatory_title == "Treasurer"
    assert settings_row.receipt_every_gift is False
    assert AuditEvent.objects.filter(action="receipt_settings.update").count() == 1


def test_a_badly_written_ein_is_refused_next_to_the_field(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.OWNER))
    response = client.post(SETTINGS, {"legal_name": "Alpha", "ein": "123456789"})
    assert response.status_code == 400
    assert b"Write it NN-NNNNNNN." in response.content
    assert b'id="id_ein_error"' in response.content
    assert not AuditEvent.objects.filter(action="receipt_settings.update").exists()


def test_a_fundraiser_sees_the_settings_but_cannot_change_them(in_alpha: Tenant) -> None:
    client = in_alpha.client(in_alpha.user(Role.FUNDRAISER))
    page = client.get(SETTINGS)
    assert page.status_code == 200
    assert b"Save the settings" not in page.content
    assert b"disabled" in page.content
    response = client.post(SETTINGS, {"legal_name": "Other", "ein": "12-3456789"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="receipt_settings.update").exists()
