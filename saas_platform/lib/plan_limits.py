"""What a plan limits, and the seam between the apps that add such things and billing, which
knows the plans.

Donors and users add what plans limit (donors, staff users) but sit below billing in the import
order, and billing must not import tenant apps' models. So both sides register here when Django
starts: each owning app its counter (`plan_counter_register` in its AppConfig.ready), billing
its check (`plan_guard_register`). An app adding something calls `plan_limit_check`; billing's
pages read counts with `plan_count`. With no check registered nothing is limited.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

from saas_platform.lib.errors import StateConflict

Counter = Callable[[], int]


class PlanLimit(StrEnum):
    DONORS = "donors"
    STAFF_USERS = "staff users"


class PlanLimitReached(StateConflict):
    """Adding this would take the organization past what its plan allows."""

    code = "plan_limit"


class Guard(Protocol):
    def __call__(self, *, limit: PlanLimit, adding: int, count: Counter) -> None: ...


class MaximumReader(Protocol):
    def __call__(self, *, limit: PlanLimit) -> int | None: ...


_counters: dict[PlanLimit, Counter] = {}
_guard: list[Guard] = []
_maximum: list[MaximumReader] = []


def plan_counter_register(*, limit: PlanLimit, counter: Counter) -> None:
    """`counter()` counts what `limit` limits in the current tenant's schema."""
    _counters[limit] = counter


def plan_guard_register(guard: Guard) -> None:
    """The check every addition goes through (billing's); registering again replaces it."""
    _guard[:] = [guard]


def plan_maximum_register(reader: MaximumReader) -> None:
    """What the current tenant's plan allows of a limit (billing's); registering again replaces
    it."""
    _maximum[:] = [reader]


def plan_maximum(*, limit: PlanLimit) -> int | None:
    """How many of `limit` the current tenant's plan allows; None: no limit (or none known)."""
    for reader in _maximum:
        return reader(limit=limit)
    return None


def plan_count(*, limit: PlanLimit) -> int:
    return _counters[limit]()


def plan_limit_check(*, limit: PlanLimit, adding: int) -> None:
    """Refuse (PlanLimitReached) to add `adding` more of `limit` past the tenant's plan. Call it
    inside the transaction that adds them (the check locks, see billing.limits)."""
    for guard in _guard:
        guard(limit=limit, adding=adding, count=_counters[limit])
