"""What one drain of an organization's waiting Connect events costs, apart from how many it
holds: drains of 1 to 50 paid one-time gifts, each size many times, measured in CPU (this
process, which runs the drain as the worker does, and the PostgreSQL backend serving it) and in
statements; then the least-squares line cost = F + c x events, F being what every drain costs
whatever it holds.

F is what bounds the time from a gift's payment to its posting under load: every organization
with an event waiting needs a drain of its own, so with N organizations and P CPUs a drain of
each comes round no sooner than N x F / P seconds, however few events arrive
(bench/README.md, "bench-webhooks"). bench-webhooks's p95 swings by a factor of three with the
machine's load; these figures move by about a tenth from one run to the next, so a change to a
drain is measured here first, over a few runs with the same --rounds (the tables' size counts).

    make bench-drain    (or: .venv/bin/python bench/drain_cost.py [--rounds 20])

Works in a database of its own, `ifm_bench_drain` (created and migrated when missing), with
Redis db 10. The gifts come from a pool of 150 donors (a first gift makes its donor, a later
one finds it by email), paid on the fake Stripe server of the tests, which serves from a
process of its own so that its work is not counted; the drain runs in this process through its
Celery task (eager: the task's own handling is counted, the broker's and the pool's are not).
No receipt settings: no receipts are made.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _setup  # noqa: E402  (bench/ is on the path when run as a script)

DATABASE = os.environ.get("BENCH_DATABASE", "ifm_bench_drain")
_setup.django_start(DATABASE, redis_db=int(os.environ.get("BENCH_REDIS_DB", "10")))

from django.conf import settings  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from provisioning.platform import public_tenant_ensure  # noqa: E402
from saas_platform.lib.connection import connection  # noqa: E402
from shared_apps.billing.models import ConnectEvent  # noqa: E402
from shared_apps.billing.services.connect_events import connect_event_receive  # noqa: E402
from shared_apps.billing.tests.fake_stripe import (  # noqa: E402
    CONNECT_WEBHOOK_SECRET,
    FakeStripe,
    event,
    fake_stripe_start,
    signed,
)
from shared_apps.tenants.models import Organization  # noqa: E402
from tenant_apps.donations.models import Gift, GiftState  # noqa: E402
from tenant_apps.donations.tasks import connect_events_drain  # noqa: E402

SLUG = "drainbench"
ACCOUNT = "acct_1DrainBench0001"
SIZES = (1, 2, 5, 10, 20, 50)
DONORS = 150
SPACING = 2  # seconds between an account's payments, as bench-webhooks makes them
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    """The drains of one size: each one's CPU in this process, its wall time and statements,
    and the PostgreSQL backend's CPU over all of them (read in clock ticks, too coarse for one
    drain)."""

    size: int
    worker: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    postgres: float = 0.0

    def line(self) -> str:
        drains = len(self.worker)
        worker = statistics.mean(self.worker) * 1000
        postgres = self.postgres / drains * 1000
        return (
            f"| {self.size} | {drains} | {worker:.1f} | {postgres:.1f} | {worker + postgres:.1f} "
            f"| {(worker + postgres) / self.size:.2f} | {statistics.median(self.wall) * 1000:.1f} "
            f"| {statistics.median(self.statements):.0f} |"
        )

    def cost(self) -> float:
        """Milliseconds of CPU a drain, this process's and PostgreSQL's."""
        return (statistics.mean(self.worker) + self.postgres / len(self.worker)) * 1000


def organization_ready() -> Organization:
    organization = _setup.tenant_ready(SLUG, "Drain bench")
    organization.stripe_account_id = ACCOUNT
    organization.stripe_charges_enabled = True
    organization.stripe_payouts_enabled = True
    organization.stripe_default_currency = "usd"
    organization.save()
    ConnectEvent.objects.filter(account_id=ACCOUNT).delete()
    _setup.public_tables_vacuumed(analyzed=[ConnectEvent._meta.db_table])
    return organization


def deliveries_made(fake: FakeStripe, count: int, rng: random.Random) -> list[bytes]:
    """`count` checkout.session.completed events of gifts paid on the account, SPACING seconds
    apart and ending now, as Stripe sends them: the payments the drain reads are among the
    account's earlier ones, as they are in a steady flow."""
    started = int(time.time()) - SPACING * count
    bodies = []
    for number in range(count):
        fake.clock = started + SPACING * number
        donor = rng.randrange(DONORS)
        session = fake.gift_paid_on_checkout(
            account=ACCOUNT,
            cents=rng.randrange(500, 50_000),
            email=f"donor{donor}@example.org",
            metadata={
                "fund": "GEN",
                "donor_name": f"Donor {donor} Bench",
                "donor_email": f"donor{donor}@example.org",
            },
        )
        body = event("checkout.session.completed", session, created=fake.clock, account=ACCOUNT)
        bodies.append(signed(body, secret=CONNECT_WEBHOOK_SECRET)[0])
    fake.clock = None
    return bodies


