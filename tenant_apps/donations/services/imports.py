"""CSV imports of donors and of gifts: taking an upload (the file is checked as a whole and
kept), confirming the field each of its columns is read as (services.import_columns) or
discarding it, and running its job: every row checked (services.import_donors,
services.import_gifts), then the bulk write in one transaction.

A file sent to the API names its fields in its header and is queued at once; one uploaded on
the imports page waits for its columns to be confirmed. A file is imported whole or not at all:
every row is checked first and every problem is listed (row as a spreadsheet numbers it, the
header being row 1; column; a message a person can act on); one bad row and nothing is written,
unless the person confirming the columns chose to import the rows without errors. Progress
goes through the cache, as the job row's own updates inside the import's transaction are
invisible to the page polling it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.tasks import enqueue_on_commit
from saas_platform.lib.uploads import upload_read
from tenant_apps.core.services import actor_of, audit_record
from tenant_apps.donations import selectors
from tenant_apps.donations.models import (
    Gift,
    GiftAllocation,
    ImportJob,
    ImportKind,
    ImportState,
    RowErrorHandling,
)
from tenant_apps.donations.services.import_columns import (
    FIELD_LABELS,
    column_title,
    columns_recognise,
    mapping_check,
)
from tenant_apps.donations.services.import_csv import (
    CsvRecords,
    RowError,
    csv_read,
    csv_records,
)
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
            gift.import_job = job
        Gift.objects.bulk_create([gift for _, gift, _ in batch])
        for _, gift, allocation in batch:
            allocation.gift = gift
        GiftAllocation.objects.bulk_create([allocation for _, _, allocation in batch])
        written += len(batch)
        progress(written)
    return written


def _upload_read(kind: str, upload: File) -> tuple[bytes, str]:
    """An upload's content and file name, if it is of a kind and within the size limit."""
    if kind not in ImportKind.values:
        raise ServiceError(
            f"An import is of {' or '.join(ImportKind.values)}.", fields={"kind": ["Unknown kind."]}
        )
    content = upload_read(upload, max_bytes=MAX_FILE_BYTES)
    name = (getattr(upload, "name", "") or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1]
    return content, name[:255]


def _job_stored(job: ImportJob, content: bytes) -> ImportJob:
    job.file.save(f"{uuid.uuid4().hex}.csv", ContentFile(content), save=False)
    job.save()
    return job


def import_job_create(*, kind: str, upload: File, acting_user: User | None) -> ImportJob:
    """Check an uploaded file as a whole (size, encoding, header, at least one row), keep it in
    the tenant's storage and queue its import. A refused file is not kept and nothing is
    queued; the rows themselves are checked by the task. The header names the fields (the
    API's files): an unknown column is refused."""
    # Imported when queueing: the tasks module calls back into these services.
    from tenant_apps.donations.tasks import import_run as import_run_task

    content, name = _upload_read(kind, upload)
    parsed = csv_read(content, kind=kind)
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            original_filename=name,
            total_rows=len(parsed.rows),
            created_by=actor_of(acting_user),
        )
        _job_stored(job, content)
        enqueue_on_commit(import_run_task, job.pk)
    return job


def import_upload(*, kind: str, upload: File, acting_user: User | None) -> ImportJob:
    """Keep a file uploaded on the imports page, checked as a whole (size, encoding, CSV, at
    least one row), with the field each column is recognised as. Nothing is queued: the job
    waits for its columns to be confirmed (import_confirm) or is discarded (import_discard)."""
    content, name = _upload_read(kind, upload)
    read = csv_records(content)
    with transaction.atomic(durable=True):
        job = ImportJob(
            kind=kind,
            state=ImportState.UPLOADED,
            original_filename=name,
            total_rows=len(read.records),
            mapping=columns_recognise(read.header, kind=kind),
            created_by=actor_of(acting_user),
        )
        _job_stored(job, content)
        audit_record(
            "import.upload", acting_user=acting_user, obj=job, file=name, rows=job.total_rows
        )
    return job


def import_header(job: ImportJob, *, rows: int = 1) -> CsvRecords:
    """The header of a job's stored file and its first `rows` rows."""
    with job.file.open("rb") as stored:
        return csv_records(stored.read(), limit=rows)


_GONE = ServiceError(
    "This upload was confirmed or discarded meanwhile.",
    fields={"state": ["Not waiting for its columns."]},
)


def _still_uploaded(job: ImportJob) -> None:
    if job.state != ImportState.UPLOADED:
        raise ServiceError(
            "The columns of this upload were confirmed already (its import: "
            f"{job.get_state_display().lower()}): they cannot change, nor the upload be discarded.",
            fields={"state": ["Not waiting for its columns."]},
        )


