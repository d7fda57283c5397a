"""A service's writes all or none, with a savepoint of their own only where one can matter.

A service that writes several rows wraps them in transaction.atomic(): called inside its
caller's transaction, that is a savepoint, so that a caller catching the service's refusal can
go on with what it wrote before. A block that never goes on after a failure inside it (a batch
that is undone whole and then applied another way) has no use for those savepoints: two
statements each (SAVEPOINT, RELEASE), for every service it calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.transaction import Atomic

_undone_whole: ContextVar[bool] = ContextVar("undone_whole", default=False)


@contextmanager
def undone_whole() -> Iterator[None]:
    """transaction.atomic() for a block that is undone whole by any failure inside it, and in
    which nothing catches a failure and goes on: the all_or_none() blocks of the services it
    calls make no savepoint of their own (a failure in one marks the block for rollback)."""
    with transaction.atomic():
        token = _undone_whole.set(True)
        try:
            yield
        finally:
            _undone_whole.reset(token)


def all_or_none() -> Atomic:
    """transaction.atomic() for a service's writes: a savepoint when called inside a
    transaction, so that the caller may go on after the service's refusal, except inside an
    undone_whole() block, whose failure undoes everything anyway."""
    return transaction.atomic(savepoint=not _undone_whole.get())
