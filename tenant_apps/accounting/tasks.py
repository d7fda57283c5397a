"""Background work of accounting. Tasks take plain values, run in the schema of the tenant that
queued them, and call a service."""

from __future__ import annotations

from datetime import date

from celery import shared_task


@shared_task
def board_packet_build(token: str, start: str, end: str, compare: str | None) -> str:
    """Draw a long range's board packet (see services.board_packets). Not retried: a failure is
    recorded in the run's progress for the page to show."""
    # Imported when the task runs: the services import this module to queue it.
    from tenant_apps.accounting.services.board_packets import board_packet_build as build

    progress = build(
        token=token, start=date.fromisoformat(start), end=date.fromisoformat(end), compare=compare
    )
    return progress["state"]
