"""Readiness: what /readyz and the console's health page report beyond liveness. Every check
is cheap (a query or a Redis read each) so that a probe every few seconds costs nothing.

- migrations: the public schema records every migration of the code (a deploy that has not
  run `migrate_schemas` yet serves code ahead of its tables). Critical.
- template: the template schema new tenants are cloned from is at the code's migrations.
- spares: `PROVISIONING_SPARE_SCHEMAS` clones of the current template are ready.
- worker, beat: their heartbeats in Redis are recent (saas_platform.worker_operations).
- giving: no Stripe Connect event (online gifts, refunds, payouts) has waited longer than
  HEALTH_GIVING_MAX_WAIT_SECONDS to be applied, and none needs an operator's attention (charged
  at Stripe, not in the books until queued again from the admin's Connect events).

Only a failed critical check answers 503; the others say `degraded`, so that a stopped worker
shows on the operators' dashboards without taking every web process out of the load balancer.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from provisioning.spares import spares_usable, spares_wanted
from provisioning.template import migrations_missing, template_schema_name, template_state
from saas_platform.lib.health import CheckResult, HealthReport, heartbeat_check, liveness_checks
from shared_apps.billing.services.connect_events import ConnectBacklog, connect_events_backlog


def readiness_report(*, for_operators: bool = False) -> HealthReport:
    """Every check, as /readyz answers anyone on any host; `for_operators` (the console) adds
    what only operators may read: which organizations' events need attention."""
    checks = liveness_checks()
    database_up, redis_up = (check.ok for check in checks)
    if database_up:
        template, key = template_state()
        checks += [_migrations_check(), _template_check(template), _spares_check(key)]
    else:
        checks += [
            CheckResult(name, label, "unknown", "The database does not answer.", critical)
            for name, label, critical in (
                ("migrations", "Migrations", True),
                ("template", "Template schema", False),
                ("spares", "Spare schemas", False),
            )
        ]
    checks += [
        heartbeat_check(
            "worker",
            label="Celery worker",
            max_age_seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS,
            redis_up=redis_up,
            what="worker",
        ),
        heartbeat_check(
            "beat",
            label="Celery beat",
            max_age_seconds=settings.HEALTH_BEAT_MAX_AGE_SECONDS,
            redis_up=redis_up,
            what="beat schedule",
        ),
    ]
    checks.append(
        giving_check(connect_events_backlog(), name_organizations=for_operators)
        if database_up
        else CheckResult(
            "giving", "Online giving events", "unknown", "The database does not answer.", False
        )
    )
    return HealthReport(checks=checks)


def spares_ready(template_key: str | None) -> int:
    return spares_usable(template_key).count()


def _migrations_check() -> CheckResult:
    missing = migrations_missing("public")
    if missing:
        detail = f"{missing} migration(s) not applied: run manage.py migrate_schemas."
        return CheckResult("migrations", "Migrations", "stale", detail, critical=True)
    detail = "Every migration of the code is applied."
    return CheckResult("migrations", "Migrations", "ok", detail, critical=True)


def _template_check(state: str) -> CheckResult:
    name = template_schema_name()
    if state == "ready":
        detail = f"{name} is at the code's migrations."
        return CheckResult("template", "Template schema", "ok", detail, critical=False)
    detail = (
        f"{name} is {state}: new tenants are migrated from nothing (seconds) until "
        "manage.py provisioning_template_refresh runs."
    )
    return CheckResult("template", "Template schema", "stale", detail, critical=False)


def _spares_check(template_key: str | None) -> CheckResult:
    wanted = spares_wanted()
    ready = spares_ready(template_key)
    if wanted == 0:
        return CheckResult("spares", "Spare schemas", "ok", "None wanted.", critical=False)
    detail = f"{ready} of {wanted} ready."
    if ready >= wanted:
        return CheckResult("spares", "Spare schemas", "ok", detail, critical=False)
    detail += " Signups clone the template until the worker makes more."
    return CheckResult("spares", "Spare schemas", "low", detail, critical=False)


def waited_seconds(backlog: ConnectBacklog) -> float:
    """How long the oldest waiting event has waited; 0 when none waits."""
    if backlog.oldest_received_at is None:
        return 0.0
    return max(0.0, (timezone.now() - backlog.oldest_received_at).total_seconds())


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


# Organizations named in the giving check's detail; the admin's list has every one.
ATTENTION_ORGANIZATIONS_NAMED = 5


def giving_check(backlog: ConnectBacklog, *, name_organizations: bool = False) -> CheckResult:
    """The giving check; the organizations whose events need attention are named only with
    `name_organizations` (/readyz answers anyone, on every organization's host)."""
    waited = waited_seconds(backlog)
    waiting = (
        f"{backlog.waiting} waiting, the oldest for {_duration(waited)}."
        if backlog.waiting
        else "None waiting."
    )
    if backlog.needing_attention:
        count = backlog.needing_attention
        shown = backlog.attention_organizations[:ATTENTION_ORGANIZATIONS_NAMED]
        more = len(backlog.attention_organizations) - len(shown)
        whose = (
            " (" + ", ".join(shown) + (f" and {more} more" if more else "") + ")"
            if name_organizations and shown
            else ""
        )
        detail = (
            f"{count} event{'s' if count != 1 else ''} charged at Stripe not in the books"
            f"{whose}: in the admin's Connect events, deal with the cause, then Apply again. "
            + waiting
        )
        return CheckResult("giving", "Online giving events", "attention", detail, critical=False)
    if waited > settings.HEALTH_GIVING_MAX_WAIT_SECONDS:
        detail = f"{waiting} Is the worker running and keeping up?"
        return CheckResult("giving", "Online giving events", "stale", detail, critical=False)
    return CheckResult("giving", "Online giving events", "ok", waiting, critical=False)
