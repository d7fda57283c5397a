"""What operators' machines read: /readyz (readiness, on every host) and /metrics (Prometheus,
on the platform's own host, with a bearer token)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from provisioning.health import readiness_report, spares_ready, waited_seconds
from provisioning.spares import spares_wanted
from provisioning.template import migrations_missing, template_state
from saas_platform.lib.metrics import metrics_exposition
from shared_apps.billing.services.connect_events import connect_events_backlog


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 503 when a critical check fails (database, Redis, migrations), else 200 with
    `ok` or `degraded` and every check's state (provisioning.health)."""
    report = readiness_report()
    return JsonResponse(report.as_json(), status=report.http_status)


def _scraper_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for a scraper that sends `Authorization: Bearer METRICS_TOKEN`.
    Without METRICS_TOKEN the endpoint does not exist (404); a wrong token gets 404 as well,
    which tells a scanner nothing."""
    if not _scraper_allowed(request):
        raise Http404("No such page.")
    state, key = template_state()
    giving = connect_events_backlog()
    gauges = {
        "ifm_spare_schemas_ready": ("Spare schemas of the current template.", spares_ready(key)),
        "ifm_spare_schemas_wanted": ("PROVISIONING_SPARE_SCHEMAS.", spares_wanted()),
        "ifm_template_ready": ("1: the template is at the code's migrations.", state == "ready"),
        "ifm_migrations_missing": (
            "Migrations the public schema lacks.",
            migrations_missing("public"),
        ),
        "ifm_connect_events_waiting": (
            "Stripe Connect events waiting to be applied (new, or failed and to be retried).",
            giving.waiting,
        ),
        "ifm_connect_events_oldest_waiting_seconds": (
            "How long the oldest waiting Stripe Connect event has waited; 0 when none waits.",
            waited_seconds(giving),
        ),
        "ifm_connect_events_needing_attention": (
            "Stripe Connect events charged at Stripe and not in the books until queued again.",
            giving.needing_attention,
        ),
    }
    body = metrics_exposition({name: (doc, float(value)) for name, (doc, value) in gauges.items()})
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
