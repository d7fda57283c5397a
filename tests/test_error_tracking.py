"""Error tracking: what reaches Sentry from a failing request and a failing Celery task. A local
HTTP server stands in for Sentry (the DSN's host), so the test reads the envelope the SDK really
sends: the tags are there, and no email, name, token or cookie is anywhere in its bytes."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from django_tenants.utils import schema_context

from saas_platform.lib.error_tracking import (
    FILTERED,
    breadcrumb_scrub,
    error_tracking_init,
    event_scrub,
    text_scrub,
)
from saas_platform.lib.request_context import request_id_var
from tests.plugin import Tenant

DONOR_EMAIL = "ada.lovelace@example.org"
DONOR_FIRST, DONOR_LAST = "Augusta", "Lovelacebyron"


@dataclass
class SentryReceiver:
    """What the stand-in for Sentry received: one body per envelope, decompressed."""

    port: int
    envelopes: list[bytes] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.port}/1"

    def events(self) -> list[dict[str, Any]]:
        events = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            # header, then (item header, item payload) pairs
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    events.append(json.loads(payload))
        return events


@pytest.fixture
def sentry_receiver() -> Iterator[SentryReceiver]:
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - overridden
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver = SentryReceiver(port=server.server_address[1], envelopes=received)
    assert error_tracking_init(
        dsn=receiver.dsn, environment="test", release="", traces_sample_rate=0.0
    )
    try:
        yield receiver
    finally:
        sentry_sdk.get_client().close(timeout=5)
        sentry_sdk.get_global_scope().set_client(None)
        server.shutdown()
        server.server_close()


def _received(receiver: SentryReceiver) -> tuple[bytes, list[dict[str, Any]]]:
    sentry_sdk.flush(timeout=10)
    return b"\n".join(receiver.envelopes), receiver.events()


@pytest.mark.django_db
def test_a_failing_request_reaches_sentry_tagged_and_without_personal_data(
    alpha: Tenant, sentry_receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connection

    from tenant_apps.donors.api import views

    def donor_create_failing(*, names: Any, **kwargs: Any) -> Any:
        # A real database error whose message quotes the donor's name.
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::integer", [f"{names.first_name} {names.last_name}"])
        raise AssertionError("unreachable")

    monkeypatch.setattr(views, "donor_create", donor_create_failing)
    client = alpha.api(alpha.owner)
    client.raise_request_exception = False
    client.cookies["sessionid"] = "session-secret-4242"
    token = alpha.access_token(alpha.owner)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.post(
        "/api/v1/donors/donors/?q=ada.lovelace%40example.org",
        {
            "kind": "individual",
            "first_name": DONOR_FIRST,
            "last_name": DONOR_LAST,
            "emails": [{"email": DONOR_EMAIL}],
            "phones": [{"number": "(555) 867-5309"}],
        },
        HTTP_X_REQUEST_ID="request-sentry-0001",
    )

    assert response.status_code == 500
    raw, events = _received(sentry_receiver)
    [event] = [event for event in events if event.get("exception")]
    assert event["tags"]["tenant_schema"] == "alpha"
    assert event["tags"]["request_id"] == "request-sentry-0001"
    assert event["tags"]["user_id"] == str(alpha.owner.pk)
    assert event["user"] == {"id": str(alpha.owner.pk)}
    assert event["exception"]["values"][-1]["type"] == "DataError"
    assert "invalid input syntax for type integer" in event["exception"]["values"][-1]["value"]
    for secret in (DONOR_EMAIL, "ada.lovelace", DONOR_FIRST, DONOR_LAST, "867-5309",
                   alpha.owner.email, "session-secret-4242", token):  # fmt: skip
        assert secret.encode() not in raw, secret


@pytest.mark.django_db
def test_a_failing_page_names_the_signed_in_user_by_id_only(
    alpha: Tenant, sentry_receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from saas_platform import views

    def broken(user: Any) -> Any:
        raise RuntimeError("the dashboard could not be assembled")

    monkeypatch.setattr(views, "dashboard_parts", broken)
    client = alpha.client(alpha.owner)
    client.raise_request_exception = False

    response = client.get("/", HTTP_X_REQUEST_ID="request-sentry-0002")

    assert response.status_code == 500
    raw, events = _received(sentry_receiver)
    [event] = [event for event in events if event.get("exception")]
    assert event["tags"]["user_id"] == str(alpha.owner.pk)
    assert event["tags"]["request_id"] == "request-sentry-0002"
    assert alpha.owner.email.encode() not in raw
    assert client.cookies["sessionid"].value.encode() not in raw


@pytest.mark.django_db
def test_a_failing_task_reaches_sentry_tagged_and_without_personal_data(
    alpha: Tenant, sentry_receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError

    from provisioning import backups
    from provisioning.tasks import tenant_backup_run

    address = alpha.owner.email

    def backup_refused(**kwargs: Any) -> None:
        # PostgreSQL quotes the values of the key it refused.
        raise IntegrityError(
            'duplicate key value violates unique constraint "users_user_email_key"\n'
            f"DETAIL:  Key (email)=({address}) already exists.\n"
        )

    monkeypatch.setattr(backups, "tenant_backup_nightly", backup_refused)
    token = request_id_var.set("request-sentry-0003")
    try:
        with schema_context(alpha.organization.schema_name), pytest.raises(IntegrityError):
            tenant_backup_run.delay(alpha.organization.pk)
    finally:
        request_id_var.reset(token)

    raw, events = _received(sentry_receiver)
    [event] = [event for event in events if event.get("exception")]
    assert event["tags"]["tenant_schema"] == "alpha"
    assert event["tags"]["request_id"] == "request-sentry-0003"
    assert event["extra"]["celery-job"] == {"task_name": "provisioning.tasks.tenant_backup_run"}
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "IntegrityError"
    assert exception["value"].endswith(f"Key (email)=({FILTERED}) already exists.\n")
    assert address.encode() not in raw
    assert b"owner@" not in raw


# --- The scrubber on its own ---------------------------------------------------------------


def test_the_scrubber_keeps_the_defect_and_removes_who_it_happened_to() -> None:
    event: Any = {
        "request": {
            "url": "https://alpha.example.org/api/v1/donors/donors/?q=ada@example.org",
            "method": "POST",
            "data": {"first_name": "Ada"},
            "cookies": {"sessionid": "abc"},
            "query_string": "q=ada@example.org",
            "env": {"REMOTE_ADDR": "203.0.113.9"},
            "headers": {
                "Authorization": "Bearer x",
                "Cookie": "a=b",
                "User-Agent": "curl",
                "X-Forwarded-For": "203.0.113.9",
            },  # fmt: skip
        },
        "user": {"id": "7", "email": "ada@example.org", "username": "ada"},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": 'duplicate key value violates unique constraint "donor_email"\n'
                    "DETAIL:  Key (email)=(ada@example.org) already exists.\n",
                    "stacktrace": {"frames": [{"function": "create", "vars": {"name": "Ada"}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {
                    "category": "query",
                    "message": "SELECT ... WHERE email = %s",
                    "data": {"db.params": ["ada@example.org"]},
                },  # fmt: skip
                {"category": "log", "message": "receipt mailed to ada@example.org"},
            ]
        },
        "logentry": {"message": "refused %s", "params": ["Ada Lovelace"]},
        "extra": {"celery-job": {"task_name": "t", "args": [1], "kwargs": {"email": "a@b.org"}}},
        "tags": {"tenant_schema": "alpha"},
    }

    scrubbed: Any = event_scrub(event, None)

    assert scrubbed["request"] == {
        "url": "https://alpha.example.org/api/v1/donors/donors/",
        "method": "POST",
        "headers": {"User-Agent": "curl"},
    }
    assert scrubbed["user"] == {}  # no user id in this context: none is invented
    [exception] = scrubbed["exception"]["values"]
    assert exception["type"] == "IntegrityError"
    assert exception["value"].endswith(f"Key (email)=({FILTERED}) already exists.\n")
    assert exception["stacktrace"]["frames"] == [{"function": "create"}]
    assert [crumb.get("data") for crumb in scrubbed["breadcrumbs"]["values"]] == [None, None]
    assert scrubbed["breadcrumbs"]["values"][1]["message"] == f"receipt mailed to {FILTERED}"
    assert scrubbed["logentry"] == {"message": "refused %s"}
    assert scrubbed["extra"]["celery-job"] == {"task_name": "t"}
    assert "ada" not in json.dumps(scrubbed).lower().replace("alpha", "")


def test_the_scrubber_tags_the_request_id_and_schema_in_progress() -> None:
    token = request_id_var.set("abcdef123456")
    try:
        scrubbed: Any = event_scrub({"message": "x"}, None)
    finally:
        request_id_var.reset(token)

    assert scrubbed["tags"]["request_id"] == "abcdef123456"
    assert scrubbed["tags"]["tenant_schema"] == "public"
    assert "user_id" not in scrubbed["tags"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail to o'brien+gifts@mail.example.co.uk refused",
         f"mail to {FILTERED} refused"),
        ('invalid input syntax for type integer: "Ada Lovelace"',
         f'invalid input syntax for type integer: "{FILTERED}"'),
        ("DETAIL:  Failing row contains (12, Ada, Lovelace, null).",
         f"DETAIL:  Failing row contains ({FILTERED})."),
        ("Key (donor_id, name)=(3, Ada (Countess)) is not present in table",
         f"Key (donor_id, name)=({FILTERED}) is not present in table"),
        ("syntax for integer: \"Ada\"\nLINE 1: SELECT 'Ada'::integer\n               ^\n",
         f"syntax for integer: \"Ada\"\nLINE: {FILTERED}\n"),
        ("Gift 42 could not be posted: period 2026-03 is closed",
         "Gift 42 could not be posted: period 2026-03 is closed"),
    ],
)  # fmt: skip
def test_text_is_scrubbed_of_addresses_and_quoted_values(text: str, expected: str) -> None:
    assert text_scrub(text) == expected


def test_breadcrumbs_lose_their_data() -> None:
    crumb = breadcrumb_scrub(
        {"category": "redis", "message": "GET x", "data": {"redis.key": "a@b.org"}}, None
    )

    assert crumb == {"category": "redis", "message": "GET x"}


def test_without_a_dsn_nothing_is_started() -> None:
    assert not error_tracking_init(dsn="", environment="test", release="", traces_sample_rate=0)
    assert not sentry_sdk.get_client().is_active()
