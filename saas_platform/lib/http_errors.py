"""What a request gets when no view answers it: the API's one error shape under /api/, the
site's pages elsewhere, and 503 rather than 500 while the database cannot be reached.

The handlers are named by both URL maps (handler400, handler403, handler404, handler500); the
database check is TenantRoutingMiddleware's, since routing is the first thing that needs SQL.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from psycopg2.errors import QueryCanceled

from saas_platform.lib.health import healthz

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
HEALTH_PATH = "/healthz"
# Errors that say the database cannot be reached now (refused, dropped, restarting), as opposed
# to a query that is wrong: those stay 500s. Retrying later may succeed, hence 503.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
TIMED_OUT_MESSAGE = (
    "This took longer than the server allows and was stopped; nothing was changed. Ask for "
    "less at a time (a shorter period, fewer rows), or try again later."
)


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def api_error(*, status: int, code: str, message: str) -> JsonResponse:
    """The one error shape of the API (saas_platform.lib.api), for answers no API view gives."""
    return JsonResponse(
        {"error": {"status": status, "code": code, "message": message}}, status=status
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = (
            f"The request body is larger than the {limit / 1024 / 1024:.1f} MB this server "
            "accepts; send less at a time."
        )
        if is_api_path(request.path):
            return api_error(status=413, code="too_large", message=message)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    if is_api_path(request.path):
        return api_error(status=400, code="bad_request", message="The request could not be read.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path):
        return api_error(
            status=403,
            code="permission_denied",
            message="You do not have permission to perform this action.",
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_path(request.path):
        return api_error(status=404, code="not_found", message="There is nothing at this address.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        request_id = getattr(request, "request_id", "")
        return api_error(
            status=500,
            code="server_error",
            message="Something went wrong on our side and nothing was changed; it has been "
            f"logged as request {request_id}. Try again, and tell support if it happens again.",
        )
    return defaults.server_error(request)


def _timed_out(error: Exception) -> bool:
    """Whether PostgreSQL cancelled the statement for running past its statement_timeout."""
    return isinstance(error.__cause__, QueryCanceled)


def database_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    """503 while the database cannot be reached, or when a statement ran past its time limit
    (saas_platform.lib.statement_timeout): health as JSON, the API in its error shape, a short
    page elsewhere. The page needs no query (no user, no session, no organization)."""
    timed_out = _timed_out(error)
    logger.error(
        "%s: %s %s: %s",
        "statement timed out" if timed_out else "database unavailable",
        request.method,
        request.path,
        error,
    )
    if request.path == HEALTH_PATH:
        return healthz(request)
    if is_api_path(request.path):
        response: HttpResponse = api_error(
            status=503,
            code="timed_out" if timed_out else "unavailable",
            message=TIMED_OUT_MESSAGE
            if timed_out
            else "The service is briefly unavailable. Try again in a minute.",
        )
    else:
        response = HttpResponse(
            render_to_string(
                "errors/unavailable.html",
                {"retry_after": RETRY_AFTER_SECONDS, "timed_out": timed_out},
            ),
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
