"""Stripe Connect webhooks under load: 10,000 signed events of 20 organizations' connected
accounts, delivered with duplicates and out of order by 8 concurrent senders to a real server on
127.0.0.1, applied by a real Celery worker; then every event must be applied exactly once and
every organization's books must hold what Stripe did: its gifts, payouts, refunds, monthly gifts
and disputes, and a Stripe clearing account equal to what Stripe still holds for it.

The events are every kind online giving acts on, in the shares a nonprofit's account sends them:
one-time gifts paid on Checkout (most of them), monthly gifts (a checkout in subscription mode
with its first invoice, later invoices, changes and cancellations), refunds made in Stripe's
dashboard (whole and half), card disputes (opened, then won or lost), and a payout after every
50 payments.

    make bench-webhooks    (or: .venv/bin/python bench/webhooks.py [--events 10000]
                                [--tenants 20] [--senders 8] [--timeout 900] [--rate 200])

Works in a database of its own, `ifm_bench_webhooks` (created and migrated when missing), with
Redis db 11 (BENCH_DATABASE and BENCH_REDIS_DB name others, so two runs can share a machine).
Each run provisions its tenants afresh (`hookbench01`...) and forgets the Connect events of
their accounts. The fake Stripe server of the tests (shared_apps/billing/tests/fake_stripe.py)
runs in this process and answers the server's reads (each gift's PaymentIntent and fee, a
refund's charge, an invoice's payment, each payout's balance transactions); the web server is
gunicorn with the local settings (2 workers of 4 threads) and the worker
`celery worker --concurrency 2`, both started and stopped here.

Prints the throughput (distinct events applied a second, from the first delivery to the last
event applied) and the time from a one-time gift's first delivery to its gift posted (median,
p95, max), and exits 1 when an assertion fails or the time runs out.
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

DATABASE = os.environ.get("BENCH_DATABASE", "ifm_bench_webhooks")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "11"))
_setup.django_start(DATABASE, redis_db=REDIS_DB)

from django.conf import settings  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from provisioning.platform import public_tenant_ensure  # noqa: E402
from saas_platform.lib.health import HEARTBEAT_KEY, heartbeat_age  # noqa: E402
from saas_platform.lib.metrics import TASKS_KEY  # noqa: E402
from saas_platform.lib.redis_pool import redis_client  # noqa: E402
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
from tenant_apps.donations.models import (  # noqa: E402
    Deposit,
    Gift,
    GiftDispute,
    GiftRefund,
    GiftState,
    Receipt,
    RecurringGift,
)
from tenant_apps.donations.services.receipt_settings import receipt_settings_update  # noqa: E402
from tenant_apps.donations.services.receipts import receipts_overstated  # noqa: E402

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


def tenants_ready(count: int, *, receipts: bool) -> list[Organization]:
    """The bench's organizations, provisioned afresh, each with its connected account and,
    with `receipts`, the receipt settings an organization fills in before it takes gifts
    (every gift is then receipted: a PDF stored and emailed, after the gift is posted)."""
    organizations = []
    for number in range(1, count + 1):
        organization = _setup.tenant_ready(SLUG.format(number), f"Webhook bench {number}")
        organization.stripe_account_id = f"acct_1Bench{number:010d}"
        organization.stripe_charges_enabled = True
        organization.stripe_payouts_enabled = True
        organization.stripe_default_currency = "usd"
        organization.save()
        if receipts:
            with schema_context(organization.schema_name):
                receipt_settings_update(
                    legal_name=f"Webhook Bench {number} Inc.",
                    ein="12-3456789",
                    signatory_name="Bench Treasurer",
                    acting_user=None,
                )
        organizations.append(organization)
    accounts = [organization.stripe_account_id for organization in organizations]
    forgotten, _ = ConnectEvent.objects.filter(account_id__in=accounts).delete()
    if forgotten:
        print(f"forgot {forgotten} Connect events of an earlier run")
    _setup.public_tables_vacuumed(analyzed=[ConnectEvent._meta.db_table])
    return organizations


# Shares of an account's events besides one-time gifts and payouts, as a nonprofit's Stripe
# account sends them: monthly gifts (a checkout in subscription mode and its first invoice,
# later invoices, changes and cancellations), refunds made in Stripe's dashboard (some in
# part), and card disputes (opened, then won or lost).
MONTHLY_STARTS = 0.03
INSTALLMENTS = 0.05
SUBSCRIPTION_CHANGES = 0.01
REFUNDS = 0.03
DISPUTES = 0.01
DISPUTE_DECIDED_AFTER = 40  # events of the account between a dispute's opening and its close


@dataclass
class Made:
    """What the bench asked Stripe for, to check the books against."""

    deliveries: list[Delivery] = field(default_factory=list)
    one_time: dict[str, int] = field(default_factory=dict)  # account: one-time gifts
    installments: dict[str, int] = field(default_factory=dict)  # account: invoices paid
    monthly: dict[str, dict[str, str]] = field(default_factory=dict)  # account: sub -> state
    refunds: dict[str, int] = field(default_factory=dict)  # account: refunds, lost disputes too
    disputes: dict[str, dict[str, str]] = field(default_factory=dict)  # account: id -> outcome

    def count(self, kind: str) -> int:
        return sum(1 for delivery in self.deliveries if delivery.kind == kind)


def _monthly_metadata(organization: Organization, donor: int) -> dict[str, str]:
    """A monthly checkout's metadata as the giving pages set it (session and subscription)."""
    return {
        "ifm_organization_id": str(organization.pk),
        "fund": "GEN",
        "donor_name": f"Donor {donor} Bench",
        "donor_email": f"donor{donor}@example.org",
        "cover_fees": "no",
        "frequency": "monthly",
        "campaign": "",
    }


