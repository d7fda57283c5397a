"""Writes to the donor database, one module per domain object: donors and their contacts and
notes (donors), households, tags, follow-up tasks (tasks), the merge of a duplicate (merges),
and the bulk import of a CSV file (imports), with the checks they share (checks).

Each top-level service owns its transaction and writes its audit row (core's AuditEvent: one
audit log per organization) in it. They raise ServiceError, with nothing written, for input
or state they refuse.

This package is the donors app's interface to the rest of the project: it names what other
apps, provisioning and the top-level tests use. The app's own code imports from the modules.
"""

from tenant_apps.donors.services.checks import AddressSpec, DonorNames, EmailSpec, PhoneSpec
from tenant_apps.donors.services.donors import donor_create, donor_note_add, donor_update
from tenant_apps.donors.services.households import household_add, household_create
from tenant_apps.donors.services.imports import (
    DONOR_CSV_COLUMNS,
    TAG_SEPARATOR,
    DonorImportSpec,
    DonorPrepared,
    donor_import_check,
    donors_bulk_create,
    donors_create,
)
from tenant_apps.donors.services.merges import MergeResult, donor_merge, merge_step_register
from tenant_apps.donors.services.tasks import (
    task_complete,
    task_create,
    task_reopen,
    task_update,
)

__all__ = [
    "AddressSpec",
    "DONOR_CSV_COLUMNS",
    "DonorImportSpec",
    "DonorNames",
    "DonorPrepared",
    "EmailSpec",
    "MergeResult",
    "PhoneSpec",
    "TAG_SEPARATOR",
    "donor_create",
    "donor_update",
    "donor_import_check",
    "donor_merge",
    "donor_note_add",
    "donors_bulk_create",
    "donors_create",
    "household_add",
    "household_create",
    "merge_step_register",
    "task_complete",
    "task_create",
    "task_reopen",
    "task_update",
]
