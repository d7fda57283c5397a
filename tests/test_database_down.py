"""The platform served by gunicorn with its database unreachable and its routing cache cold, as
after a restart during a database outage: the probes read 503 JSON from /healthz on every host,
the API answers 503 in its error shape, pages a short 503 page; nothing answers 500."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server_without_database() -> Iterator[int]:
    from django.core.management import call_command

    # As a deployment does: whitenoise serves STATIC_ROOT, which collectstatic fills.
    call_command("collectstatic", interactive=False, verbosity=0)
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.test",
        # Nothing listens on port 1: every connection is refused at once.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/ifm",
        "REDIS_URL": settings.REDIS_URL,
    }
    process = subprocess.Popen(
        [str(GUNICORN), "saas_platform.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "1", "--preload", "--log-level", "warning"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # --preload: the socket listens only once Django is loaded, so a connection is an answer.
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(port: int, host: str, path: str) -> tuple[int, str, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers.get("content-type", ""), headers, response.read()
    finally:
        connection.close()


@pytest.fixture
def cold_routing_cache() -> None:
    caches["tenant_routing"].clear()


HOSTS = ["localhost", "alpha.localhost", "nobody-here.localhost"]


@pytest.mark.parametrize("host", HOSTS)
def test_health_answers_503_json_on_every_host(
    server_without_database: int, cold_routing_cache: None, host: str
) -> None:
    status, content_type, _, body = _get(server_without_database, host, "/healthz")

    assert (status, content_type) == (503, "application/json")
    assert json.loads(body) == {
        "status": "unavailable",
        "checks": {"database": "down", "redis": "ok"},
    }


@pytest.mark.parametrize("host", HOSTS)
def test_readiness_answers_503_json_on_every_host(
    server_without_database: int, cold_routing_cache: None, host: str
) -> None:
    status, content_type, _, body = _get(server_without_database, host, "/readyz")

    assert (status, content_type) == (503, "application/json")
    assert json.loads(body)["status"] == "unavailable"
    assert json.loads(body)["checks"]["database"] == "down"


@pytest.mark.parametrize("host", HOSTS)
def test_the_api_answers_503_in_its_error_shape(
    server_without_database: int, cold_routing_cache: None, host: str
) -> None:
    status, content_type, headers, body = _get(server_without_database, host, "/api/v1/donors/")

    assert (status, content_type) == (503, "application/json")
    assert json.loads(body)["error"]["code"] == "unavailable"
    assert headers["retry-after"] == "30"


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/signup/"])
def test_pages_answer_a_short_503_page(
    server_without_database: int, cold_routing_cache: None, host: str, path: str
) -> None:
    status, content_type, _, body = _get(server_without_database, host, path)

    assert status == 503
    assert content_type.startswith("text/html")
    assert b"Briefly unavailable" in body


def test_static_files_are_served_so_the_page_has_its_stylesheet(
    server_without_database: int, cold_routing_cache: None
) -> None:
    status, content_type, _, body = _get(server_without_database, "alpha.localhost", "/")
    assert b"/static/css/ifm.css" in body

    status, content_type, _, body = _get(
        server_without_database, "alpha.localhost", "/static/css/ifm.css"
    )

    assert (status, content_type.split(";")[0]) == (200, "text/css")
    assert b".brand" in body
