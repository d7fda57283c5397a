"""Stripe Connect webhooks under load: 10,000 signed events of 20 organizations' connected
accounts (gifts paid on Checkout and the payouts of what they left in Stripe), delivered with
duplicates and out of order by 8 concurrent senders to a real server on 127.0.0.1, applied by a
real Celery worker; then every event must be applied exactly once and every organization's
Stripe clearing account must equal what Stripe still holds for it.

    make bench-webhooks    (or: .venv/bin/python bench/webhooks.py [--events 10000]
                                [--tenants 20] [--senders 8] [--timeout 900])

Works in a database of its own, `ifm_bench_webhooks` (created and migrated when missing), with
Redis db 11 (BENCH_REDIS_DB overrides it). Each run provisions its tenants afresh
(`hookbench01`...) and forgets the Connect events of their accounts. The fake Stripe server of
the tests (shared_apps/billing/tests/fake_stripe.py) runs in this process and answers the
server's reads (each gift's PaymentIntent and fee, each payout's balance transactions); the
web server is gunicorn with the local settings (2 workers of 4 threads) and the worker
`celery worker --concurrency 2`, both started and stopped here.

Prints the throughput (distinct events applied a second, from the first delivery to the last
event applied) and the time from an event's first delivery to its gift posted (median, p95,
max), and exits 1 when an assertion fails or the time runs out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import _setup  # noqa: E402  (bench/ is on the path when run as a script)

DATABASE = "ifm_bench_webhooks"
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "11"))
_setup.django_start(DATABASE, redis_db=REDIS_DB)

from django.conf import settings  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from provisioning.platform import public_tenant_ensure  # noqa: E402
from shared_apps.billing.models import ConnectEvent  # noqa: E402
from shared_apps.billing.tests.fake_stripe import (  # noqa: E402
    CONNECT_WEBHOOK_SECRET,
    FakeStripe,
    event,
    fake_stripe_start,
    signed,
)
from shared_apps.tenants.models import Organization  # noqa: E402
from tenant_apps.accounting.models import JournalLine  # noqa: E402
from tenant_apps.donations.models import Deposit, Gift  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = 2026
SLUG = "hookbench{:02d}"
GIFTS_A_PAYOUT = 50  # a payout after every 50 gifts of an account
DUPLICATES = 0.10  # a tenth of the events delivered twice (Stripe's retries)
WINDOW = 200  # events are shuffled within windows of this many (late, early, interleaved)


@dataclass
class Delivery:
    event_id: str
    account: str
    kind: str
    body: dict[str, Any]


@dataclass
class Sent:
    first: dict[str, float] = field(default_factory=dict)
    answers: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tenants_ready(count: int) -> list[Organization]:
    """The bench's organizations, provisioned afresh, each with its connected account."""
    organizations = []
    for number in range(1, count + 1):
        organization = _setup.tenant_ready(SLUG.format(number), f"Webhook bench {number}")
        organization.stripe_account_id = f"acct_1Bench{number:010d}"
        organization.stripe_charges_enabled = True
        organization.stripe_payouts_enabled = True
        organization.stripe_default_currency = "usd"
        organization.save()
        organizations.append(organization)
    accounts = [organization.stripe_account_id for organization in organizations]
    forgotten, _ = ConnectEvent.objects.filter(account_id__in=accounts).delete()
    if forgotten:
        print(f"forgot {forgotten} Connect events of an earlier run")
    return organizations


def events_made(
    fake: FakeStripe, organizations: list[Organization], total: int, rng: random.Random
) -> list[Delivery]:
    """`total` events spread evenly over the accounts: gifts paid on Checkout (amounts $5 to
    $500, donors from a pool of 150 an account) and a payout after every GIFTS_A_PAYOUT gifts,
    in the order Stripe would send them."""
    made: list[Delivery] = []
    per_account = total // len(organizations)
    for organization in organizations:
        account = organization.stripe_account_id
        gifts = 0
        for _ in range(per_account):
            if gifts and gifts % GIFTS_A_PAYOUT == 0 and made[-1].kind != "payout.paid":
                payout = fake.payout_make(account)
                made.append(_delivery("payout.paid", payout, account))
                continue
            gifts += 1
            donor = rng.randrange(150)
            session_id = f"cs_bench_{account[-4:]}_{gifts:05d}"
            fake.sessions[session_id] = {
                "id": session_id,
                "object": "checkout.session",
                "amount_subtotal": (cents := rng.randrange(500, 50_000)),
                "amount_total": cents,
                "currency": "usd",
                "customer_email": f"donor{donor}@example.org",
                "metadata": {
                    "fund": "GEN",
                    "donor_name": f"Donor {donor} Bench",
                    "donor_email": f"donor{donor}@example.org",
                },
                "mode": "payment",
                "payment_intent": None,
                "payment_status": "unpaid",
                "status": "open",
                "_account": account,
                "_payment_intent_metadata": {},
            }
            made.append(
                _delivery(
                    "checkout.session.completed", fake.checkout_session_pay(session_id), account
                )
            )
    return made


