"""How fast a warm authenticated API read is served over HTTP: IFM's accounts list (JWT, the
tenant routing cache, the throttle, DRF), against a bare django-tenants view of the same rows
(bench/bare_tenants: stock middleware and backend, no authentication), and IFM again through
PgBouncer in transaction pooling when one answers on 127.0.0.1:6432.

    make bench-requests   (or: .venv/bin/python bench/requests.py [--requests 400] [--seconds 8])

Works in a database of its own, `ifm_bench_requests` (created and migrated when missing), with
Redis db 7. Each server is gunicorn on 127.0.0.1 (2 workers of 2 threads, gthread, as
production runs it); all run at once, idle but for the one being asked. After a warm-up, one
client on a kept-alive connection asks each server in turn, `--requests` times (p50 and p95
latency), then four clients at once ask one server for a second or two, each server in turn,
for `--seconds` a server in all (requests per second): the other work on the machine weighs on
every column alike. Targets: p50 under 5 ms for one client, at least 200 requests/s with four.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import _setup

# This file's name is also the name of a library (requests) that packages import: with bench/
# first on the path, they would import this script instead.
sys.path.remove(str(Path(__file__).resolve().parent))

DATABASE = _setup.django_start("ifm_bench_requests", redis_db=7)

from django_tenants.utils import schema_context  # noqa: E402

from shared_apps.users.models import User  # noqa: E402
from shared_apps.users.roles import Role  # noqa: E402
from shared_apps.users.tokens import TenantRefreshToken  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
SLUG = "benchrequests"
HOST = f"{SLUG}.localhost"
PGBOUNCER_PORT = 6432
P50_TARGET_MS = 5.0
THROUGHPUT_TARGET = 200.0
CLIENTS = 4


@dataclass(frozen=True)
class Server:
    label: str
    path: str
    environment: dict[str, str]
    authorization: bool


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pgbouncer_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", PGBOUNCER_PORT), timeout=1).close()
    except OSError:
        return False
    return True


def _token() -> str:
    with schema_context(SLUG):
        user = User.objects.filter(email="books@benchrequests.org").first()
        if user is None:
            user = User.objects.create_user(
                email="books@benchrequests.org", password=_setup.OWNER_PASSWORD
            )
        user.role = Role.BOOKKEEPER
        user.save()
        return str(TenantRefreshToken.for_user(user).access_token)


def _servers() -> list[Server]:
    direct = f"{_setup.SERVER}/{DATABASE}"
    common = {
        "DATABASE_URL": direct,
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        # Counted as ever (one Redis round trip), never refused.
        "API_USER_RATE": "100000000/min",
    }
    accounts = "/api/v1/accounting/accounts/?page_size=100"
    servers = [
        Server(
            "IFM accounts API",
            accounts,
            {**common, "DJANGO_SETTINGS_MODULE": "saas_platform.settings.local"},
            authorization=True,
        ),
        Server(
            "bare django-tenants view",
            "/accounts/",
            {**common, "DJANGO_SETTINGS_MODULE": "bench.bare_tenants.settings"},
            authorization=False,
        ),
    ]
    if _pgbouncer_answers():
        servers.append(
            Server(
                "IFM accounts API via PgBouncer",
                accounts,
                {
                    **common,
                    "DJANGO_SETTINGS_MODULE": "saas_platform.settings.local",
                    "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PGBOUNCER_PORT}/{DATABASE}",
                    "DATABASE_TRANSACTION_POOLING": "true",
                    "DIRECT_DATABASE_URL": direct,
                },
                authorization=True,
            )
        )
    else:
        print(f"no PgBouncer on 127.0.0.1:{PGBOUNCER_PORT}: the pooled column is left out")
    return servers


def _start(server: Server, port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, **server.environment, "PLATFORM_PORT": ""}
    command = [str(GUNICORN), "saas_platform.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--threads", "2", "--worker-class", "gthread"]
    command += ["--keep-alive", "30", "--log-level", "warning", "--preload"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment)  # noqa: S603
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{server.label}: gunicorn did not start") from None
            time.sleep(0.2)


class Client:
    """One kept-alive HTTP connection, as an integration's client holds one."""

    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path = path
        self.headers = headers

    def get(self) -> float:
        started = time.perf_counter()
        self.connection.request("GET", self.path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"GET {self.path}: {response.status} {body[:300]!r}")
        return elapsed


