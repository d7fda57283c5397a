"""The receipt settings: what receipts say about the organization (legal name, EIN, address,
signatory, a closing paragraph), whether every gift is receipted, and the gapless receipt
counter."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from django.db import transaction

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import text_check
from saas_platform.lib.singletons import singleton_read
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.tenants.models import Organization
from tenant_apps.core.services import audit_record
from tenant_apps.donations.models import EIN_PATTERN, ReceiptSettings
from tenant_apps.donations.services.checks import changes_check
from tenant_apps.donations.tasks import receipts_catch_up as receipts_catch_up_task

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = {
    "legal_name": 200,
    "ein": 10,
    "address": 1000,
    "signatory_name": 200,
    "signatory_title": 200,
    "footer": 1000,
}


def organization_name() -> str:
    """The organization's name, read by value from the public schema (no foreign key from a
    tenant table to a public one). A task or schema_context sets a tenant without a name."""
    name = getattr(connection.tenant, "name", None)
    if name:
        return str(name)
    return (
        Organization.objects.filter(schema_name=connection.schema_name)
        .values_list("name", flat=True)
        .first()
        or ""
    )


def receipt_settings() -> ReceiptSettings:
    """The receipt settings, made on first use with the organization's name as legal name."""
    settings_row = singleton_read(ReceiptSettings)
    if settings_row is None:
        settings_row, _ = ReceiptSettings.objects.get_or_create(
            pk=1, defaults={"legal_name": organization_name()[:200]}
        )
    return settings_row


def receipt_settings_update(*, acting_user: User | None, **changes: Any) -> ReceiptSettings:
    """Change what receipts say about the organization. The counter is not among them: it
    moves only by issuing. Settings made complete again (an EIN set after it was cleared) catch
    up, after commit, on the receipts that refunds and voids could not correct meanwhile."""
    changes_check(changes, {*SETTINGS_FIELDS, "receipt_every_gift"}, of="the receipt settings")
    for field, limit in SETTINGS_FIELDS.items():
        if field in changes:
            value = changes[field] or ""
            if field == "address":
                value = "\n".join(line.strip() for line in value.splitlines() if line.strip())
            changes[field] = text_check(value, field=field, max_length=limit)
    if changes.get("ein") and not re.match(EIN_PATTERN, changes["ein"]):
        raise ServiceError(
            "An EIN is written NN-NNNNNNN (two digits, a dash, seven digits).",
            fields={"ein": ["Write it NN-NNNNNNN."]},
        )
    receipt_settings()
    with transaction.atomic():
        settings_row = ReceiptSettings.objects.select_for_update().get(pk=1)
        lacked = receipt_settings_missing(settings_row)
        for field, value in changes.items():
            setattr(settings_row, field, bool(value) if field == "receipt_every_gift" else value)
        settings_row.save()
        if lacked and not receipt_settings_missing(settings_row):
            enqueue_on_commit(receipts_catch_up_task)
        audit_record(
            "receipt_settings.update",
            acting_user=acting_user,
            obj=settings_row,
            changed=sorted(changes),
        )
    return settings_row


def receipt_settings_missing(settings_row: ReceiptSettings) -> dict[str, list[str]]:
    """What a receipt cannot go out without (Publication 1771 asks for both)."""
    missing = {}
    if not settings_row.legal_name:
        missing["legal_name"] = ["Required on every receipt."]
    if not settings_row.ein:
        missing["ein"] = ["Required on every receipt."]
    return missing


def receipt_settings_lacking() -> dict[str, list[str]]:
    """What the settings lack now for a receipt to go out (nothing: receipts can be issued)."""
    settings_row = singleton_read(ReceiptSettings)
    # Not made yet: it would be made with no EIN.
    if settings_row is None:
        return {"ein": ["Required on every receipt."]}
    return receipt_settings_missing(settings_row)


def receipts_issuable() -> bool:
    """Whether receipts can be issued now: the settings have what a receipt cannot go out
    without. A gift posted while they lack it is not queued for its receipt (the task would
    find the same and issue none); the log says so."""
    missing = receipt_settings_lacking()
    if missing:
        logger.info(
            "Gifts posted are not receipted: the receipt settings lack %s",
            " and ".join(sorted(missing)),
        )
    return not missing


def receipt_settings_locked() -> ReceiptSettings:
    """The settings row, locked: issuing is serialized on it, which keeps the numbering gapless
    and makes the "already receipted" checks below race-free."""
    receipt_settings()
    settings_row = ReceiptSettings.objects.select_for_update().get(pk=1)
    missing = receipt_settings_missing(settings_row)
    if missing:
        raise ServiceError(
            "Receipts cannot be issued until the organization's "
            + " and ".join("legal name" if name == "legal_name" else "EIN" for name in missing)
            + (" are" if len(missing) > 1 else " is")
            + " set in the receipt settings.",
            fields=missing,
        )
    return settings_row
