"""Year-end statements in bulk: who gets one, reuse of a statement already issued, the ZIP and
the one PDF of them all, progress, refusals, and the pages that start a run, follow it and
download it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Literal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from pypdf import PageObject, PdfReader
from pypdf.generic import Destination

from saas_platform.lib.errors import ServiceError
from shared_apps.users.roles import Role
from tenant_apps.core.models import AuditEvent
from tenant_apps.donations.models import Receipt, ReceiptKind
from tenant_apps.donations.services.receipt_settings import receipt_settings_update
from tenant_apps.donations.services.receipts import receipt_year_end_issue
from tenant_apps.donations.services.statements import (
    statements_progress,
    statements_run_start,
)
from tenant_apps.donations.tests.factories import GiftFactory, today
from tenant_apps.donors.models import Donor, Tag
from tenant_apps.donors.tests.factories import donor_made
from tests.plugin import Tenant

pytestmark = pytest.mark.django_db

PAGE = "/receipts/statements/"


def last_year() -> int:
    return today().year - 1


@pytest.fixture
def receipting(in_alpha: Tenant) -> Tenant:
    receipt_settings_update(acting_user=None, legal_name="Alpha Relief Fund", ein="12-3456789")
    return in_alpha


def gave(donor: Donor, amount: str, year: int | None = None) -> None:
    received_on = date(year or last_year(), 6, 1)
    GiftFactory.create(donor=donor, amount=amount, received_on=received_on, posted=True)


def started(capture: Callable[..., Any], **arguments: Any) -> str:
    with capture(execute=True):
        return statements_run_start(acting_user=None, **arguments)


def zip_names(token: str) -> list[str]:
    progress = statements_progress(token)
    assert progress is not None and progress["state"] == "done"
    with default_storage.open(progress["archive"], "rb") as stored:
        return sorted(zipfile.ZipFile(io.BytesIO(stored.read())).namelist())


def stored(token: str, key: Literal["archive", "document"]) -> bytes:
    progress = statements_progress(token)
    assert progress is not None and progress["state"] == "done"
    with default_storage.open(progress[key], "rb") as file:
        return file.read()


def words(pages: Iterable[PageObject]) -> str:
    """The pages' text, as words (lines wrap where a page ends)."""
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_every_donor_who_gave_gets_a_statement_in_the_zip(
    receipting: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ada, grace = donor_made("Ada", "Lovelace"), donor_made("Grace", "Hopper")
    gave(ada, "100.00")
    gave(ada, "50.00")
    gave(grace, "75.00")
    gave(donor_made("Alan", "Turing"), "20.00", year=last_year() - 1)
    earlier = receipt_year_end_issue(donor=grace, year=last_year(), acting_user=None)

    token = started(django_capture_on_commit_callbacks, year=last_year(), tag=None)

    progress = statements_progress(token)
    assert progress is not None
    assert (progress["done"], progress["total"]) == (2, 2)
    statements = Receipt.objects.filter(kind=ReceiptKind.YEAR_END, year=last_year())
    assert {receipt.donor for receipt in statements} == {ada, grace}
    assert statements.count() == 2, "Grace's statement was reused, not issued again"
    assert f"statement-{last_year()}-{earlier.number:06d}-v1.pdf" in zip_names(token)
    assert len(zip_names(token)) == 2
    assert AuditEvent.objects.filter(action="statements.start").count() == 1


def test_a_tag_narrows_the_donors(
    receipting: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ada, grace = donor_made("Ada", "Lovelace"), donor_made("Grace", "Hopper")
    gave(ada, "100.00")
    gave(grace, "75.00")
    board = Tag.objects.create(name="Board")
    ada.tags.add(board)

    token = started(django_capture_on_commit_callbacks, year=last_year(), tag=board)

    assert len(zip_names(token)) == 1
    assert Receipt.objects.get(kind=ReceiptKind.YEAR_END).donor == ada


def test_a_future_year_or_missing_settings_are_refused(in_alpha: Tenant) -> None:
    with pytest.raises(ServiceError, match="receipt settings"):
        statements_run_start(year=last_year(), tag=None, acting_user=None)
    receipt_settings_update(acting_user=None, legal_name="Alpha", ein="12-3456789")
    with pytest.raises(ServiceError, match="past or the current calendar year"):
        statements_run_start(year=last_year() + 5, tag=None, acting_user=None)
    assert not AuditEvent.objects.filter(action="statements.start").exists()


# --- Pages -------------------------------------------------------------------------------------


def test_a_fundraiser_makes_the_statements_and_downloads_the_zip(
    receipting: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    gave(donor_made("Ada", "Lovelace"), "100.00")
    client = receipting.client(receipting.user(Role.FUNDRAISER))
    assert b"Make the statements" in client.get(PAGE).content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, {"year": str(last_year())})

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert f"The {last_year()} statements were started.".encode() in page.content
    assert b"statements are ready: 1 donor." in page.content
    assert b'hx-trigger="every 2s"' not in page.content
    token = response["Location"].split("run=")[1]
    download = client.get(f"{PAGE}statements.zip", {"run": token})
    assert download["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(download.getvalue())).namelist()


def test_a_run_in_progress_is_polled_every_two_seconds(receipting: Tenant) -> None:
    from django.core.cache import cache

    from tenant_apps.donations.services.statements import statements_progress_key

    cache.set(
        statements_progress_key("abc"),
        {
            "state": "running",
            "year": last_year(),
            "done": 3,
            "total": 10,
            "archive": "",
            "error": "",
        },
    )
    client = receipting.client(receipting.user(Role.VIEWER))
    fragment = client.get(f"{PAGE}progress/", {"run": "abc"}).content.decode()
    assert 'hx-trigger="every 2s"' in fragment
    assert "3 of 10 done" in fragment
    assert "<html" not in fragment
    assert client.get(f"{PAGE}statements.zip", {"run": "abc"}).status_code == 404


def test_a_viewer_cannot_start_a_run_and_a_bad_year_is_refused(receipting: Tenant) -> None:
    viewer = receipting.client(receipting.user(Role.VIEWER))
    assert b"Make the statements" not in viewer.get(PAGE).content
    assert viewer.post(PAGE, {"year": str(last_year())}).status_code == 403

    fundraiser = receipting.client(receipting.user(Role.FUNDRAISER))
    response = fundraiser.post(PAGE, {"year": str(last_year() + 5)})
    assert response.status_code == 400
    assert b'id="id_year_error"' in response.content
    assert not AuditEvent.objects.filter(action="statements.start").exists()


def test_other_roles_get_the_refusal(alpha: Tenant) -> None:
    response = alpha.client(alpha.user(Role.VOLUNTEER)).get(PAGE)
    assert response.status_code == 403
    assert b"This page is for the" in response.content


# --- One PDF of them all --------------------------------------------------------------------------


def test_one_pdf_holds_every_statement_from_a_new_page_in_the_zips_order(
    receipting: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # Given Grace with enough gifts for her statement to run onto a second page, Ada with two
    # and Alan, who gave the year before.
    grace, ada = donor_made("Grace", "Hopper"), donor_made("Ada", "Lovelace")
    for _ in range(45):
        gave(grace, "100.00")
    gave(ada, "100.00")
    gave(ada, "50.00")
    gave(donor_made("Alan", "Turing"), "20.00", year=last_year() - 1)

    token = started(django_capture_on_commit_callbacks, year=last_year(), tag=None)

    # The ZIP's statements, in its order: Ada's then Grace's (by name).
    archive = zipfile.ZipFile(io.BytesIO(stored(token, "archive")))
    own = [PdfReader(io.BytesIO(archive.read(name))) for name in archive.namelist()]
    assert len(own) == 2
    assert len(own[1].pages) > 1, "Grace's statement runs onto a second page"
    combined = PdfReader(io.BytesIO(stored(token, "document")))
    statements = Receipt.objects.filter(kind=ReceiptKind.YEAR_END).order_by("donor__display_name")
    # Its outline names each statement where it starts: Ada's on the first page, Grace's on the
    # page after Ada's last.
    marks = [mark for mark in combined.outline if isinstance(mark, Destination)]
    assert len(marks) == len(combined.outline)  # one level: a mark for each statement
    outline = [(mark.title, combined.get_destination_page_number(mark)) for mark in marks]
    assert outline == [
        (f"Ada Lovelace, no. {statements[0].content['number']}", 0),
        (f"Grace Hopper, no. {statements[1].content['number']}", len(own[0].pages)),
    ]
    assert len(combined.pages) == len(own[0].pages) + len(own[1].pages)
    first, second = combined.pages[: len(own[0].pages)], combined.pages[len(own[0].pages) :]
    # Each set of pages says what that donor's own statement says: name and total included.
    assert words(first) == words(own[0].pages)
    assert words(second) == words(own[1].pages)
    assert "Ada Lovelace" in words(first) and "Total of contributions: $150.00" in words(first)
    assert "Grace Hopper" in words(second)
    assert "Total of contributions: $4,500.00" in words(second)
    assert "Alan Turing" not in words(combined.pages)


def test_a_fundraiser_downloads_the_one_pdf_and_a_viewer_may_too(
    receipting: Tenant, beta: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    gave(donor_made("Ada", "Lovelace"), "100.00")
    fundraiser = receipting.client(receipting.user(Role.FUNDRAISER))
    with django_capture_on_commit_callbacks(execute=True):
        response = fundraiser.post(PAGE, {"year": str(last_year())})
    token = response["Location"].split("run=")[1]
    page = fundraiser.get(response["Location"]).content.decode()
    assert f'href="{PAGE}statements.pdf?run={token}">Download the statements (one PDF)' in page
    assert f'href="{PAGE}statements.zip?run={token}">Download the statements (ZIP)' in page

    for role in (Role.FUNDRAISER, Role.VIEWER):
        download = receipting.client(receipting.user(role)).get(
            f"{PAGE}statements.pdf", {"run": token}
        )
        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert f'filename="statements-{last_year()}.pdf"' in download["Content-Disposition"]
        text = words(PdfReader(io.BytesIO(download.getvalue())).pages)
        assert "Ada Lovelace" in text and "Total of contributions: $100.00" in text

    volunteer = receipting.client(receipting.user(Role.VOLUNTEER))
    refused = volunteer.get(f"{PAGE}statements.pdf", {"run": token})
    assert refused.status_code == 403
    assert b"This page is for the" in refused.content
    # Another organization's staff, with this run's token, find nothing.
    assert beta.client(beta.owner).get(f"{PAGE}statements.pdf", {"run": token}).status_code == 404


def test_no_pdf_for_a_run_not_done_or_made_before_runs_had_one(receipting: Tenant) -> None:
    from django.core.cache import cache

    from tenant_apps.donations.services.statements import statements_progress_key

    client = receipting.client(receipting.user(Role.FUNDRAISER))
    assert client.get(f"{PAGE}statements.pdf", {"run": "nothing"}).status_code == 404
    path = default_storage.save("statements/old.zip", ContentFile(b"PK"))
    cache.set(
        statements_progress_key("old"),
        {"state": "done", "year": last_year(), "done": 1, "total": 1, "archive": path, "error": ""},
    )
    page = client.get(PAGE, {"run": "old"}).content.decode()
    assert "Download the statements (ZIP)" in page
    assert "one PDF" not in page.split("statements are ready")[1]
    assert client.get(f"{PAGE}statements.zip", {"run": "old"}).status_code == 200
    assert client.get(f"{PAGE}statements.pdf", {"run": "old"}).status_code == 404
