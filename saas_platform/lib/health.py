"""Health: GET /healthz on every host (is the database answering, is Redis answering), the
heartbeats the worker and beat leave in Redis, and the report shape /readyz and the console share.

/healthz is the liveness probe and stays cheap: one `SELECT 1` and one PING, whatever the
routing cache holds. Readiness adds checks that need other apps (provisioning.health).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import redis
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from saas_platform.lib.redis_pool import redis_client

logger = logging.getLogger(__name__)

# ok: fine. down: not answering or broken. stale: a heartbeat or a copy that is too old.
# low: fewer than wanted. unknown: not checked, because what it depends on is down.
CheckState = Literal["ok", "down", "stale", "low", "attention", "unknown"]
HEARTBEAT_KEY = "ifm:heartbeat:{name}"


@dataclass(frozen=True)
class CheckResult:
    """One check of a health report. A critical check that fails makes the report
    `unavailable` (503: take this process out of the load balancer); any other failure makes it
    `degraded` (200: serve, and tell an operator)."""

    name: str
    label: str
    state: CheckState
    detail: str
    critical: bool

    @property
    def ok(self) -> bool:
        return self.state == "ok"


@dataclass(frozen=True)
class HealthReport:
    checks: list[CheckResult]

    @property
    def status(self) -> Literal["ok", "degraded", "unavailable"]:
        if any(check.critical and not check.ok for check in self.checks):
            return "unavailable"
        return "ok" if all(check.ok for check in self.checks) else "degraded"

    @property
    def http_status(self) -> int:
        return 503 if self.status == "unavailable" else 200

    def as_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "checks": {check.name: check.state for check in self.checks},
            "details": {check.name: check.detail for check in self.checks},
        }


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means unhealthy; the reason goes to the log
        logger.exception("health check: database unreachable")
        return False


def _redis_ok() -> bool:
    try:
        return bool(redis_client().ping())
    except Exception:
        logger.exception("health check: redis unreachable")
        return False


def liveness_checks() -> list[CheckResult]:
    database = _database_ok()
    redis_up = _redis_ok()
    return [
        CheckResult(
            name="database",
            label="Database",
            state="ok" if database else "down",
            detail="PostgreSQL answers." if database else "PostgreSQL does not answer.",
            critical=True,
        ),
        CheckResult(
            name="redis",
            label="Redis",
            state="ok" if redis_up else "down",
            detail="Redis answers." if redis_up else "Redis does not answer.",
            critical=True,
        ),
    ]


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = liveness_checks()
    healthy = all(check.ok for check in checks)
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": {check.name: "ok" if check.ok else "down" for check in checks},
        },
        status=200 if healthy else 503,
    )


# --- Heartbeats --------------------------------------------------------------------------


def heartbeat_record(name: str) -> None:
    """Record that `name` (the worker, beat) is alive now. Never raises: a heartbeat that cannot
    be written shows as stale, which is the truth."""
    try:
        redis_client().set(HEARTBEAT_KEY.format(name=name), f"{time.time():.3f}", ex=86400)
    except redis.RedisError:
        logger.warning("heartbeat of %s not recorded: redis unreachable", name)


def heartbeat_age(name: str) -> float | None:
    """Seconds since `name` last recorded a heartbeat; None when it never did (in a day)."""
    value = redis_client().get(HEARTBEAT_KEY.format(name=name))
    if value is None:
        return None
    return max(0.0, time.time() - float(value))


def heartbeat_check(
    name: str, *, label: str, max_age_seconds: int, redis_up: bool, what: str
) -> CheckResult:
    """A non-critical check: a dead worker or beat must not take the web out of service."""
    if not redis_up:
        return CheckResult(name, label, "unknown", "Redis does not answer.", critical=False)
    age = heartbeat_age(name)
    if age is None:
        return CheckResult(name, label, "down", f"No {what} has reported.", critical=False)
    if age > max_age_seconds:
        detail = f"The {what} last reported {age:.0f} s ago (more than {max_age_seconds} s)."
        return CheckResult(name, label, "stale", detail, critical=False)
    return CheckResult(name, label, "ok", f"The {what} reported {age:.0f} s ago.", critical=False)
