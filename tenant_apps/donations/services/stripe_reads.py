"""Stripe's answers for the Connect event being applied, read before its transaction opens.

Applying an event locks its stored row, and often a gift or a payout, until it commits; a read
from Stripe inside that transaction would keep the locks (and, behind a pooler in transaction
mode, a server connection) for as long as Stripe takes to answer, seconds when it is slow. So
`connect_event_apply` first reads what the event will need, with no transaction open, inside
`stripe_reads_kept()`; the application then finds each answer kept under its key and asks Stripe
only for what was not read ahead (a read that failed ahead is tried again there, and its
failure reported as it always was). Outside `stripe_reads_kept()` every read goes to Stripe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_kept: ContextVar[dict[tuple[str, ...], Any] | None] = ContextVar("stripe_reads", default=None)


@contextmanager
def stripe_reads_kept() -> Iterator[None]:
    """Keep Stripe's answers read inside the block, for the rest of the block."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def stripe_read[Answer](key: tuple[str, ...], read: Callable[[], Answer]) -> Answer:
    """The answer kept under `key`, else `read()` (kept when inside stripe_reads_kept). A read
    that raises keeps nothing."""
    kept = _kept.get()
    if kept is not None and key in kept:
        answer: Answer = kept[key]
        return answer
    answer = read()
    if kept is not None:
        kept[key] = answer
    return answer


def stripe_answer_keep(key: tuple[str, ...], answer: Any) -> None:
    """Keep `answer` under `key`, as if read there, for the rest of the stripe_reads_kept()
    block (an answer found in a list read for several keys); outside one, nothing is kept."""
    kept = _kept.get()
    if kept is not None:
        kept[key] = answer