def events_made(
    fake: FakeStripe, organizations: list[Organization], total: int, rng: random.Random
) -> Made:
    """`total` events spread evenly over the accounts, in the order Stripe would send them:
    gifts paid on Checkout (amounts $5 to $500, donors from a pool of 150 an account), monthly
    gifts with their invoices, changes and cancellations, refunds and disputes of earlier
    gifts, and a payout after every GIFTS_A_PAYOUT payments."""
    made = Made()
    per_account = total // len(organizations)
    started = int(time.time()) - 2 * per_account
    for organization in organizations:
        account = organization.stripe_account_id
        events: list[Delivery] = []
        payments = paid_out = 0  # payments made, and made before the last payout
        paid: list[str] = []  # PaymentIntents of one-time gifts that may be refunded or disputed
        active: list[str] = []  # subscriptions still running
        closing: list[tuple[int, str]] = []  # (due at this many events, dispute id)
        monthly: dict[str, str] = {}
        disputes: dict[str, str] = {}
        counts = {"one_time": 0, "installments": 0, "refunds": 0}

        def add(
            kind: str, obj: dict[str, Any], events: list[Delivery] = events, account: str = account
        ) -> None:
            # A second apart in the account's order: Stripe's `created` orders its events.
            created = started + 2 * len(events)
            events.append(_delivery(kind, obj, account, created=created))

        while len(events) < per_account:
            # What Stripe makes now is stamped with the time of the event it makes.
            fake.clock = started + 2 * len(events)
            if closing and closing[0][0] <= len(events):
                _, dispute_id = closing.pop(0)
                won = rng.random() < 0.5
                closed = fake.dispute_close(dispute_id, won=won)
                if won:  # Stripe gives the amount and the fee back to the balance
                    fake.balance_transaction_add(
                        account, closed["balance_transactions"][-1], source=closed
                    )
                else:
                    counts["refunds"] += 1  # a lost dispute is the gift given back
                disputes[dispute_id] = "won" if won else "lost"
                add("charge.dispute.closed", closed)
                continue
            if payments - paid_out >= GIFTS_A_PAYOUT:
                add("payout.paid", fake.payout_make(account))
                paid_out = payments
                continue
            chance = rng.random()
            donor = rng.randrange(150)
            cents = rng.randrange(500, 50_000)
            if chance < MONTHLY_STARTS and len(events) + 2 <= per_account:
                session, first = fake.subscription_checkout_pay(
                    account=account,
                    amount=cents,
                    metadata=_monthly_metadata(organization, donor),
                    email=f"donor{donor}@example.org",
                    name=f"Donor {donor} Bench",
                )
                active.append(session["subscription"])
                monthly[session["subscription"]] = "active"
                add("checkout.session.completed", session)
                add("invoice.paid", first)
                payments += 1
                counts["installments"] += 1
                continue
            chance -= MONTHLY_STARTS
            if chance < INSTALLMENTS and active:
                add("invoice.paid", fake.subscription_invoice_pay(rng.choice(active)))
                payments += 1
                counts["installments"] += 1
                continue
            chance -= INSTALLMENTS
            if chance < SUBSCRIPTION_CHANGES and active:
                subscription = rng.choice(active)
                if rng.random() < 0.5:
                    active.remove(subscription)
                    monthly[subscription] = "cancelled"
                    ended = fake.subscription_change(subscription, status="canceled")
                    add("customer.subscription.deleted", ended)
                else:
                    changed = fake.subscription_change(subscription, amount=cents)
                    add("customer.subscription.updated", changed)
                continue
            chance -= SUBSCRIPTION_CHANGES
            if chance < REFUNDS and paid:
                payment_intent = paid.pop(rng.randrange(len(paid)))
                _, intent = fake.payment_intents[payment_intent]
                whole = int(intent["latest_charge"]["amount"])
                part = rng.choice([None, whole // 2])  # all of it, or half
                add("charge.refunded", fake.refund_in_dashboard(payment_intent, amount=part))
                counts["refunds"] += 1
                continue
            chance -= REFUNDS
            if chance < DISPUTES and paid:
                payment_intent = paid.pop(rng.randrange(len(paid)))
                opened = fake.dispute_open(payment_intent)
                # Stripe takes the amount and its dispute fee from the balance at once.
                fake.balance_transaction_add(
                    account, opened["balance_transactions"][0], source=opened
                )
                disputes[opened["id"]] = "open"
                closing.append((len(events) + DISPUTE_DECIDED_AFTER, opened["id"]))
                add("charge.dispute.created", opened)
                continue
            counts["one_time"] += 1
            payments += 1
            session = fake.gift_paid_on_checkout(
                account=account,
                cents=cents,
                email=f"donor{donor}@example.org",
                metadata={
                    "fund": "GEN",
                    "donor_name": f"Donor {donor} Bench",
                    "donor_email": f"donor{donor}@example.org",
                },
                session_id=f"cs_bench_{account[-4:]}_{counts['one_time']:05d}",
            )
            paid.append(session["payment_intent"])
            add("checkout.session.completed", session)
        made.deliveries.extend(events)
        made.one_time[account] = counts["one_time"]
        made.installments[account] = counts["installments"]
        made.refunds[account] = counts["refunds"]
        made.monthly[account] = monthly
        made.disputes[account] = disputes
    fake.clock = None
    return made


def _delivery(kind: str, obj: dict[str, Any], account: str, *, created: int) -> Delivery:
    body = event(kind, obj, created=created, account=account)
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
        # As production runs: DEBUG keeps every SQL statement of a process in memory.
        "DJANGO_DEBUG": "false",
        "PORT": str(port),
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    venv = ROOT / ".venv" / "bin"
    redis_client().delete(HEARTBEAT_KEY.format(name="worker"))  # a past run's
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
    answered = False
    for _ in range(120):
        try:
            if not answered:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz", headers={"Host": "localhost"})
                answered = connection.getresponse().status == 200
        except OSError:
            pass
        # The worker started too (its heartbeat), so that its start is not counted in the run.
        if answered and heartbeat_age("worker") is not None:
            return [web, worker]
        time.sleep(0.5)
    processes_stop([web, worker])
    raise SystemExit("the web server or the worker did not start within a minute")


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


class KeptAlive:
    """One keep-alive HTTP/1.1 connection posting to the web server on 127.0.0.1: each request
    written in one piece, each answer read for its status and body with no more parsing than
    they need. (http.client parses every answer's headers with the email package: that was
    most of this process's CPU, taken from the machine it measures.) A connection the server
    closes (its answer said so, or a worker was recycled) is opened again, and a delivery whose
    answer never came is sent again, as Stripe sends a delivery again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(body)}\r\n{head}\r\n"
        ).encode() + body
        for attempt in range(3):
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
                self.buffer = b""
            try:
                self.sock.sendall(request)
                return self._answer()
            except (ConnectionError, TimeoutError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _answer(self) -> int:
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        fields = {}
        for line in lines:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip().lower()
        if b"transfer-encoding" in fields:
            raise AssertionError("the web server answered in chunks: read with http.client")
        length = int(fields.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self._read()
        self.buffer = self.buffer[length:]
        if fields.get(b"connection") == b"close":
            self.close()
        return int(status_line.split()[1])

    def _read(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the web server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None


def deliver_all(port: int, deliveries: list[Delivery], senders: int, rate: float) -> Sent:
    """`senders` threads, each with its own keep-alive connection, post the deliveries in turn,
    each signed when it is sent (as Stripe signs each attempt): as fast as they are answered,
    or, with a `rate` (deliveries a second), each at its time on that schedule, as a steady
    flow of events arrives (a sender late for its next one sends it at once)."""
    # Written out before the first is sent: the senders share the machine with what they
    # measure. Each is signed when it is sent.
    work: queue.Queue[tuple[int, Delivery, bytes]] = queue.Queue()
    for number, delivery in enumerate(deliveries):
        work.put((number, delivery, json.dumps(delivery.body).encode()))
    sent = Sent()
    started = time.time()

    def sender() -> None:
        connection = KeptAlive(port)
        while True:
            try:
                number, delivery, payload = work.get_nowait()
            except queue.Empty:
                connection.close()
                return
            if rate:
                time.sleep(max(0.0, started + number / rate - time.time()))
            body, header = signed(payload, secret=CONNECT_WEBHOOK_SECRET)
            with sent.lock:
                sent.first.setdefault(delivery.event_id, time.time())
            status = connection.post(
                "/stripe/connect/webhook/",
                body,
                {"Content-Type": "application/json", "Stripe-Signature": header},
            )
            with sent.lock:
                sent.answers[status] = sent.answers.get(status, 0) + 1

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


def unreceipted(organizations: list[Organization]) -> int:
    """Gifts still in the books with no receipt yet, receipts not emailed yet, and receipts
    stating more than their gift now is (refunded or voided since), across the organizations."""
    missing = 0
    for organization in organizations:
        with schema_context(organization.schema_name):
            missing += (
                Gift.objects.filter(state=GiftState.POSTED).exclude(receipts__version=1).count()
            )
            missing += Receipt.objects.filter(emailed_at__isnull=True, email_error="").count()
            missing += sum(map(len, receipts_overstated()))
    return missing


def receipts_wait(organizations: list[Organization], deadline: float) -> bool:
    """Wait until every gift still posted has its receipt and every receipt is emailed (by
    tasks of their own, after commit), or the deadline."""
    while time.time() < deadline:
        if unreceipted(organizations) == 0:
            return True
        time.sleep(0.5)
    return unreceipted(organizations) == 0


def applied_wait(accounts: list[str], expected: int, deadline: float) -> bool:
    """Wait until every stored event of the accounts has an outcome; False at the deadline."""
    while time.time() < deadline:
        events = ConnectEvent.objects.filter(account_id__in=accounts)
        done = events.exclude(outcome="").count()
        if done >= expected and not events.filter(outcome="").exists():
            return True
        time.sleep(1)
    return False


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(web: int, worker: int) -> dict[str, float]:
    """CPU seconds used so far by each part: the web server's and the worker's process groups
    (their processes that ended included, through the main process's children's time),
    PostgreSQL (its processes, and its ended backends through the postmaster's children's
    time), Redis, this process (the senders and the fake Stripe server), and the whole machine
    (the kernel's own work for the loopback connections included)."""
    parts = dict.fromkeys(("web", "worker", "postgres", "redis", "bench", "machine"), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid, group = int(fields[1]), int(fields[2])
        used = (int(fields[11]) + int(fields[12])) / TICKS
        if group in (web, worker):
            parts["web" if group == web else "worker"] += used
            if int(entry.name) == group:  # its workers that ended (gunicorn recycles them)
                parts["web" if group == web else "worker"] += (
                    int(fields[13]) + int(fields[14])
                ) / TICKS
        elif name == "postgres":
            parts["postgres"] += used
            try:
                postmaster = Path(f"/proc/{ppid}/comm").read_text().strip() != "postgres"
            except OSError:
                postmaster = True
            if postmaster:
                parts["postgres"] += (int(fields[13]) + int(fields[14])) / TICKS
        elif name == "redis-server":
            parts["redis"] += used
        elif int(entry.name) == os.getpid():
            parts["bench"] += used
    with open("/proc/stat") as totals:
        ticks = [int(value) for value in totals.readline().split()[1:]]
    parts["machine"] = (sum(ticks) - ticks[3] - ticks[4]) / TICKS  # all but idle and iowait
    return parts


def cpu_report(before: dict[str, float], after: dict[str, float], events: int) -> str:
    return "CPU a distinct event: " + ", ".join(
        f"{part} {(after[part] - before[part]) * 1000 / events:.1f} ms" for part in before
    )


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


def checks(fake: FakeStripe, organizations: list[Organization], made: Made) -> list[str]:
    """What must hold once every event is applied; the failures, in words."""
    failures = []
    accounts = [organization.stripe_account_id for organization in organizations]
    stored = ConnectEvent.objects.filter(account_id__in=accounts)
    if stored.count() != len(made.deliveries):
        failures.append(f"{stored.count()} events stored for {len(made.deliveries)} sent")
    not_processed = stored.exclude(outcome="processed")
    for row in not_processed[:5]:
        failures.append(f"{row.stripe_id} {row.type}: {row.outcome} {row.outcome_detail}")
    if not_processed.count() > 5:
        failures.append(f"... {not_processed.count()} events not processed in all")
    for organization in organizations:
        account = organization.stripe_account_id
        expected = {
            "gifts": made.one_time[account] + made.installments[account],
            "payouts": sum(
                1 for d in made.deliveries if d.account == account and d.kind == "payout.paid"
            ),
            "refunds": made.refunds[account],
            "monthly": sorted(made.monthly[account].items()),
            "disputes": sorted(made.disputes[account].items()),
        }
        with schema_context(organization.schema_name):
            recorded = {
                "gifts": Gift.objects.count(),
                "payouts": Deposit.objects.exclude(stripe_payout_id="").count(),
                "refunds": GiftRefund.objects.exclude(stripe_refund_id="").count(),
                "monthly": sorted(
                    RecurringGift.objects.exclude(stripe_subscription_id="").values_list(
                        "stripe_subscription_id", "state"
                    )
                ),
                "disputes": sorted(GiftDispute.objects.values_list("stripe_dispute_id", "outcome")),
            }
        for what, wanted in expected.items():
            if recorded[what] != wanted:
                shown, sent = str(recorded[what])[:300], str(wanted)[:300]
                failures.append(f"{organization.slug}: {what} recorded {shown}, sent {sent}")
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
    parser.add_argument(
        "--rate", type=float, default=0, help="deliveries a second (default: as fast as answered)"
    )
    parser.add_argument(
        "--no-receipts",
        action="store_true",
        help="the organizations have no receipt settings, so no gift is receipted",
    )
    arguments = parser.parse_args()
    receipts = not arguments.no_receipts
    rng = random.Random(SEED)

    _setup.migrate()
    public_tenant_ensure()  # the public host, where the webhook is
    organizations = tenants_ready(arguments.tenants, receipts=receipts)
    accounts = [organization.stripe_account_id for organization in organizations]
    fake = fake_stripe_start()
    made = events_made(fake, organizations, arguments.events, rng)
    deliveries = shuffled(made.deliveries, rng)
    kinds = sorted({delivery.kind for delivery in made.deliveries})
    print(
        f"{len(made.deliveries)} events of {len(organizations)} accounts ("
        + ", ".join(f"{made.count(kind)} {kind}" for kind in kinds)
        + f"), {len(deliveries)} deliveries by {arguments.senders} senders"
    )
    port = _free_port()
    processes = processes_start(port, fake)
    try:
        web, worker = processes[0].pid, processes[1].pid
        cpu_before = cpu_seconds(web, worker)
        drains_before = drains_counted()
        started = time.time()
        sent = deliver_all(port, deliveries, arguments.senders, arguments.rate)
        delivered = time.time() - started
        print(
            f"delivered in {delivered:.1f} s ({len(deliveries) / delivered:.0f} a second"
            + (f", {arguments.rate:.0f} asked" if arguments.rate else "")
            + f"): answers {sent.answers}"
        )
        complete = applied_wait(accounts, len(made.deliveries), started + arguments.timeout)
        applied_at = time.time()
        receipted = not receipts or receipts_wait(organizations, started + arguments.timeout)
        if receipts:
            print(
                f"every gift receipted and emailed {time.time() - applied_at:.1f} s after the "
                "last event was applied"
            )
        print(cpu_report(cpu_before, cpu_seconds(web, worker), len(made.deliveries)))
        drains = drains_counted() - drains_before
        if drains:
            print(f"drains: {drains}, {len(made.deliveries) / drains:.1f} events a drain")
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
    one_time = {
        delivery.event_id
        for delivery in made.deliveries
        if delivery.kind == "checkout.session.completed"
        and delivery.body["data"]["object"].get("mode") == "payment"
    }
    latencies = [
        at.timestamp() - sent.first[stripe_id]
        for stripe_id, _, at in rows
        if at is not None and stripe_id in one_time and stripe_id in sent.first
    ]
    print(f"applied {len(rows)} events in {elapsed:.1f} s: {len(rows) / elapsed:.0f} events/s")
    if latencies:
        print(
            f"first delivery to posted gift: median {statistics.median(latencies):.2f} s, "
            f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s "
            f"({len(latencies)} gifts)"
        )
    failures = [] if complete else [f"not every event applied within {arguments.timeout} s"]
    if not receipted:
        failures.append(
            f"{unreceipted(organizations)} gifts or receipts not receipted, emailed or corrected"
        )
    failures += checks(fake, organizations, made)
    for failure in failures:
        print(f"FAIL {failure}")
    if not failures:
        print(
            "OK: every event applied exactly once; every clearing account equals what Stripe holds"
            + (
                "; every gift still posted is receipted and emailed, and no receipt states more "
                "than its gift now is"
                if receipts
                else ""
            )
        )
    return 1 if failures else 0


DRAIN_TASK = "tenant_apps.donations.tasks.connect_events_drain"


def drains_counted() -> int:
    """Drains the worker has finished, as it counts its tasks for /metrics (saas_platform.lib.
    metrics): how many events a drain took tells its fixed cost from its cost an event."""
    return int(redis_client().hget(TASKS_KEY, f"{DRAIN_TASK}|succeeded") or 0)


if __name__ == "__main__":
    sys.exit(main())
