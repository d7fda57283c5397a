"""Error tracking with Sentry: web requests and Celery tasks report their exceptions, tagged with
the tenant's schema, the request id and the user id, and stripped of personal data.

Off unless `SENTRY_DSN` is set. What leaves the process is decided here, not by the SDK's
defaults: `data_collection` turns off user details, cookies, bodies, query strings, SQL
parameters, task arguments and local variables,
and every event (errors and transactions) passes through `event_scrub` before it is sent. The
scrubber keeps what a developer needs to find the defect (the exception's type and stack, the
route, the ids) and removes what would identify a donor, a staff member or an operator: request
bodies, cookies, query strings, headers other than a short allow list, user fields other than
the id, breadcrumbs' data, log arguments, task arguments, and any email address or value that
PostgreSQL quotes in an error's detail (`Key (email)=(ada@example.org) already exists`),
wherever they appear in the event's text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sentry_sdk
from django.db import connection
from django.utils.functional import SimpleLazyObject, empty
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from saas_platform.lib.request_context import request_id_var, request_var

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

FILTERED = "[Filtered]"
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# PostgreSQL's DETAIL quotes the offending values: `Key (email)=(ada@example.org)`, `Failing
# row contains (12, Ada, Lovelace, ...)`. Column names stay; the values go.
_POSTGRES_KEY_VALUES = re.compile(r"(\([^()\n]*\))=\(.*\)")
_POSTGRES_FAILING_ROW = re.compile(r"Failing row contains \(.*\)", re.S)
# ... and a value it could not read: `invalid input syntax for type integer: "Ada Lovelace"`.
_POSTGRES_INPUT_VALUE = re.compile(r'(invalid input (?:syntax|value) for [^:\n]*: )".*"')
# ... and the statement's line where the error is, which holds its literals, with its caret.
_POSTGRES_STATEMENT_LINE = re.compile(r"^LINE \d+: .*(\n *\^)?", re.M)
# Request headers that say nothing about who sent the request.
_HEADERS_KEPT = frozenset(
    {"host", "user-agent", "accept", "content-type", "content-length", "x-request-id"}
)
# Keys of Sentry's event whose content is personal by nature and is never sent.
_REQUEST_KEYS_DROPPED = ("data", "cookies", "query_string", "env")


def error_tracking_init(
    *, dsn: str, environment: str, release: str, traces_sample_rate: float
) -> bool:
    """Start the Sentry client for Django and Celery; False (nothing started) without a DSN."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=traces_sample_rate,
        # Collect no personal data in the first place; event_scrub then removes what slips in.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(_HEADERS_KEPT)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        before_send=event_scrub,
        before_send_transaction=event_scrub,
        before_breadcrumb=breadcrumb_scrub,
    )
    return True


def event_scrub(event: Event, hint: Hint | None) -> Event:
    """Tag the event with its context, then remove personal data from it (see the module)."""
    tags = event.setdefault("tags", {})
    for name, value in event_tags().items():
        if value is not None:
            tags.setdefault(name, value)
    user_id = tags.get("user_id")
    event["user"] = {"id": str(user_id)} if user_id is not None else {}
    _request_scrub(event)
    _frames_scrub(event)
    _breadcrumbs_scrub(event)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
    extra = event.get("extra")
    if isinstance(extra, dict):
        celery_job = extra.get("celery-job")
        if isinstance(celery_job, dict):
            extra["celery-job"] = {"task_name": celery_job.get("task_name")}
        extra.pop("sys.argv", None)
    # Last, over everything left: any email address or quoted database value in any text.
    scrubbed: Event = _text_scrub(event)
    return scrubbed


def breadcrumb_scrub(crumb: dict[str, Any], hint: dict[str, Any] | None) -> dict[str, Any]:
    """A breadcrumb keeps its category, level and message, never its data (SQL parameters,
    HTTP bodies, log arguments)."""
    crumb.pop("data", None)
    message = crumb.get("message")
    if isinstance(message, str):
        crumb["message"] = text_scrub(message)
    return crumb


def event_tags() -> dict[str, str | None]:
    """The schema, request id and user id of the work in progress (a request or a task)."""
    request_id = request_id_var.get()
    return {
        "tenant_schema": getattr(connection, "schema_name", None),
        "request_id": None if request_id == "-" else request_id,
        "user_id": _request_user_id(),
    }


def text_scrub(text: str) -> str:
    text = _EMAIL.sub(FILTERED, text)
    text = _POSTGRES_KEY_VALUES.sub(rf"\1=({FILTERED})", text)
    text = _POSTGRES_STATEMENT_LINE.sub(f"LINE: {FILTERED}", text)
    text = _POSTGRES_INPUT_VALUE.sub(rf'\1"{FILTERED}"', text)
    return _POSTGRES_FAILING_ROW.sub(f"Failing row contains ({FILTERED})", text)


def _request_user_id() -> str | None:
    """The id of the user of the request in progress, read without a query: Django's lazy
    user only once something evaluated it, DRF's authenticated user as DRF set it."""
    request = request_var.get()
    if request is None:
        return None
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        # Evaluating it here would query the session during error reporting, perhaps with the
        # database gone; a user nobody looked at is not worth it.
        wrapped = user._wrapped  # the only way to know without evaluating it
        user = None if wrapped is empty else wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


def _request_scrub(event: Event) -> None:
    request = event.get("request")
    if not isinstance(request, dict):
        return
    for key in _REQUEST_KEYS_DROPPED:
        request.pop(key, None)
    url = request.get("url")
    if isinstance(url, str):
        request["url"] = url.split("?", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: value for name, value in headers.items() if name.lower() in _HEADERS_KEPT
        }


def _frames(event: Event) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    for section in ("exception", "threads"):
        container = event.get(section)
        values = container.get("values") if isinstance(container, dict) else None
        for value in values or []:
            stacktrace = value.get("stacktrace") if isinstance(value, dict) else None
            if isinstance(stacktrace, dict):
                frames.extend(stacktrace.get("frames") or [])
    return frames


def _frames_scrub(event: Event) -> None:
    for frame in _frames(event):
        frame.pop("vars", None)


def _breadcrumbs_scrub(event: Event) -> None:
    breadcrumbs: Any = event.get("breadcrumbs")  # a dict of values, or a list in older events
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in values if isinstance(values, list) else []:
        if isinstance(crumb, dict):
            breadcrumb_scrub(crumb, None)


def _text_scrub(value: Any) -> Any:
    if isinstance(value, str):
        return text_scrub(value)
    if isinstance(value, dict):
        return {key: _text_scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_text_scrub(item) for item in value]
    return value
