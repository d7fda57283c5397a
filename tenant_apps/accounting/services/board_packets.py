"""The board packet (see accounting/board_packet.py) for a long range, made in the background:
a run is named by a token; its progress and, once done, the path of its PDF in the tenant's
storage are kept in the cache for a day, as the year-end statements' runs are. A range of up
to a year is drawn while the bookkeeper waits (the page asks `packet_is_quick`)."""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from saas_platform.lib.connection import connection
from saas_platform.lib.errors import ServiceError
from saas_platform.lib.reports import range_check
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.tenants.models import Organization
from tenant_apps.accounting.board_packet import board_packet_render
from tenant_apps.accounting.reports import BUDGET, COMPARISONS
from tenant_apps.accounting.selectors import approved_budget_amounts
from tenant_apps.accounting.tasks import board_packet_build as board_packet_build_task
from tenant_apps.core.services import audit_record

if TYPE_CHECKING:
    from shared_apps.users.models import User

logger = logging.getLogger(__name__)

RUN_SECONDS = 24 * 60 * 60
QUICK_RANGE = timedelta(days=366)


class PacketProgress(TypedDict):
    state: str  # "queued", "running", "done" or "failed"
    start: str
    end: str
    document: str  # the PDF's path in storage, once done
    error: str


def organization_name() -> str:
    """The organization's name, read by value from the public schema (a task's tenant has
    none)."""
    name = getattr(connection.tenant, "name", None)
    if name:
        return str(name)
    return (
        Organization.objects.filter(schema_name=connection.schema_name)
        .values_list("name", flat=True)
        .first()
        or ""
    )


def packet_is_quick(start: date, end: date) -> bool:
    return end - start < QUICK_RANGE


def board_packet_pdf(*, start: date, end: date, compare: str | None = None) -> bytes:
    range_check(start, end)
    return board_packet_render(
        organization=organization_name(), start=start, end=end, compare=compare
    )


def _key(token: str) -> str:
    # The cache's key function adds the schema: one organization's run is not another's.
    return f"accounting:board-packet:{token}"


def _publish(token: str, progress: PacketProgress) -> None:
    cache.set(_key(token), progress, timeout=RUN_SECONDS)


def board_packet_progress(token: str) -> PacketProgress | None:
    return cache.get(_key(token))


def board_packet_start(
    *, start: date, end: date, compare: str | None, acting_user: User | None
) -> str:
    """Queue the packet for a period; the token names the run for its progress and its PDF.
    Beside the budget, the months are checked first: a month no approved budget plans is
    refused now rather than when the run fails."""
    range_check(start, end)
    if compare is not None and compare not in COMPARISONS:
        raise ServiceError("Not a comparison.", fields={"compare": ["Not a comparison."]})
    if compare == BUDGET:
        approved_budget_amounts(start=start, end=end)
    token = secrets.token_urlsafe(16)
    _publish(
        token,
        {
            "state": "queued",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "document": "",
            "error": "",
        },
    )
    audit_record(
        "board_packet.start",
        acting_user=acting_user,
        start=start.isoformat(),
        end=end.isoformat(),
        compare=compare or "",
    )
    enqueue_on_commit(board_packet_build_task, token, start.isoformat(), end.isoformat(), compare)
    return token


def board_packet_build(
    *, token: str, start: date, end: date, compare: str | None
) -> PacketProgress:
    """What the task does: draw the packet and store it, publishing the state; a failure is
    kept in the progress for the page to say."""
    progress: PacketProgress = {
        "state": "running",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "document": "",
        "error": "",
    }
    _publish(token, progress)
    try:
        pdf = board_packet_pdf(start=start, end=end, compare=compare)
        path = default_storage.save(f"board-packets/{token}.pdf", ContentFile(pdf))
    except ServiceError as error:
        progress["state"], progress["error"] = "failed", error.message
        _publish(token, progress)
        return progress
    except Exception:
        progress["state"], progress["error"] = "failed", "an unexpected error stopped it."
        _publish(token, progress)
        raise
    progress["state"], progress["document"] = "done", path
    _publish(token, progress)
    return progress
