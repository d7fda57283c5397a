"""The organization settings page at /settings/organization/ and the services behind it: the
name and time zone (the public Organization row), the logo (checked by content, kept in the
organization's own storage, shown in the header), the receipt settings with their closing
paragraph, the fiscal year's first month (fixed once anything is posted), the value of a
volunteer hour. Refused input changes nothing; only owners and administrators get in; the
page runs a fixed number of queries; nothing crosses to another organization."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import Destination

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from shared_apps.tenants.models import Organization
from shared_apps.tenants.services import (
    LOGO_MAX_BYTES,
    logo_check,
    organization_logo_remove,
    organization_logo_set,
    organization_profile_update,
)
from shared_apps.users.roles import Role
from tenant_apps.accounting.models import AccountingSettings
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import ReceiptSettings
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.services.receipts import receipt_issue
from tenant_apps.donations.services.statements import statements_progress, statements_run_start
from tenant_apps.donations.tests.factories import GiftFactory
from tenant_apps.donors.tests.factories import donor_made
from tenant_apps.personnel.models import PersonnelSettings
from tests.plugin import Tenant

PAGE = "/settings/organization/"


def image_bytes(image_format: str, *, size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _time_zone_reset() -> Iterator[None]:
    """A request activates its organization's time zone in this thread: undo it after."""
    yield
    timezone.deactivate()


def _organization(slug: str = "alpha") -> Organization:
    return Organization.objects.get(slug=slug)


# --- Services ----------------------------------------------------------------------------------


def test_the_profile_update_renames_sets_the_time_zone_and_audits(in_alpha: Tenant) -> None:
    organization_profile_update(
        organization=in_alpha.organization,
        name="Alpha Relief",
        time_zone="America/Chicago",
        acting_user=in_alpha.owner,
    )

    organization = _organization()
    assert (organization.name, organization.time_zone) == ("Alpha Relief", "America/Chicago")
    event = AuditEvent.objects.get(action="organization.update")
    assert event.detail["name"] == ["Alpha Relief Fund", "Alpha Relief"]
    assert event.detail["time_zone"] == ["UTC", "America/Chicago"]