def _delivery(kind: str, obj: dict[str, Any], account: str) -> Delivery:
    body = event(kind, obj, created=int(time.time()), account=account)
    return Delivery(event_id=body["id"], account=account, kind=kind, body=body)


def shuffled(made: list[Delivery], rng: random.Random) -> list[Delivery]:
    """The accounts' events interleaved, each account's in Stripe's order, then shuffled within
    windows of WINDOW (so a payout often comes before gifts it paid out), a tenth of them
    delivered again within the window."""
    position: dict[str, int] = {}
    ranked = []
    for delivery in made:
        place = position.get(delivery.account, 0)
        position[delivery.account] = place + 1
        ranked.append((place, delivery.account, delivery))
    by_time = [delivery for _, _, delivery in sorted(ranked, key=lambda row: row[:2])]
    deliveries: list[Delivery] = []
    for start in range(0, len(by_time), WINDOW):
        window = by_time[start : start + WINDOW]
        window = window + [delivery for delivery in window if rng.random() < DUPLICATES]
        rng.shuffle(window)
        deliveries.extend(window)
    return deliveries


def processes_start(port: int, fake: FakeStripe) -> list[subprocess.Popen[bytes]]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "saas_platform.settings.local",
        "DATABASE_URL": f"{_setup.SERVER}/{settings.DATABASES['default']['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "STRIPE_API_BASE": fake.base,
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_CONNECT_WEBHOOK_SECRET": CONNECT_WEBHOOK_SECRET,
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    venv = ROOT / ".venv" / "bin"
    web = subprocess.Popen(  # noqa: S603 - our own commands
        [
            str(venv / "gunicorn"),
            "-c",
            "deploy/gunicorn.conf.py",
            "-b",
            f"127.0.0.1:{port}",
            "saas_platform.wsgi:application",
        ],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
    )
    worker = subprocess.Popen(  # noqa: S603 - our own commands
        [
            str(venv / "celery"),
            "-A",
            "saas_platform",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            ",".join(settings.CELERY_WORKER_QUEUES),
        ],  # fmt: skip
        cwd=ROOT,
        env=environment,
        start_new_session=True,
    )
    for _ in range(120):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": "localhost"})
            if connection.getresponse().status == 200:
                return [web, worker]
        except OSError:
            pass
        time.sleep(0.5)
    processes_stop([web, worker])
    raise SystemExit("the web server did not answer /healthz within a minute")


