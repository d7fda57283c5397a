"""Year-end giving statements in bulk: for a calendar year, every donor with posted gifts that
year (or only those with a tag) gets a statement (services.receipts issues it; one already
issued is reused, its current version), and their PDFs are gathered into one ZIP to download,
and drawn into one PDF to print (each statement from the top of a new page, in the ZIP's order).

A run is named by a token. Its progress and, once done, the paths of the ZIP and the PDF are
kept in the cache (as an import's progress is), for a day: the statements themselves are
receipts, kept for good; the ZIP and the PDF can be made again by starting another run.
"""

from __future__ import annotations

import io
import logging
import secrets
import zipfile
from typing import TYPE_CHECKING, TypedDict, cast

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import EARLIEST_DATE
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.tenants.selectors import organization_logo_content
from tenant_apps.core.services import audit_record
from tenant_apps.donations.models import GiftState, Receipt, ReceiptKind
from tenant_apps.donations.receipt_pdf import ReceiptContent, ReceiptsDocument
from tenant_apps.donations.services.receipt_settings import (
    receipt_settings,
    receipt_settings_missing,
)
from tenant_apps.donations.services.receipts import receipt_year_end_issue
from tenant_apps.donations.tasks import statements_run as statements_run_task
from tenant_apps.donors.models import Donor, Tag

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

# How long the cache keeps a run's progress and the way to its ZIP.
RUN_SECONDS = 24 * 60 * 60


class StatementsProgress(TypedDict):
    state: str  # "queued", "running", "done" or "failed"
    year: int
    done: int
    total: int
    archive: str  # the ZIP's path in storage, once done
    document: str  # the one PDF's path in storage, once done
    error: str


def statements_progress_key(token: str) -> str:
    # The cache's key function adds the schema: one organization's run is not another's.
    return f"donations:statements:{token}"


def statements_progress(token: str) -> StatementsProgress | None:
    """Where a run is, or None for a token the cache does not know (never started, or old)."""
    return cache.get(statements_progress_key(token))


def _publish(token: str, progress: StatementsProgress) -> None:
    cache.set(statements_progress_key(token), progress, timeout=RUN_SECONDS)


def _donors(*, year: int, tag: Tag | None) -> list[Donor]:
    donors = Donor.objects.filter(gifts__state=GiftState.POSTED, gifts__received_on__year=year)
    if tag is not None:
        donors = donors.filter(tags=tag)
    return list(donors.distinct().order_by("display_name", "id"))


def statements_run_start(*, year: int, tag: Tag | None, acting_user: User | None) -> str:
    """Queue the statements of `year` (of the donors with `tag`, if given); the token names
    the run for its progress and its ZIP."""
    if not isinstance(year, int) or not EARLIEST_DATE.year <= year <= timezone.localdate().year:
        raise ServiceError(
            "Statements are for a past or the current calendar year.",
            fields={"year": ["Not a year that can have gifts."]},
        )
    missing = receipt_settings_missing(receipt_settings())
    if missing:
        raise ServiceError(
            "Statements cannot be issued until the receipt settings name the organization and "
            "its EIN.",
            fields=missing,
        )
    token = secrets.token_urlsafe(16)
    _publish(
        token,
        {
            "state": "queued",
            "year": year,
            "done": 0,
            "total": 0,
            "archive": "",
            "document": "",
            "error": "",
        },
    )
    audit_record(
        "statements.start",
        acting_user=acting_user,
        year=year,
        tag=tag.name if tag is not None else "",
    )
    enqueue_on_commit(statements_run_task, token, year, tag.pk if tag is not None else None)
    return token


def _statement_pdf(*, donor: Donor, year: int) -> Receipt:
    """The donor's current statement of the year: the one issued already, else a new one."""
    current = (
        Receipt.objects.filter(
            kind=ReceiptKind.YEAR_END, donor=donor, year=year, superseded_by__isnull=True
        )
        .order_by("-version")
        .first()
    )
    if current is not None:
        return current
    return receipt_year_end_issue(donor=donor, year=year, acting_user=None)


def statements_run(*, token: str, year: int, tag_id: int | None) -> StatementsProgress:
    """What the task does: issue or reuse each donor's statement, publishing progress, then
    store the ZIP of their PDFs and the one PDF of them all. A failure is recorded in the
    progress for the page to say."""
    tag = Tag.objects.filter(pk=tag_id).first() if tag_id is not None else None
    donors = _donors(year=year, tag=tag)
    progress: StatementsProgress = {
        "state": "running",
        "year": year,
        "done": 0,
        "total": len(donors),
        "archive": "",
        "document": "",
        "error": "",
    }
    _publish(token, progress)
    buffer = io.BytesIO()
    settings = receipt_settings()
    document = ReceiptsDocument(
        title=f"Giving statements {year}",
        author=settings.legal_name or "Giving statements",
        logo=organization_logo_content(),
    )
    try:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for donor in donors:
                statement = _statement_pdf(donor=donor, year=year)
                with statement.pdf.open("rb") as pdf:
                    archive.writestr(
                        f"statement-{year}-{statement.number:06d}-v{statement.version}.pdf",
                        pdf.read(),
                    )
                # Drawn again from what the statement says, as its own PDF was drawn.
                document.add(cast(ReceiptContent, statement.content))
                progress["done"] += 1
                _publish(token, progress)
        path = default_storage.save(
            f"statements/{year}/{token}.zip", ContentFile(buffer.getvalue())
        )
        document_path = default_storage.save(
            f"statements/{year}/{token}.pdf", ContentFile(document.output())
        )
    except ServiceError as error:
        logger.info("statements run %s failed: %s", token, error.message)
        progress["state"], progress["error"] = "failed", error.message
        _publish(token, progress)
        return progress
    except Exception:
        # Said on the page (which stops polling), and raised for the task's log.
        progress["state"], progress["error"] = "failed", "an unexpected error stopped the run."
        _publish(token, progress)
        raise
    progress["state"], progress["archive"], progress["document"] = "done", path, document_path
    _publish(token, progress)
    return progress
