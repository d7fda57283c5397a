"""CSV imports of donors and of gifts: taking an upload (the file is checked as a whole and
kept), and running its job: every row checked (services.import_donors, services.import_gifts),
then the bulk write in one transaction.

A file is imported whole or not at all: every row is checked first and every problem is
listed (row as a spreadsheet numbers it, the header being row 1; column; a message a person can
act on); one bad row and nothing is written. Progress goes through the cache, as the job row's
own updates inside the import's transaction are invisible to the page polling it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.tasks import enqueue_on_commit
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations import selectors
from tenant_apps.donations.models import Gift, GiftAllocation, ImportJob, ImportKind, ImportState
from tenant_apps.donations.services.import_csv import RowError, csv_read, file_refusal
from tenant_apps.donations.services.import_donors import (
    DonorPlan,
    donors_duplicates,
    donors_validate,
)
from tenant_apps.donations.services.import_gifts import GiftPlan, gifts_duplicates, gifts_validate
from tenant_apps.donors import services as donors

if TYPE_CHECKING:
    from django.core.files import File

    from shared_apps.users.models import User

logger = logging.getLogger(__name__)


MAX_FILE_BYTES = 10 * 1024 * 1024
# How often (in rows) a running job publishes its progress, and how long the cache keeps it.
PROGRESS_EVERY = 500
PROGRESS_SECONDS = 24 * 60 * 60
GIFT_BATCH_SIZE = 2000


def import_progress_publish(*, job_id: int, state: str, processed: int, total: int) -> None:
    """Tell whoever polls the job where it is: readable at once from any connection."""
    progress: selectors.ImportProgress = {"state": state, "processed": processed, "total": total}
    cache.set(selectors.import_progress_key(job_id), progress, timeout=PROGRESS_SECONDS)


@dataclass
class _Reporter:
    job: ImportJob
    state: str = ImportState.VALIDATING

    def publish(self, processed: int, *, force: bool = False) -> None:
        if force or processed % PROGRESS_EVERY == 0 or processed == self.job.total_rows:
            import_progress_publish(
                job_id=self.job.pk, state=self.state, processed=processed, total=self.job.total_rows
            )


def _donors_write(plan: DonorPlan, *, job: ImportJob, progress: Callable[[int], None]) -> int:
    saved = donors.donors_bulk_create(
        prepared=[prepared for _, prepared in plan.prepared],
        acting_user=job.created_by,
        progress=progress,
    )
    return len(saved)


def _gifts_write(plan: GiftPlan, *, job: ImportJob, progress: Callable[[int], None]) -> int:
    actor = actor_of(job.created_by)
    written = 0
    for start in range(0, len(plan.gifts), GIFT_BATCH_SIZE):
        batch = plan.gifts[start : start + GIFT_BATCH_SIZE]
        for _, gift, _allocation in batch:
            gift.created_by = actor
        Gift.objects.bulk_create([gift for _, gift, _ in batch])
        for _, gift, allocation in batch:
            allocation.gift = gift
        GiftAllocation.objects.bulk_create([allocation for _, _, allocation in batch])
        written += len(batch)
        progress(written)
    return written


def import_job_create(*, kind: str, upload: File, acting_user: User | None) -> ImportJob:
    """Check an uploaded file as a whole (size, encoding, header, at least one row), keep it in
    the tenant's storage and queue its import. A refused file is not kept and nothing is
    queued; the rows themselves are checked by the task."""
    # Imported when queueing: the tasks module calls back into these services.
    from tenant_apps.donations.tasks import import_run as import_run_task

    if kind not in ImportKind.values:
        raise ServiceError(
            f"An import is of {' or '.join(ImportKind.values)}.", fields={"kind": ["Unknown kind."]}
        )
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise file_refusal(
            f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    content = upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise file_refusal(f"The file is over {MAX_FILE_BYTES // 1024 // 1024} MB.")
    parsed = csv_read(content, kind=kind)
    name = (getattr(upload, "name", "") or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1]
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            original_filename=name[:255],
            total_rows=len(parsed.rows),
            created_by=actor_of(acting_user),
        )
        job.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(content), save=False)
        job.save()
        enqueue_on_commit(import_run_task, job.pk)
    return job


def _job_fail(job: ImportJob, *, errors: list[RowError], message: str) -> None:
    job.state = ImportState.FAILED
    job.rows_created = 0
    job.duplicates, job.duplicate_count = [], 0
    job.errors = sorted(errors, key=lambda error: error["row"])
    job.error_count = len(errors)
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.save()


def import_run(*, job_id: int) -> ImportJob | None:
    """Import a queued job's file: all of it, or, if any row is bad, none of it with the list
    of what is wrong. Runs once: a job that is no longer queued (a task delivered twice) is
    left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.VALIDATING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("import %s is not queued: not run again", job_id)
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    reporter = _Reporter(job)
    reporter.publish(0, force=True)
    try:
        with job.file.open("rb") as stored:
            parsed = csv_read(stored.read(), kind=job.kind)
        job.total_rows = len(parsed.rows)
        if job.kind == ImportKind.DONORS:
            donor_plan = donors_validate(parsed, progress=reporter.publish)
            errors, rows = donor_plan.errors, len(donor_plan.prepared)
        else:
            gift_plan = gifts_validate(parsed, progress=reporter.publish)
            errors, rows = gift_plan.errors, len(gift_plan.gifts)
        job.rows_processed = job.total_rows
        if errors:
            rows_with_errors = len({error["row"] for error in errors})
            _job_fail(
                job,
                errors=errors,
                message=f"{rows_with_errors} of {job.total_rows} rows have errors: nothing was "
                "imported. Correct them and upload the file again.",
            )
            return job
        job.state = ImportState.IMPORTING
        job.save(update_fields=["state", "total_rows", "rows_processed"])
        reporter.state = ImportState.IMPORTING
        reporter.publish(0, force=True)
        with transaction.atomic():
            if job.kind == ImportKind.DONORS:
                duplicates = donors_duplicates(donor_plan.prepared)
                created = _donors_write(donor_plan, job=job, progress=reporter.publish)
            else:
                duplicates = gifts_duplicates(gift_plan)
                created = _gifts_write(gift_plan, job=job, progress=reporter.publish)
            job.state = ImportState.SUCCEEDED
            job.rows_created = created
            job.duplicates = duplicates
            job.duplicate_count = len(duplicates)
            job.finished_at = timezone.now()
            job.save()
            audit_record(
                f"{'donor' if job.kind == ImportKind.DONORS else 'gift'}.import",
                acting_user=job.created_by,
                obj=job,
                file=job.original_filename,
                rows=rows,
            )
    except ServiceError as refusal:  # the stored file no longer reads (it was checked at upload)
        _job_fail(job, errors=[], message=refusal.message)
    except Exception:
        logger.exception("import %s failed", job_id)
        _job_fail(
            job,
            errors=[],
            message="The import stopped on an unexpected error: nothing was imported. Try again, "
            "and tell support if it happens again.",
        )
    return job