def import_confirm(
    *, job: ImportJob, mapping: Sequence[str], on_row_errors: str, acting_user: User | None
) -> ImportJob:
    """Queue an uploaded file's import, each column read as the field `mapping` gives it by
    position ("" leaves it out): checked (mapping_check) before anything changes."""
    from tenant_apps.donations.tasks import import_run as import_run_task

    _still_uploaded(job)
    if on_row_errors not in RowErrorHandling.values:
        raise ServiceError(
            "Choose what happens to rows with errors.",
            fields={"on_row_errors": ["Not one of the choices."]},
        )
    header = import_header(job).header
    mapping_check(header=header, mapping=mapping, kind=job.kind)
    with transaction.atomic(durable=True):
        queued = ImportJob.objects.filter(pk=job.pk, state=ImportState.UPLOADED).update(
            state=ImportState.QUEUED, mapping=list(mapping), on_row_errors=on_row_errors
        )
        if not queued:  # confirmed or discarded meanwhile (a second click, another tab)
            raise _GONE
        job.state, job.mapping, job.on_row_errors = ImportState.QUEUED, list(mapping), on_row_errors
        audit_record(
            "import.confirm",
            acting_user=acting_user,
            obj=job,
            columns=[[name, field] for name, field in zip(header, mapping, strict=True) if field],
            on_row_errors=on_row_errors,
        )
        enqueue_on_commit(import_run_task, job.pk)
    return job


def import_discard(*, job: ImportJob, acting_user: User | None) -> None:
    """Discard an upload whose columns were not confirmed: the job and its stored file go."""
    _still_uploaded(job)
    stored = job.file.name or ""
    storage = job.file.storage
    with transaction.atomic(durable=True):
        deleted, _ = ImportJob.objects.filter(pk=job.pk, state=ImportState.UPLOADED).delete()
        if not deleted:
            raise _GONE
        audit_record("import.discard", acting_user=acting_user, obj=job, file=job.original_filename)
        if stored:
            transaction.on_commit(lambda: storage.delete(stored))


def _job_fail(job: ImportJob, *, errors: list[RowError], message: str) -> None:
    job.state = ImportState.FAILED
    job.rows_created = 0
    job.duplicates, job.duplicate_count = [], 0
    job.errors = sorted(errors, key=lambda error: error["row"])
    job.error_count = len(errors)
    job.rows_with_errors = len({error["row"] for error in errors})
    job.message = message[:500]
    job.finished_at = timezone.now()
    job.save()


def _errors_named_as_in_file(
    errors: list[RowError], *, job: ImportJob, content: bytes
) -> list[RowError]:
    """The errors of a file read through a mapping, each column named as the file's header names
    it (or, for a field no column is read as, in words)."""
    header = csv_records(content, limit=1).header
    in_file = {name: column_title(header, position) for position, name in enumerate(job.mapping)}
    words = FIELD_LABELS[job.kind]
    return [
        {**error, "column": in_file.get(error["column"]) or words.get(error["column"], "")}
        if error["column"]
        else error
        for error in errors
    ]


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
            content = stored.read()
        parsed = csv_read(content, kind=job.kind, mapping=job.mapping or None)
        job.total_rows = len(parsed.rows)
        if job.kind == ImportKind.DONORS:
            donor_plan = donors_validate(parsed, progress=reporter.publish)
            errors, rows = donor_plan.errors, len(donor_plan.prepared)
        else:
            gift_plan = gifts_validate(parsed, progress=reporter.publish)
            errors, rows = gift_plan.errors, len(gift_plan.gifts)
        job.rows_processed = job.total_rows
        if job.mapping:
            errors = _errors_named_as_in_file(errors, job=job, content=content)
        rows_with_errors = len({error["row"] for error in errors})
        if errors and (job.on_row_errors == RowErrorHandling.IMPORT_NOTHING or not rows):
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
            # Rows left out, when the person who confirmed the file chose to import the others.
            job.errors = sorted(errors, key=lambda error: error["row"])
            job.error_count, job.rows_with_errors = len(errors), rows_with_errors
            job.duplicates = duplicates
            job.duplicate_count = len(duplicates)
            job.finished_at = timezone.now()
            job.save()
            left_out = {"rows_left_out": rows_with_errors} if rows_with_errors else {}
            audit_record(
                f"{'donor' if job.kind == ImportKind.DONORS else 'gift'}.import",
                acting_user=job.created_by,
                obj=job,
                file=job.original_filename,
                rows=rows,
                **left_out,
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