def fake_served_apart(fake: FakeStripe) -> int:
    """The fake Stripe server answered from a child process, with every payment made already:
    its work is then not this process's CPU. Returns the child's pid."""
    fake.server.shutdown()  # this process's serving thread; the child serves the same socket
    connection.close()  # the child must not share this process's database connection
    child = os.fork()
    if child == 0:
        try:
            fake.server.serve_forever()
        finally:
            os._exit(0)
    return child


def backend_seconds(pid: int) -> float:
    """CPU seconds the PostgreSQL backend `pid` has used (it runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def store(bodies: list[bytes]) -> None:
    for body in bodies:
        connect_event_receive(
            payload=body, signature=signed(body, secret=CONNECT_WEBHOOK_SECRET)[1]
        )


def drain_measured(organization: Organization, measured: Measured) -> None:
    statements = [0]

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        cpu, wall = own_seconds(), time.perf_counter()
        with schema_context(organization.schema_name):
            taken = connect_events_drain.apply(args=(organization.pk,)).get()
        cpu, wall = own_seconds() - cpu, time.perf_counter() - wall
    if taken != measured.size:
        raise SystemExit(f"a drain of {measured.size} events took {taken}")
    measured.worker.append(cpu)
    measured.wall.append(wall)
    measured.statements.append(statements[0])


def fitted(points: list[tuple[int, float]]) -> tuple[float, float]:
    """The least-squares line through (events, ms) points: (F, c)."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="drains of each size")
    arguments = parser.parse_args()
    rng = random.Random(2026)

    _setup.migrate()
    public_tenant_ensure()
    organization = organization_ready()
    fake = fake_stripe_start()
    settings.STRIPE_API_BASE = fake.base
    settings.STRIPE_SECRET_KEY = "sk_test_bench"  # noqa: S105 - the fake server's
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    # Every donor's first gift, then the drains measured, each size in turn.
    warm_up = deliveries_made(fake, DONORS * 2, rng)
    sizes = [size for size in SIZES for _ in range(arguments.rounds)]
    rng.shuffle(sizes)  # sizes interleaved: the tables grow evenly under each
    planned = deliveries_made(fake, sum(sizes), rng)
    child = fake_served_apart(fake)
    try:
        store(warm_up)
        with schema_context(organization.schema_name):
            while connect_events_drain.apply(args=(organization.pk,)).get():
                pass
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (backend,) = cursor.fetchone()
        results = {size: Measured(size) for size in SIZES}
        for size in sizes:
            batch, planned = planned[:size], planned[size:]
            store(batch)
            before = backend_seconds(backend)
            drain_measured(organization, results[size])
            results[size].postgres += backend_seconds(backend) - before
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
    with schema_context(organization.schema_name):
        posted = Gift.objects.filter(state=GiftState.POSTED).count()
    if posted != len(warm_up) + sum(sizes):
        print(f"FAIL {posted} gifts posted, {len(warm_up) + sum(sizes)} paid")
        return 1
    print(
        "| events a drain | drains | this process, ms | PostgreSQL, ms | both, ms "
        "| both an event, ms | wall (median), ms | statements (median) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in SIZES:
        print(results[size].line())
    fixed, each = fitted([(size, results[size].cost()) for size in SIZES])
    print(
        f"a drain costs F = {fixed:.1f} ms of CPU whatever it holds, and c = {each:.2f} ms an "
        f"event (this process and PostgreSQL; the web server's share of an event is apart)"
    )
    print(
        f"so 20 organizations on 2 CPUs are each drained no more often than every "
        f"{20 * fixed / 2 / 1000:.2f} s, before any event's own cost"
    )
    print(f"OK: every gift posted ({posted})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