@pytest.mark.parametrize(
    ("name", "time_zone", "field"),
    [
        ("Alpha", "Mars/Olympus_Mons", "time_zone"),
        ("Alpha", "../../etc/passwd", "time_zone"),
        ("Alpha", "", "time_zone"),
        ("  ", "UTC", "name"),
        ("x" * 201, "UTC", "name"),
    ],
)
def test_a_refused_profile_changes_nothing(
    in_alpha: Tenant, name: str, time_zone: str, field: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        organization_profile_update(
            organization=in_alpha.organization, name=name, time_zone=time_zone, acting_user=None
        )

    assert field in refused.value.fields
    organization = _organization()
    assert (organization.name, organization.time_zone) == ("Alpha Relief Fund", "UTC")
    assert not AuditEvent.objects.filter(action="organization.update").exists()


def test_a_logo_is_judged_by_its_content() -> None:
    assert logo_check(image_bytes("PNG")) == "png"
    assert logo_check(image_bytes("JPEG")) == "jpg"
    for content, problem in [
        (b"not an image at all, whatever its name says", "must be a PNG or JPEG image"),
        (image_bytes("GIF"), "must be a PNG or JPEG image"),
        (image_bytes("PNG")[:60], "must be a PNG or JPEG image"),  # cut short
        (image_bytes("PNG", size=(4001, 1)), "4001 by 1 pixels"),
        (b"\x89PNG" + b"0" * LOGO_MAX_BYTES, "larger than 1 MB"),
    ]:
        with pytest.raises(ServiceError) as refused:
            logo_check(content)
        assert problem in refused.value.message, problem
        assert "logo" in refused.value.fields


def test_a_new_logo_is_stored_for_the_organization_and_replaces_the_old_one(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    first = organization_logo_set(
        organization=in_alpha.organization, content=image_bytes("PNG"), acting_user=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = organization_logo_set(
            organization=in_alpha.organization,
            content=image_bytes("JPEG"),
            acting_user=in_alpha.owner,
        )

    assert first.logo.startswith("branding/logo-") and first.logo.endswith(".png")
    assert second.logo.endswith(".jpg")
    assert _organization().logo == second.logo
    assert default_storage.exists(second.logo)
    assert not default_storage.exists(first.logo)
    # The organization's own folder of the storage: tenants/alpha/.
    assert default_storage.path(second.logo).endswith(f"tenants/alpha/{second.logo}")
    assert AuditEvent.objects.filter(action="organization.logo_set").count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        organization_logo_remove(organization=in_alpha.organization, acting_user=None)
    assert _organization().logo == ""
    assert not default_storage.exists(second.logo)


def test_the_closing_paragraph_ends_every_receipt(in_alpha: Tenant) -> None:
    receipt_settings_update(
        legal_name="Alpha Relief Fund",
        ein="12-3456789",
        footer="Alpha Relief Fund is a 501(c)(3) organization. Thank you!",
        acting_user=None,
    )

    receipt = receipt_issue(gift=GiftFactory.create(posted=True), acting_user=None)

    assert receipt.content["statements"][-1] == (
        "Alpha Relief Fund is a 501(c)(3) organization. Thank you!"
    )


def test_a_receipt_is_headed_by_the_logo(in_alpha: Tenant) -> None:
    receipt_settings_update(legal_name="Alpha Relief Fund", ein="12-3456789", acting_user=None)
    plain = receipt_issue(gift=GiftFactory.create(posted=True), acting_user=None)
    organization = organization_logo_set(
        organization=in_alpha.organization, content=image_bytes("PNG"), acting_user=None
    )
    # As a request or a tenant task selects it: with its Organization row, logo and all.
    connection.set_tenant(organization)

    headed = receipt_issue(gift=GiftFactory.create(posted=True), acting_user=None)

    with plain.pdf.open("rb") as pdf:
        assert b"/Subtype /Image" not in pdf.read()
    with headed.pdf.open("rb") as pdf:
        assert b"/Subtype /Image" in pdf.read()


def test_the_year_end_statements_in_one_pdf_are_each_headed_by_the_logo(
    in_alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    receipt_settings_update(legal_name="Alpha Relief Fund", ein="12-3456789", acting_user=None)
    year = timezone.localdate().year - 1
    for first, last in (("Ada", "Lovelace"), ("Grace", "Hopper")):
        GiftFactory.create(donor=donor_made(first, last), received_on=date(year, 6, 1), posted=True)
    organization = organization_logo_set(
        organization=in_alpha.organization, content=image_bytes("PNG"), acting_user=None
    )
    connection.set_tenant(organization)

    with django_capture_on_commit_callbacks(execute=True):
        token = statements_run_start(year=year, tag=None, acting_user=None)

    progress = statements_progress(token)
    assert progress is not None and progress["state"] == "done"
    with default_storage.open(progress["document"], "rb") as stored:
        combined = PdfReader(io.BytesIO(stored.read()))
    marks = [mark for mark in combined.outline if isinstance(mark, Destination)]
    starts = [combined.get_destination_page_number(mark) for mark in marks]
    assert len(starts) == 2  # a statement each for Ada and Grace, each with the logo on top
    assert all(len(combined.pages[page or 0].images) == 1 for page in starts)


# --- Who gets in -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.ADMIN, 200),
        (Role.BOOKKEEPER, 403),
        (Role.FUNDRAISER, 403),
        (Role.VOLUNTEER_COORDINATOR, 403),
        (Role.VIEWER, 403),
        (Role.VOLUNTEER, 403),
    ],
)
def test_only_owners_and_administrators_open_and_change_the_settings(
    alpha: Tenant, role: str, status: int
) -> None:
    user = alpha.owner if role == Role.OWNER else alpha.user(role)
    client = alpha.client(user)

    assert client.get(PAGE).status_code == status
    response = client.post(f"{PAGE}profile/", {"name": "Taken over", "time_zone": "UTC"})

    assert response.status_code == (302 if status == 200 else 403)
    if status == 403:
        assert "Owner" in client.get(PAGE).content.decode()  # the site's 403 names who may
        assert _organization().name == "Alpha Relief Fund"


def test_anonymous_people_are_sent_to_log_in(alpha: Tenant) -> None:
    response = alpha.client().get(PAGE)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_organizations_login_gets_nothing(alpha: Tenant, beta: Tenant) -> None:
    session = beta.client(beta.owner).cookies["sessionid"].value
    replay = alpha.client()
    replay.cookies["sessionid"] = session

    assert replay.get(PAGE).status_code == 302
    assert replay.post(f"{PAGE}profile/", {"name": "Beta's", "time_zone": "UTC"}).status_code == (
        302
    )
    assert _organization().name == "Alpha Relief Fund"


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_what_is_saved(alpha: Tenant) -> None:
    with schema_context("alpha"):
        receipt_settings_update(
            legal_name="Alpha Relief Fund Inc.",
            ein="12-3456789",
            signatory_name="Grace Hopper",
            acting_user=None,
        )

    html = alpha.client(alpha.owner).get(PAGE).content.decode()

    assert "<h1>Organization settings</h1>" in html
    assert 'value="Alpha Relief Fund Inc."' in html and 'value="12-3456789"' in html
    assert '<option value="America/Chicago">' in html
    assert '<option value="UTC" selected>' in html
    assert '<option value="1" selected>January</option>' in html
    assert 'value="34.79"' in html
    assert "Receipts cannot be issued" not in html


def test_the_page_runs_as_many_queries_with_much_saved_as_with_little(
    alpha: Tenant, count_queries: Callable[[], CaptureQueriesContext]
) -> None:
    client = alpha.client(alpha.owner)
    client.get(PAGE)  # the settings rows are made on first read, the session cached
    with count_queries() as few:
        assert client.get(PAGE).status_code == 200

    for role in (Role.BOOKKEEPER, Role.FUNDRAISER, Role.VIEWER):
        alpha.user(role)
    with schema_context("alpha"):
        GiftFactory.create_batch(3, posted=True)
        receipt_settings_update(legal_name="A", ein="12-3456789", acting_user=None)
    with count_queries() as many:
        html = client.get(PAGE).content.decode()

    assert "It is fixed now that entries are posted" in html
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_valid_profile_is_saved_and_renames_the_header(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)

    response = client.post(
        f"{PAGE}profile/", {"name": "Alpha Aid", "time_zone": "Pacific/Kiritimati"}
    )

    assert response.status_code == 302 and response["Location"] == PAGE
    page = client.get(PAGE)
    assert "The organization&#x27;s name and time zone are saved." in page.content.decode()
    assert "<span>Alpha Aid</span>" in page.content.decode()
    # The organization's pages now read dates in its zone (UTC+14: a day ahead of most).
    assert timezone.get_current_timezone_name() == "Pacific/Kiritimati"


def test_a_refused_profile_says_why_and_keeps_what_was_typed(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)

    response = client.post(f"{PAGE}profile/", {"name": "Alpha Aid", "time_zone": "Mars/Base"})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="form-errors"' in html and "Time zone" in html
    assert 'value="Alpha Aid"' in html
    assert _organization().name == "Alpha Relief Fund"


@pytest.mark.parametrize(
    ("ein", "saved"),
    [("12-3456789", True), ("123456789", False), ("12-345678", False), ("AB-CDEFGHI", False)],
)
def test_the_ein_is_written_nn_nnnnnnn(alpha: Tenant, ein: str, saved: bool) -> None:
    client = alpha.client(alpha.owner)

    response = client.post(
        f"{PAGE}receipts/",
        {
            "legal_name": "Alpha Relief Fund",
            "ein": ein,
            "address": "1 Main St\nSpringfield, IL 62701",
            "signatory_name": "Grace Hopper",
            "signatory_title": "Executive Director",
            "footer": "Thank you.",
        },
    )

    with schema_context("alpha"):
        row = ReceiptSettings.objects.filter(pk=1).first()
    if saved:
        assert response.status_code == 302
        assert row is not None
        assert (row.ein, row.signatory_title, row.footer) == (
            "12-3456789",
            "Executive Director",
            "Thank you.",
        )
        with schema_context("alpha"):
            assert AuditEvent.objects.filter(action="receipt_settings.update").exists()
    else:
        assert response.status_code == 400
        assert "NN-NNNNNNN" in response.content.decode()
        assert row is None or row.ein == ""


@pytest.mark.parametrize(
    ("every_gift", "posted"), [(True, {}), (False, {"receipt_every_gift": "on"})]
)
def test_saving_the_receipt_part_leaves_receipt_every_gift_as_it_was(
    alpha: Tenant, every_gift: bool, posted: dict[str, str]
) -> None:
    """Whether every gift is receipted is set on the receipts desk's settings page only. This
    page's form does not show it, so saving here neither clears it (a checkbox not shown is
    not sent) nor takes a value for it from a crafted post."""
    with schema_context("alpha"):
        receipt_settings_update(acting_user=None, receipt_every_gift=every_gift)

    response = alpha.client(alpha.owner).post(
        f"{PAGE}receipts/",
        {"legal_name": "Alpha Relief Fund Inc.", "ein": "12-3456789", **posted},
    )

    assert response.status_code == 302
    html = alpha.client(alpha.owner).get(PAGE).content.decode()
    assert 'name="receipt_every_gift"' not in html
    with schema_context("alpha"):
        row = ReceiptSettings.objects.get(pk=1)
    assert (row.legal_name, row.ein) == ("Alpha Relief Fund Inc.", "12-3456789")
    assert row.receipt_every_gift is every_gift


def test_the_fiscal_year_changes_before_the_first_posting_only(alpha: Tenant) -> None:
    client = alpha.client(alpha.owner)

    response = client.post(f"{PAGE}books/", {"fiscal_year_start_month": "7"})

    assert response.status_code == 302
    with schema_context("alpha"):
        assert AccountingSettings.objects.get(pk=1).fiscal_year_start_month == 7
        GiftFactory.create(posted=True)

    refused = client.post(f"{PAGE}books/", {"fiscal_year_start_month": "1"})

    # The field is shown fixed; a post that names another month anyway is refused with why.
    assert refused.status_code == 400
    assert "It is fixed now that entries are posted" in refused.content.decode()
    assert "can be changed only before the first posting" in refused.content.decode()
    with schema_context("alpha"):
        assert AccountingSettings.objects.get(pk=1).fiscal_year_start_month == 7


def test_a_month_that_is_not_one_is_refused(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).post(f"{PAGE}books/", {"fiscal_year_start_month": "13"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("rate", "saved"), [("25.50", True), ("0", False), ("-3", False), ("abc", False), ("", False)]
)
def test_the_value_of_a_volunteer_hour(alpha: Tenant, rate: str, saved: bool) -> None:
    response = alpha.client(alpha.owner).post(f"{PAGE}people/", {"volunteer_hourly_rate": rate})

    with schema_context("alpha"):
        stored = (
            PersonnelSettings.objects.filter(pk=1)
            .values_list("volunteer_hourly_rate", flat=True)
            .first()
        )
    assert response.status_code == (302 if saved else 400)
    assert (stored == Decimal("25.50")) == saved


# --- The logo ----------------------------------------------------------------------------------


def test_an_uploaded_logo_shows_in_the_header_and_is_served(alpha: Tenant, beta: Tenant) -> None:
    client = alpha.client(alpha.owner)
    upload = io.BytesIO(image_bytes("PNG"))
    upload.name = "logo.png"

    response = client.post(f"{PAGE}logo/upload/", {"logo": upload})

    assert response.status_code == 302
    logo = _organization().logo
    html = client.get("/").content.decode()
    assert f'<img class="brand-logo" src="/settings/organization/logo/?v={logo}"' in html
    served = client.get("/settings/organization/logo/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served.getvalue() == image_bytes("PNG")
    # Beta has no logo: its host serves none of alpha's.
    assert beta.client(beta.owner).get("/settings/organization/logo/").status_code == 404


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(alpha: Tenant) -> None:
    upload = io.BytesIO(b"<svg onload=alert(1)>")
    upload.name = "logo.png"

    response = alpha.client(alpha.owner).post(f"{PAGE}logo/upload/", {"logo": upload})

    assert response.status_code == 400
    assert "The logo must be a PNG or JPEG image" in response.content.decode()
    assert _organization().logo == ""


def test_no_file_is_refused_with_a_message(alpha: Tenant) -> None:
    response = alpha.client(alpha.owner).post(f"{PAGE}logo/upload/", {})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


@pytest.mark.parametrize(
    ("days", "saved"), [("30", True), ("0", False), ("36501", False), ("ten", False)]
)
def test_how_long_images_of_scanned_checks_are_kept(alpha: Tenant, days: str, saved: bool) -> None:
    from tenant_apps.checks.models import CheckScanSettings

    response = alpha.client(alpha.owner).post(f"{PAGE}checks/", {"image_retention_days": days})

    with schema_context("alpha"):
        stored = (
            CheckScanSettings.objects.filter(pk=1)
            .values_list("image_retention_days", flat=True)
            .first()
        )
    assert response.status_code == (302 if saved else 400)
    assert (stored == 30) == saved