def _clients_run(port: int, path: str, headers: dict[str, str], *, stop: float) -> int:
    """CLIENTS clients at once, each on its own connection, until `stop`; how many answers."""
    counts = [0] * CLIENTS

    def run(index: int) -> None:
        client = Client(port, path, headers)
        while time.perf_counter() < stop:
            client.get()
            counts[index] += 1

    threads = [threading.Thread(target=run, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts)


@dataclass
class Running:
    server: Server
    port: int
    process: subprocess.Popen[bytes]
    headers: dict[str, str]


def _running(server: Server, token: str) -> Running:
    port = _free_port()
    headers = {"Host": HOST}
    if server.authorization:
        headers["Authorization"] = f"Bearer {token}"
    return Running(server, port, _start(server, port), headers)


def _measure_all(
    servers: list[Running], *, requests: int, seconds: float
) -> dict[str, tuple[float, float, float]]:
    """Every server under the same conditions: one client's requests go to each server in
    turn, and the four clients' bursts alternate between servers in slices of a second or two,
    so that the other work on the machine weighs on all of them alike."""
    for running in servers:
        # Every worker and thread warm (a connection stays with one worker).
        _clients_run(
            running.port, running.server.path, running.headers, stop=time.perf_counter() + 3
        )
    clients = {
        running.server.label: Client(running.port, running.server.path, running.headers)
        for running in servers
    }
    for client in clients.values():
        for _ in range(50):
            client.get()
    latencies: dict[str, list[float]] = {label: [] for label in clients}
    for _ in range(requests):
        for label, client in clients.items():
            latencies[label].append(client.get() * 1000)

    served = dict.fromkeys(clients, 0)
    elapsed = dict.fromkeys(clients, 0.0)
    slices = max(1, round(seconds / 1.5))
    for _ in range(slices):
        for running in servers:
            started = time.perf_counter()
            stop = started + seconds / slices
            count = _clients_run(running.port, running.server.path, running.headers, stop=stop)
            served[running.server.label] += count
            elapsed[running.server.label] += time.perf_counter() - started

    figures = {}
    for label, values in latencies.items():
        ordered = sorted(values)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        figures[label] = (statistics.median(ordered), p95, served[label] / elapsed[label])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400, help="one client's measured requests")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long four clients run")
    arguments = parser.parse_args()

    _setup.migrate()
    _setup.tenant_ready(SLUG, "Bench Requests", reload=False, loaded=lambda _: True)
    token = _token()
    with schema_context(SLUG):
        from tenant_apps.accounting.models import Account

        print(f"{Account.objects.count()} accounts in the list")

    running = [_running(server, token) for server in _servers()]
    try:
        figures = _measure_all(running, requests=arguments.requests, seconds=arguments.seconds)
    finally:
        for each in running:
            each.process.terminate()
            each.process.wait(timeout=30)

    print(f"\n{'server':<34} {'p50 (1 client)':>15} {'p95':>9} {'req/s (4 clients)':>19}")
    for server in (each.server for each in running):
        p50, p95, throughput = figures[server.label]
        verdict = ""
        if server.label.startswith("IFM"):
            met = p50 < P50_TARGET_MS and throughput >= THROUGHPUT_TARGET
            verdict = "PASS" if met else "SLOW"
        print(
            f"{server.label:<34} {p50:12.2f} ms {p95:6.2f} ms {throughput:15.0f}/s  {verdict}",
            flush=True,
        )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\ntargets: p50 < {P50_TARGET_MS:g} ms, >= {THROUGHPUT_TARGET:g} req/s; load {load}")


if __name__ == "__main__":
    main()