def processes_stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """A warm shutdown: each main process stops its own workers; what is left is killed."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def deliver_all(port: int, deliveries: list[Delivery], senders: int) -> Sent:
    """`senders` threads, each with its own keep-alive connection, post the deliveries in turn,
    each signed when it is sent (as Stripe signs each attempt)."""
    work: queue.Queue[Delivery] = queue.Queue()
    for delivery in deliveries:
        work.put(delivery)
    sent = Sent()

    def sender() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                delivery = work.get_nowait()
            except queue.Empty:
                connection.close()
                return
            body, header = signed(json.dumps(delivery.body).encode(), secret=CONNECT_WEBHOOK_SECRET)
            with sent.lock:
                sent.first.setdefault(delivery.event_id, time.time())
            connection.request(
                "POST",
                "/stripe/connect/webhook/",
                body=body,
                headers={
                    "Host": "localhost",
                    "Content-Type": "application/json",
                    "Stripe-Signature": header,
                },
            )
            response = connection.getresponse()
            response.read()
            with sent.lock:
                sent.answers[response.status] = sent.answers.get(response.status, 0) + 1

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


def applied_wait(accounts: list[str], expected: int, deadline: float) -> bool:
    """Wait until every stored event of the accounts has an outcome; False at the deadline."""
    while time.time() < deadline:
        events = ConnectEvent.objects.filter(account_id__in=accounts)
        done = events.exclude(outcome="").count()
        if done >= expected and not events.filter(outcome="").exists():
            return True
        time.sleep(1)
    return False


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def clearing(schema: str) -> Decimal:
    with schema_context(schema):
        totals = JournalLine.objects.filter(
            account__code="1060", entry__state__in=("posted", "reversed")
        ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or Decimal(0)) - (totals["credit"] or Decimal(0))


def stripe_holds(fake: FakeStripe, account: str) -> Decimal:
    """What Stripe holds for the account: its balance transactions not paid out yet."""
    cents = sum(
        int(transaction["net"])
        for owner, transaction, payout in fake.balance_transactions.values()
        if owner == account and not payout
    )
    return Decimal(cents) / 100


def checks(fake: FakeStripe, organizations: list[Organization], made: list[Delivery]) -> list[str]:
    """What must hold once every event is applied; the failures, in words."""
    failures = []
    accounts = [organization.stripe_account_id for organization in organizations]
    stored = ConnectEvent.objects.filter(account_id__in=accounts)
    if stored.count() != len(made):
        failures.append(f"{stored.count()} events stored for {len(made)} sent")
    not_processed = stored.exclude(outcome="processed")
    for row in not_processed[:5]:
        failures.append(f"{row.stripe_id} {row.type}: {row.outcome} {row.outcome_detail}")
    if not_processed.count() > 5:
        failures.append(f"... {not_processed.count()} events not processed in all")
    for organization in organizations:
        account = organization.stripe_account_id
        gifts = sum(1 for d in made if d.account == account and d.kind != "payout.paid")
        payouts = sum(1 for d in made if d.account == account and d.kind == "payout.paid")
        with schema_context(organization.schema_name):
            recorded = Gift.objects.count()
            deposits = Deposit.objects.exclude(stripe_payout_id="").count()
        if (recorded, deposits) != (gifts, payouts):
            failures.append(
                f"{organization.slug}: {recorded} gifts and {deposits} payouts recorded "
                f"for {gifts} and {payouts}"
            )
        books, stripe = clearing(organization.schema_name), stripe_holds(fake, account)
        if books != stripe:
            failures.append(f"{organization.slug}: clearing {books} but Stripe holds {stripe}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=900, help="seconds, set-up excluded")
    arguments = parser.parse_args()
    rng = random.Random(SEED)

    _setup.migrate()
    public_tenant_ensure()  # the public host, where the webhook is
    organizations = tenants_ready(arguments.tenants)
    accounts = [organization.stripe_account_id for organization in organizations]
    fake = fake_stripe_start()
    made = events_made(fake, organizations, arguments.events, rng)
    deliveries = shuffled(made, rng)
    print(
        f"{len(made)} events ({sum(d.kind == 'payout.paid' for d in made)} payouts) of "
        f"{len(organizations)} accounts, {len(deliveries)} deliveries by {arguments.senders} "
        "senders"
    )
    port = _free_port()
    processes = processes_start(port, fake)
    try:
        started = time.time()
        sent = deliver_all(port, deliveries, arguments.senders)
        delivered = time.time() - started
        print(f"delivered in {delivered:.1f} s: answers {sent.answers}")
        complete = applied_wait(accounts, len(made), started + arguments.timeout)
    finally:
        processes_stop(processes)
        fake.server.shutdown()
    rows = list(
        ConnectEvent.objects.filter(account_id__in=accounts).values_list(
            "stripe_id", "type", "processed_at"
        )
    )
    finished = max((at for _, _, at in rows if at is not None), default=None)
    elapsed = (finished.timestamp() if finished else time.time()) - started
    latencies = [
        at.timestamp() - sent.first[stripe_id]
        for stripe_id, kind, at in rows
        if at is not None and kind == "checkout.session.completed" and stripe_id in sent.first
    ]
    print(f"applied {len(rows)} events in {elapsed:.1f} s: {len(rows) / elapsed:.0f} events/s")
    if latencies:
        print(
            f"first delivery to posted gift: median {statistics.median(latencies):.2f} s, "
            f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s "
            f"({len(latencies)} gifts)"
        )
    failures = [] if complete else [f"not every event applied within {arguments.timeout} s"]
    failures += checks(fake, organizations, made)
    for failure in failures:
        print(f"FAIL {failure}")
    if not failures:
        print(
            "OK: every event applied exactly once; every clearing account equals what Stripe holds"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
