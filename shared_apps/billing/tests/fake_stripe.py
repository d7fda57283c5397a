"""A local stand-in for Stripe's API and Stripe's webhook deliveries, for tests.

`FakeStripe` is a threaded HTTP server on 127.0.0.1 answering the endpoints billing calls
with JSON of the shape Stripe returns (recorded from the API reference of the installed
library's API version), and recording every request so tests can check what was sent. The
real stripe library talks to it (settings.STRIPE_API_BASE). Cancelling a subscription
(DELETE /v1/subscriptions/<id>) succeeds for the ids in `subscriptions` that are not cancelled
yet, and answers 404 resource_missing otherwise, as Stripe does for one cancelled before.

Connect: `POST /v1/accounts` makes an account (not yet able to take charges: a test says when
onboarding is done by `account_onboarded`), `GET /v1/accounts/<id>` reads it, and
`POST /v1/account_links` answers an onboarding link. A Checkout session made with the
Stripe-Account header is that account's; `checkout_session_pay` plays the donor paying it
(a PaymentIntent with its charge and balance transaction, Stripe's fee 2.9% + 30c), which
`GET /v1/payment_intents/<id>` then answers, for the account it was made on only.
`POST /v1/refunds` refunds a PaymentIntent on its account, whole or in part, honouring the
Idempotency-Key header as Stripe does (the same key answers the first refund again);
`GET /v1/refunds?payment_intent=` lists its refunds, newest first; `refund_in_dashboard` plays
the organization refunding in Stripe's dashboard and gives the charge `charge.refunded` carries.

Monthly gifts and disputes on a connected account: `subscription_checkout_pay` plays a donor
starting a monthly gift on Checkout (the subscription, its first invoice paid by a
PaymentIntent with its fee), `subscription_invoice_pay` the next month's charge,
`subscription_change` a change (a new amount, past due, ending at the period's end, cancelled);
`GET /v1/subscriptions/<id>` and `GET /v1/invoice_payments?invoice=` answer for the account
they were made on. `dispute_open` and `dispute_close` play the donor's bank disputing a payment
and deciding, with the balance transactions Stripe makes (the amount and the $15 fee taken,
given back when won).
Payouts: each charge and refund also enters the account's balance as a balance transaction;
`payout_make` plays Stripe paying out what the account holds (every balance transaction not
yet paid out, net of fees, refunds and disputes) and gives the payout as the `payout.paid`
event carries it. `GET /v1/payouts/<id>` reads it and `GET /v1/balance_transactions?payout=`
lists what it settled, its own transaction included, newest first, paged by `limit` and
`starting_after`, with `expand[]=data.source` giving each transaction's charge or refund.
`GET /v1/charges` lists an account's charges, newest first, by `created[gte]` and
`created[lte]`, with `expand[]=data.balance_transaction`. `clock` sets the time Stripe stamps
on what it makes.

`signed` builds a webhook delivery the way Stripe does: the Stripe-Signature header is
`t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" keyed by the endpoint's secret>`.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
# The Connect endpoint's own signing secret (online giving), distinct from billing's.
CONNECT_WEBHOOK_SECRET = "whsec_test_connect_fedcba9876543210"
API_VERSION = "2026-10-28.endive"
_numbers = itertools.count(1)
_made = itertools.count()  # the order PaymentIntents are made in, across accounts


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeStripe:
    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    # Path -> HTTP status to answer with an error instead (e.g. {"/v1/checkout/sessions": 500}).
    failures: dict[str, int] = field(default_factory=dict)
    # Subscription id -> its status at Stripe ("active", "canceled"...), for DELETE.
    subscriptions: dict[str, str] = field(default_factory=dict)
    # Connected account id -> the account as Stripe answers it.
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Checkout session id -> the session (sessions made on a connected account: Connect).
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # PaymentIntent id -> (the account it was made on, the PaymentIntent).
    payment_intents: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Account -> its PaymentIntents as (their charge's `created`, the order made, the id),
    # in that order: a list of charges reads a window of one account's, not all of them.
    charges_made: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    # Refund id -> (the account it was made on, the refund), in the order they were made.
    refunds: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Subscription id -> (its account, the subscription), for monthly gifts on Connect.
    connect_subscriptions: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Invoice id -> (its account, the invoice payment that paid it).
    invoice_payments: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Dispute id -> the dispute.
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (account, Idempotency-Key) -> (the parameters sent, the status and answer given).
    idempotent: dict[tuple[str, str], tuple[dict[str, str], int, dict[str, Any]]] = field(
        default_factory=dict
    )
    # Balance transaction id -> (the account, the transaction, the payout that settled it or
    # ""), in the order they were made; and the source each one records (charge or refund).
    balance_transactions: dict[str, tuple[str, dict[str, Any], str]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Payout id -> (the account, the payout); and the balance transactions each settled, in
    # their order (its own last).
    payouts: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    settled_by: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The time Stripe stamps on what it makes (`created`), None for the time now: a bench sets
    # it to the time of the event being made, as Stripe's charges come seconds before theirs.
    clock: int | None = None

    def now(self) -> int:
        return int(time.time()) if self.clock is None else self.clock

    def payment_intent_keep(self, account: str, payment_intent: dict[str, Any]) -> None:
        """A PaymentIntent made on the account, with its charge."""
        self.payment_intents[payment_intent["id"]] = (account, payment_intent)
        bisect.insort(
            self.charges_made.setdefault(account, []),
            (payment_intent["latest_charge"]["created"], next(_made), payment_intent["id"]),
        )

    def reset(self) -> None:
        self.connect_subscriptions.clear()
        self.invoice_payments.clear()
        self.disputes.clear()
        self.refunds.clear()
        self.idempotent.clear()
        self.requests.clear()
        self.failures.clear()
        self.subscriptions.clear()
        self.accounts.clear()
        self.sessions.clear()
        self.payment_intents.clear()
        self.charges_made.clear()
        self.balance_transactions.clear()
        self.sources.clear()
        self.payouts.clear()
        self.settled_by.clear()

    def account_onboarded(self, account_id: str, *, payouts: bool = True) -> None:
        """The owner finished Stripe's onboarding: the account takes charges (and pays out)."""
        self.accounts[account_id].update(
            charges_enabled=True, payouts_enabled=payouts, details_submitted=True
        )

    def gift_paid_on_checkout(
        self,
        *,
        account: str,
        cents: int,
        email: str,
        metadata: dict[str, str],
        currency: str = "usd",
        session_id: str | None = None,
    ) -> dict[str, Any]:
        """A one-time gift of `cents` paid by card on a Checkout session the giving page made on
        `account` (payment mode, `metadata` as the page sets it): the completed session, as
        checkout.session.completed carries it."""
        session_id = session_id or f"cs_1Test{next(_numbers):08d}"
        self.sessions[session_id] = {
            "id": session_id, "object": "checkout.session", "amount_subtotal": cents,
            "amount_total": cents, "currency": currency, "customer_email": email,
            "metadata": dict(metadata), "mode": "payment", "payment_intent": None,
            "payment_status": "unpaid", "status": "open", "_account": account,
            "_payment_intent_metadata": {},
        }  # fmt: skip
        return self.checkout_session_pay(session_id)

    def checkout_session_pay(self, session_id: str, *, method: str = "card") -> dict[str, Any]:
        """The donor pays a Checkout session made on a connected account, by `method` ("card",
        or "us_bank_account" for a bank debit that has cleared): the session becomes complete
        and paid, with a succeeded PaymentIntent whose charge carries Stripe's fee and the
        payment method's details. Returns the completed session, as the
        checkout.session.completed (or, for a bank debit, async_payment_succeeded) event
        carries it."""
        session = self.sessions[session_id]
        account = session["_account"]
        amount = int(session["amount_total"])
        fee = stripe_fee_cents(amount) if method == "card" else ach_fee_cents(amount)
        number = next(_numbers)
        created = self.now()
        balance_transaction = {
            "id": f"txn_1Test{number:08d}",
            "object": "balance_transaction",
            "amount": amount,
            "available_on": created + 2 * 86400,
            "created": created,
            "currency": session["currency"],
            "fee": fee,
            "fee_details": [
                {"amount": fee, "application": None, "currency": session["currency"],
                 "description": "Stripe processing fees", "type": "stripe_fee"}
            ],
            "net": amount - fee,
            "reporting_category": "charge",
            "source": f"ch_1Test{number:08d}",
            "status": "pending",
            "type": "charge",
        }  # fmt: skip
        charge = {
            "id": f"ch_1Test{number:08d}",
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "balance_transaction": balance_transaction,
            "billing_details": {"email": session.get("customer_email"), "name": None},
            "created": created,
            "currency": session["currency"],
            "paid": True,
            "payment_method_details": _payment_method_details(method),
            "status": "succeeded",
        }
        payment_intent = {
            "id": f"pi_3Test{number:08d}",
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount,
            "created": created,
            "currency": session["currency"],
            "latest_charge": charge,
            "metadata": session["_payment_intent_metadata"],
            "payment_method_types": [method],
            "status": "succeeded",
        }
        self.payment_intent_keep(account, payment_intent)
        self.balance_transaction_add(
            account,
            balance_transaction,
            source={
                **charge,
                "balance_transaction": balance_transaction["id"],
                "payment_intent": payment_intent["id"],
            },
        )
        session.update(
            payment_intent=payment_intent["id"],
            payment_status="paid",
            status="complete",
            customer_details={"email": session.get("customer_email"), "name": None},
        )
        return {key: value for key, value in session.items() if not key.startswith("_")}

    def _payment_made(
        self, *, account: str, amount: int, currency: str, method: str, metadata: dict[str, str]
    ) -> dict[str, Any]:
        """A succeeded PaymentIntent on the account, its charge and balance transaction carrying
        Stripe's fee, as a paid invoice of a subscription has."""
        fee = stripe_fee_cents(amount) if method == "card" else ach_fee_cents(amount)
        number = next(_numbers)
        created = self.now()
        charge = {
            "id": f"ch_1Test{number:08d}", "object": "charge", "amount": amount,
            "amount_captured": amount, "created": created, "currency": currency, "paid": True,
            "payment_method_details": _payment_method_details(method), "status": "succeeded",
            "balance_transaction": {
                "id": f"txn_1Test{number:08d}", "object": "balance_transaction",
                "amount": amount, "created": created, "currency": currency, "fee": fee,
                "net": amount - fee, "reporting_category": "charge",
                "source": f"ch_1Test{number:08d}", "status": "pending", "type": "charge",
            },
        }  # fmt: skip
        payment_intent_id = f"pi_3Test{number:08d}"
        payment_intent: dict[str, Any] = {
            "id": payment_intent_id, "object": "payment_intent", "amount": amount,
            "amount_received": amount, "created": created, "currency": currency,
            "latest_charge": charge, "metadata": metadata, "payment_method_types": [method],
            "status": "succeeded",
        }  # fmt: skip
        self.payment_intent_keep(account, payment_intent)
        # The charge enters the account's balance, for the next payout to pay out.
        transaction: dict[str, Any] = charge["balance_transaction"]  # type: ignore[assignment]
        self.balance_transaction_add(
            account,
            transaction,
            source={
                **charge,
                "balance_transaction": transaction["id"],
                "payment_intent": payment_intent_id,
            },
        )
        return payment_intent

    def subscription_checkout_pay(
        self,
        *,
        account: str,
        amount: int,
        metadata: dict[str, str],
        method: str = "card",
        email: str = "ada@example.org",
        name: str = "Ada Lovelace",
        address: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A donor starts a monthly gift of `amount` cents on Checkout (subscription mode) on the
        account: the completed session (as checkout.session.completed carries it) and the first
        invoice, paid (as invoice.paid carries it)."""
        number = next(_numbers)
        now = self.now()
        customer = f"cus_1Test{number:08d}"
        subscription_id = f"sub_1Test{number:08d}"
        subscription: dict[str, Any] = {
            "id": subscription_id, "object": "subscription",
            "cancel_at": None, "cancel_at_period_end": False, "canceled_at": None,
            "collection_method": "charge_automatically", "created": now, "currency": "usd",
            "customer": customer, "ended_at": None, "metadata": dict(metadata),
            "start_date": now, "status": "active",
            "items": {"object": "list", "data": [{
                "id": f"si_1Test{number:08d}", "object": "subscription_item", "quantity": 1,
                "current_period_start": now, "current_period_end": now + 30 * 86400,
                "price": {"id": f"price_1Test{number:08d}", "object": "price",
                          "currency": "usd", "unit_amount": amount,
                          "recurring": {"interval": "month", "interval_count": 1}},
            }]},
        }  # fmt: skip
        self.connect_subscriptions[subscription_id] = (account, subscription)
        details = {
            "email": email,
            "name": name,
            "address": address
            or {"city": None, "country": "US", "line1": None, "line2": None,
                "postal_code": "94107", "state": None},
        }  # fmt: skip
        session = {
            **_checkout_session({"mode": "subscription"}),
            "amount_subtotal": amount, "amount_total": amount, "currency": "usd",
            "customer": customer, "customer_details": details, "metadata": dict(metadata),
            "payment_method_types": [method], "payment_status": "paid", "status": "complete",
            "subscription": subscription_id,
        }  # fmt: skip
        first = self.subscription_invoice_pay(
            subscription_id, method=method, reason="subscription_create", customer=details
        )
        session["invoice"] = first["id"]
        return session, first

    def subscription_invoice_pay(
        self,
        subscription_id: str,
        *,
        method: str = "card",
        reason: str = "subscription_cycle",
        customer: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The subscription's next invoice, paid: the invoice as invoice.paid carries it (without
        its payments, which are read from /v1/invoice_payments), the period moved on a month."""
        account, subscription = self.connect_subscriptions[subscription_id]
        item = subscription["items"]["data"][0]
        amount = int(item["price"]["unit_amount"]) * int(item["quantity"])
        start = int(item["current_period_start"])
        if reason != "subscription_create":
            start = int(item["current_period_end"])
            item.update(current_period_start=start, current_period_end=start + 30 * 86400)
        payment_intent = self._payment_made(
            account=account, amount=amount, currency="usd", method=method, metadata={}
        )
        number = next(_numbers)
        customer = customer or {"email": "ada@example.org", "name": "Ada Lovelace"}
        invoice = {
            "id": f"in_1Test{number:08d}", "object": "invoice", "amount_due": amount,
            "amount_paid": amount, "amount_remaining": 0, "attempt_count": 1,
            "billing_reason": reason, "created": start, "currency": "usd",
            "customer": subscription["customer"], "customer_email": customer.get("email"),
            "customer_name": customer.get("name"), "customer_address": customer.get("address"),
            "lines": {"object": "list", "data": [{
                "id": f"il_1Test{number:08d}", "object": "line_item", "amount": amount,
                "period": {"start": start, "end": start + 30 * 86400},
            }]},
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"metadata": dict(subscription["metadata"]),
                                                "subscription": subscription_id}},
            "period_end": start, "period_start": start, "status": "paid",
        }  # fmt: skip
        self.invoice_payments[invoice["id"]] = (account, {
            "id": f"inpay_1Test{number:08d}", "object": "invoice_payment",
            "amount_paid": amount, "amount_requested": amount, "created": start,
            "currency": "usd", "invoice": invoice["id"], "is_default": True, "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": payment_intent["id"]},
            "status": "paid", "status_transitions": {"canceled_at": None, "paid_at": start},
        })  # fmt: skip
        return invoice

    def subscription_change(self, subscription_id: str, **changes: Any) -> dict[str, Any]:
        """The subscription changed at Stripe (`amount` in cents, `status`,
        `cancel_at_period_end`); a copy of it as customer.subscription.updated (or, with status
        "canceled", .deleted) carries it."""
        _, subscription = self.connect_subscriptions[subscription_id]
        item = subscription["items"]["data"][0]
        if "amount" in changes:
            item["price"] = {**item["price"], "unit_amount": changes.pop("amount")}
        if changes.get("status") == "canceled":
            subscription.update(canceled_at=self.now(), ended_at=self.now())
        subscription.update(changes)
        return json.loads(json.dumps(subscription))

    def dispute_open(
        self, payment_intent_id: str, *, amount: int | None = None, fee: int = 1500
    ) -> dict[str, Any]:
        """The donor's bank disputes the payment: Stripe takes the amount (all of the charge by
        default) and its dispute fee from the balance. The dispute, as charge.dispute.created
        carries it."""
        _, payment_intent = self.payment_intents[payment_intent_id]
        charge = payment_intent["latest_charge"]
        amount = int(charge["amount"]) if amount is None else amount
        number = next(_numbers)
        now = self.now()
        dispute = {
            "id": f"du_1Test{number:08d}", "object": "dispute", "amount": amount,
            "charge": charge["id"], "created": now, "currency": charge["currency"],
            "is_charge_refundable": False, "livemode": False, "metadata": {},
            "payment_intent": payment_intent_id, "reason": "fraudulent",
            "status": "needs_response",
            "balance_transactions": [{
                "id": f"txn_1Test{number:08d}", "object": "balance_transaction",
                "amount": -amount, "created": now, "currency": charge["currency"], "fee": fee,
                "net": -amount - fee, "reporting_category": "dispute", "type": "adjustment",
            }],
        }  # fmt: skip
        self.disputes[dispute["id"]] = dispute
        return json.loads(json.dumps(dispute))

    def dispute_close(self, dispute_id: str, *, won: bool, fee_returned: bool = True) -> dict:
        """The bank decides: won, Stripe gives the amount back (and the fee, `fee_returned`);
        lost, nothing comes back. The dispute, as charge.dispute.closed carries it."""
        dispute = self.disputes[dispute_id]
        if won:
            withdrawn = dispute["balance_transactions"][0]
            fee = -int(withdrawn["fee"]) if fee_returned else 0
            dispute["balance_transactions"].append({
                "id": f"txn_1Test{next(_numbers):08d}", "object": "balance_transaction",
                "amount": dispute["amount"], "created": self.now(),
                "currency": dispute["currency"], "fee": fee, "net": dispute["amount"] - fee,
                "reporting_category": "dispute_reversal", "type": "adjustment",
            })  # fmt: skip
        dispute["status"] = "won" if won else "lost"
        return json.loads(json.dumps(dispute))

    def refund_create(
        self, payment_intent_id: str, *, account: str, amount: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Stripe's answer to a refund of the PaymentIntent on `account` (all that is left of
        its charge by default): the refund, succeeded, with the charge's `amount_refunded`
        raised; 404 for another account's or an unknown PaymentIntent, 400 for more than is
        left (charge_already_refunded once nothing is)."""
        owner, payment_intent = self.payment_intents.get(payment_intent_id, ("", {}))
        if owner != account or not payment_intent:
            return 404, _error(
                404,
                message=f"No such payment_intent: '{payment_intent_id}'",
                code="resource_missing",
            )
        charge = payment_intent["latest_charge"]
        left = int(charge["amount"]) - int(charge.get("amount_refunded") or 0)
        amount = left if amount is None else amount
        if left <= 0:
            return 400, _error(
                400,
                message=f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        if amount <= 0 or amount > left:
            return 400, _error(
                400,
                message=f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount "
                f"on charge (${left / 100:.2f})",
                code="amount_too_large",
            )
        refund = {
            "id": f"re_1Test{next(_numbers):08d}",
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "metadata": {},
            "payment_intent": payment_intent_id,
            "reason": None,
            "status": "succeeded",
        }
        charge["amount_refunded"] = int(charge.get("amount_refunded") or 0) + amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.refunds[refund["id"]] = (account, refund)
        self.balance_transaction_add(
            account,
            balance_transaction_object(
                amount=-amount,
                fee=0,
                currency=str(charge["currency"]),
                kind="refund",
                source=refund["id"],
                created=refund["created"],
            ),
            source=refund,
        )
        return 200, refund

    def balance_transaction_add(
        self, account: str, transaction: dict[str, Any], *, source: dict[str, Any] | None = None
    ) -> None:
        """A transaction enters the account's balance (to be paid out by the next payout)."""
        with self.lock:
            self.balance_transactions[transaction["id"]] = (account, transaction, "")
            if source is not None:
                self.sources[transaction["id"]] = source

    def payout_make(
        self, account: str, *, arrival_date: int | None = None, status: str = "paid"
    ) -> dict[str, Any]:
        """Stripe pays out everything the account holds not yet paid out; returns the payout as
        payout.paid (or, with `status`, payout.failed) carries it."""
        created = self.now()
        with self.lock:
            settled = [
                key
                for key, (owner, _, payout) in self.balance_transactions.items()
                if owner == account and not payout
            ]
            total = sum(int(self.balance_transactions[key][1]["net"]) for key in settled)
            payout_id = f"po_1Test{next(_numbers):08d}"
            own = balance_transaction_object(
                amount=-total,
                fee=0,
                currency="usd",
                kind="payout",
                source=payout_id,
                created=created,
            )
            for key in [*settled, own["id"]]:
                owner, transaction, _ = self.balance_transactions.get(key, (account, own, ""))
                self.balance_transactions[key] = (owner, transaction, payout_id)
            self.settled_by[payout_id] = [*settled, own["id"]]
        payout = payout_object(
            payout_id,
            amount=total,
            arrival_date=arrival_date if arrival_date is not None else created + 2 * 86400,
            balance_transaction=own["id"],
            status=status,
            created=created,
        )
        self.payouts[payout_id] = (account, payout)
        return payout

    def payout_transactions(self, payout_id: str) -> list[dict[str, Any]]:
        """What the payout settled, its own transaction included, oldest first."""
        return [self.balance_transactions[key][1] for key in self.settled_by.get(payout_id, [])]

    def refund_in_dashboard(
        self, payment_intent_id: str, *, amount: int | None = None
    ) -> dict[str, Any]:
        """The organization refunds the payment in Stripe's dashboard; returns the charge as
        the `charge.refunded` event carries it (without its refunds, as in API versions since
        2022-11-15)."""
        account, payment_intent = self.payment_intents[payment_intent_id]
        status, answer = self.refund_create(payment_intent_id, account=account, amount=amount)
        assert status == 200, answer
        charge = payment_intent["latest_charge"]
        return {
            **{key: value for key, value in charge.items() if key != "balance_transaction"},
            "balance_transaction": charge["balance_transaction"]["id"],
            "payment_intent": payment_intent_id,
        }

    def refunds_of(self, payment_intent_id: str) -> list[dict[str, Any]]:
        return [
            refund
            for _, refund in self.refunds.values()
            if refund["payment_intent"] == payment_intent_id
        ]

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        assert isinstance(host, str)  # bound to 127.0.0.1 by name
        return f"http://{host}:{port}"

    def calls(self, path: str) -> list[Recorded]:
        return [request for request in self.requests if request.path == path]


def balance_transaction_object(
    *, amount: int, fee: int, currency: str, kind: str, source: str, created: int
) -> dict[str, Any]:
    """A balance transaction as Stripe answers it (amounts in cents; money out negative)."""
    category = {"charge": "charge", "refund": "refund", "payout": "payout"}.get(kind, "other")
    return {
        "id": f"txn_1Test{next(_numbers):08d}",
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * 86400,
        "created": created,
        "currency": currency,
        "description": None,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [],
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available",
        "type": kind,
    }


def payout_object(
    payout_id: str,
    *,
    amount: int,
    arrival_date: int,
    balance_transaction: str,
    status: str,
    created: int,
) -> dict[str, Any]:
    """A payout as Stripe answers it (and as payout.paid and payout.failed carry it)."""
    failed = status == "failed"
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": True,
        "balance_transaction": balance_transaction,
        "created": created,
        "currency": "usd",
        "description": "STRIPE PAYOUT",
        "destination": "ba_1TestBankAccount",
        "failure_balance_transaction": None,
        "failure_code": "account_closed" if failed else None,
        "failure_message": "The bank account has been closed." if failed else None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "reconciliation_status": "completed",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": status,
        "trace_id": None,
        "type": "bank_account",
    }


def _balance_transactions(
    fake: FakeStripe, account: str, query: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """GET /v1/balance_transactions?payout=: the payout's transactions on its account, newest
    first, a page of `limit` (10 by default, 100 at most) after `starting_after`."""
    payout_id = query.get("payout", "")
    owner, _ = fake.payouts.get(payout_id, ("", {}))
    if owner != account:
        return 404, _error(404, message=f"No such payout: '{payout_id}'", code="resource_missing")
    expand = "data.source" in {value for key, value in query.items() if key.startswith("expand")}
    listed = list(reversed(fake.payout_transactions(payout_id)))
    after = query.get("starting_after")
    if after:
        ids = [transaction["id"] for transaction in listed]
        listed = listed[ids.index(after) + 1 :] if after in ids else []
    limit = min(int(query.get("limit") or 10), 100)
    page = [
        {**transaction, "source": fake.sources[transaction["id"]]}
        if expand and transaction["id"] in fake.sources
        else transaction
        for transaction in listed[:limit]
    ]
    return 200, {
        "object": "list",
        "data": page,
        "has_more": len(listed) > limit,
        "url": "/v1/balance_transactions",
    }


def _charges(fake: FakeStripe, account: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """GET /v1/charges: the account's charges (each PaymentIntent's latest), newest first,
    `created[gte]` and `created[lte]` bounding them, a page of `limit` (10 by default, 100 at
    most) after `starting_after`; `expand[]=data.balance_transaction` gives each its balance
    transaction, else its id."""
    expand = "data.balance_transaction" in {
        value for key, value in query.items() if key.startswith("expand")
    }
    since, until = query.get("created[gte]"), query.get("created[lte]")
    after = query.get("starting_after")
    limit = min(int(query.get("limit") or 10), 100)
    # Newest first (by `created`, then the order made), only as far as the page and one more:
    # a list read is a window of the account's charges, and a bench makes tens of thousands.
    made = fake.charges_made.get(account, [])
    first = bisect.bisect_left(made, (int(since),)) if since else 0
    end = bisect.bisect_left(made, (int(until) + 1,)) if until else len(made)
    listed: list[dict[str, Any]] = []
    found_after = not after
    for _, _, payment_intent_id in reversed(made[first:end]):
        charge = fake.payment_intents[payment_intent_id][1]["latest_charge"]
        if not found_after:
            found_after = charge["id"] == after
            continue
        transaction = charge.get("balance_transaction")
        if not expand and isinstance(transaction, dict):
            transaction = transaction["id"]
        listed.append(
            {**charge, "balance_transaction": transaction, "payment_intent": payment_intent_id}
        )
        if len(listed) > limit:
            break
    return 200, {
        "object": "list",
        "data": listed[:limit],
        "has_more": len(listed) > limit,
        "url": "/v1/charges",
    }


def _customer(params: dict[str, str]) -> dict[str, Any]:
    number = next(_numbers)
    return {
        "id": f"cus_test{number:06d}",
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": int(time.time()),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": params.get("email"),
        "invoice_prefix": f"ABC{number:04d}",
        "invoice_settings": {"custom_fields": None, "default_payment_method": None},
        "livemode": False,
        "metadata": {
            key[len("metadata[") : -1]: value
            for key, value in params.items()
            if key.startswith("metadata[")
        },
        "name": params.get("name"),
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def _checkout_session(params: dict[str, str]) -> dict[str, Any]:
    number = next(_numbers)
    session_id = f"cs_test_a1{number:06d}"
    return {
        "id": session_id,
        "object": "checkout.session",
        "allow_promotion_codes": None,
        "amount_subtotal": None,
        "amount_total": None,
        "billing_address_collection": None,
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "created": int(time.time()),
        "currency": None,
        "customer": params.get("customer"),
        "customer_email": None,
        "expires_at": int(time.time()) + 86400,
        "livemode": False,
        "locale": None,
        "metadata": {
            key[len("metadata[") : -1]: value
            for key, value in params.items()
            if key.startswith("metadata[")
        },
        "mode": params.get("mode"),
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "setup_intent": None,
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "ui_mode": "hosted",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
    }


def stripe_fee_cents(amount_cents: int) -> int:
    """Stripe's standard card fee in the US, 2.9% + 30c, rounded to the cent as Stripe does."""
    return (amount_cents * 29 + 500) // 1000 + 30


def ach_fee_cents(amount_cents: int) -> int:
    """Stripe's ACH Direct Debit fee in the US, 0.8% capped at $5.00, rounded to the cent."""
    return min((amount_cents * 8 + 500) // 1000, 500)


def _payment_method_details(method: str) -> dict[str, Any]:
    """A charge's payment_method_details as Stripe gives them for a card or a bank debit."""
    if method == "card":
        return {
            "type": "card",
            "card": {
                "brand": "visa", "country": "US", "exp_month": 12, "exp_year": 2030,
                "funding": "credit", "last4": "4242", "network": "visa",
            },
        }  # fmt: skip
    if method == "us_bank_account":
        return {
            "type": "us_bank_account",
            "us_bank_account": {
                "account_holder_type": "individual", "account_type": "checking",
                "bank_name": "STRIPE TEST BANK", "fingerprint": "FFDMA0xfhBjWSZLu",
                "last4": "6789", "payment_method": None, "routing_number": "110000000",
            },
        }  # fmt: skip
    raise ValueError(f"The fake Stripe server does not pay by {method}.")


def _metadata(params: dict[str, str], prefix: str = "metadata") -> dict[str, str]:
    found = {}
    for key, value in params.items():
        rest = key[len(prefix) + 1 :] if key.startswith(f"{prefix}[") else ""
        if rest.endswith("]") and "[" not in rest:
            found[rest[:-1]] = value
    return found


def _account(params: dict[str, str]) -> dict[str, Any]:
    number = next(_numbers)
    return {
        "id": f"acct_1Test{number:010d}",
        "object": "account",
        "business_profile": {"name": params.get("business_profile[name]")},
        "business_type": None,
        "capabilities": {},
        "charges_enabled": False,
        "country": "US",
        "created": int(time.time()),
        "default_currency": "usd",
        "details_submitted": False,
        "email": params.get("email"),
        "metadata": _metadata(params),
        "payouts_enabled": False,
        "type": params.get("type", "standard"),
    }


def _account_link(params: dict[str, str]) -> dict[str, Any]:
    return {
        "object": "account_link",
        "created": int(time.time()),
        "expires_at": int(time.time()) + 300,
        "url": f"https://connect.stripe.com/setup/s/{params.get('account')}/Test{next(_numbers):06d}",
    }


def _connect_checkout_session(params: dict[str, str], account: str) -> dict[str, Any]:
    """A Checkout session on a connected account, priced by its one line item: payment mode,
    or subscription mode (its price recurring; the subscription's metadata kept for when it is
    paid). The payment method types asked for are the session's (card when none are)."""
    session = _checkout_session(params)
    amount = int(params.get("line_items[0][price_data][unit_amount]") or 0) * int(
        params.get("line_items[0][quantity]") or 1
    )
    methods = [
        value for key, value in sorted(params.items()) if key.startswith("payment_method_types[")
    ]
    session.update(
        amount_subtotal=amount,
        amount_total=amount,
        currency=params.get("line_items[0][price_data][currency]"),
        customer_email=params.get("customer_email"),
        payment_method_types=methods or ["card"],
        _payment_intent_metadata=_metadata(params, "payment_intent_data[metadata]"),
        _subscription_metadata=_metadata(params, "subscription_data[metadata]"),
        _account=account,
    )
    return session


def _portal_session(params: dict[str, str]) -> dict[str, Any]:
    number = next(_numbers)
    return {
        "id": f"bps_1Test{number:06d}",
        "object": "billing_portal.session",
        "configuration": "bpc_1TestConfiguration",
        "created": int(time.time()),
        "customer": params.get("customer"),
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": params.get("return_url"),
        "url": f"https://billing.stripe.com/p/session/test_YWNjdF8x{number:06d}",
    }


ANSWERS = {
    "/v1/customers": _customer,
    "/v1/checkout/sessions": _checkout_session,
    "/v1/billing_portal/sessions": _portal_session,
}
SUBSCRIPTIONS = "/v1/subscriptions/"


def _error(status: int, *, message: str = "", code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "type": "api_error" if status >= 500 else "invalid_request_error",
        "message": message or f"Fake Stripe answers {status} here.",
    }
    if code is not None:
        error.update(code=code, param="id", doc_url=f"https://stripe.com/docs/error-codes/{code}")
    return {"error": error}


def _subscription_cancel(fake: FakeStripe, subscription_id: str) -> tuple[int, dict[str, Any]]:
    """Stripe's answer to DELETE /v1/subscriptions/<id>: the cancelled subscription, or 404
    resource_missing for an unknown one or one cancelled before."""
    if fake.subscriptions.get(subscription_id, "canceled") == "canceled":
        return 404, _error(
            404, message=f"No such subscription: '{subscription_id}'", code="resource_missing"
        )
    fake.subscriptions[subscription_id] = "canceled"
    now = int(time.time())
    answer = subscription_object(
        subscription=subscription_id, customer="cus_unknown", status="canceled", period_end=now
    )
    answer.update(canceled_at=now, ended_at=now)
    return 200, answer


def _post_answer(
    fake: FakeStripe, path: str, params: dict[str, str], account: str
) -> tuple[int, dict[str, Any]]:
    status = fake.failures.get(path)
    answer = ANSWERS.get(path)
    if status is not None:
        return status, _error(status)
    if path == "/v1/refunds":
        amount = params.get("amount")
        return fake.refund_create(
            params.get("payment_intent", ""),
            account=account,
            amount=int(amount) if amount else None,
        )
    if path == "/v1/checkout/sessions" and account:
        session = _connect_checkout_session(params, account)
        fake.sessions[session["id"]] = session
        return 200, {key: value for key, value in session.items() if not key.startswith("_")}
    if path == "/v1/accounts":
        created = _account(params)
        fake.accounts[created["id"]] = created
        return 200, created
    if path == "/v1/account_links" and params.get("account") in fake.accounts:
        return 200, _account_link(params)
    if answer is not None:
        return 200, answer(params)
    return 404, _error(404, code="resource_missing")


def _idempotent_post(
    fake: FakeStripe, path: str, params: dict[str, str], account: str, key: str
) -> tuple[int, dict[str, Any]]:
    """Stripe's idempotency: a request sent again with the same Idempotency-Key gets the first
    answer back (nothing made twice); the key with other parameters is refused."""
    if not key or path != "/v1/refunds":
        return _post_answer(fake, path, params, account)
    first = fake.idempotent.get((account, key))
    if first is not None:
        sent, status, answer = first
        if sent != params:
            return 400, {
                "error": {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same "
                    "parameters they were first used with.",
                }
            }
        return status, answer
    status, answer = _post_answer(fake, path, params, account)
    if status < 500 and fake.failures.get(path) is None:
        fake.idempotent[(account, key)] = (params, status, answer)
    return status, answer


def _get_answer(
    fake: FakeStripe, path: str, account: str, query: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    status = fake.failures.get(path)
    kind, _, object_id = path.rpartition("/")
    if status is not None:
        return status, _error(status)
    if path == "/v1/refunds":
        found = [
            refund
            for owner, refund in reversed(fake.refunds.values())
            if owner == account and refund["payment_intent"] == (query or {}).get("payment_intent")
        ]
        return 200, {"object": "list", "data": found, "has_more": False, "url": "/v1/refunds"}
    if kind == "/v1/subscriptions" and object_id in fake.connect_subscriptions:
        owner, subscription = fake.connect_subscriptions[object_id]
        if owner == account:
            return 200, subscription
    if path == "/v1/invoice_payments":
        owner, payment = fake.invoice_payments.get((query or {}).get("invoice", ""), ("", {}))
        found = [payment] if owner == account and payment else []
        return 200, {"object": "list", "data": found, "has_more": False, "url": path}
    if path == "/v1/balance_transactions":
        return _balance_transactions(fake, account, query or {})
    if path == "/v1/charges":
        return _charges(fake, account, query or {})
    if kind == "/v1/payouts" and fake.payouts.get(object_id, ("", {}))[0] == account:
        return 200, fake.payouts[object_id][1]
    if kind == "/v1/accounts" and object_id in fake.accounts:
        return 200, fake.accounts[object_id]
    if kind == "/v1/payment_intents" and object_id in fake.payment_intents:
        owner, payment_intent = fake.payment_intents[object_id]
        # Another account's PaymentIntent: Stripe answers as if it did not exist.
        if owner == account:
            return 200, payment_intent
    return 404, _error(404, code="resource_missing")


def fake_stripe_start() -> FakeStripe:
    holder: dict[str, FakeStripe] = {}

    class Handler(BaseHTTPRequestHandler):
        # Connections kept alive, as Stripe keeps them: a client's next call reuses its own.
        # Without Nagle's delay, an answer's headers and body, written apart, go at once.
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
            return  # quiet: tests read `requests` instead

        def _record(self, params: dict[str, str]) -> tuple[FakeStripe, str]:
            fake = holder["fake"]
            path = urlsplit(self.path).path
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.requests.append(Recorded(self.command, path, params, headers))
            return fake, path

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            params = self._params(self.rfile.read(length).decode())
            fake, path = self._record(params)
            account = self.headers.get("Stripe-Account") or ""
            key = self.headers.get("Idempotency-Key") or ""
            self._answer(*_idempotent_post(fake, path, params, account, key))

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            query = self._params(urlsplit(self.path).query)
            fake, path = self._record(query)
            account = self.headers.get("Stripe-Account") or ""
            self._answer(*_get_answer(fake, path, account, query))

        def do_DELETE(self) -> None:  # noqa: N802 - http.server's name
            fake, path = self._record(self._params(urlsplit(self.path).query))
            status = fake.failures.get(path)
            if status is not None:
                self._answer(status, _error(status))
            elif path.startswith(SUBSCRIPTIONS) and "/" not in path[len(SUBSCRIPTIONS) :]:
                self._answer(*_subscription_cancel(fake, path[len(SUBSCRIPTIONS) :]))
            else:
                self._answer(404, _error(404))

        @staticmethod
        def _params(encoded: str) -> dict[str, str]:
            return dict(parse_qsl(encoded, keep_blank_values=True))

        def _answer(self, status: int, content: dict[str, Any]) -> None:
            data = json.dumps(content).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_test{next(_numbers)}")
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeStripe(server=server)
    holder["fake"] = fake
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake


# --- Webhook events --------------------------------------------------------------------------


def event(
    kind: str,
    obj: dict[str, Any],
    *,
    created: int,
    event_id: str | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """A Stripe event (snapshot payload) around `obj`; a connected `account`'s event (Connect)
    names it."""
    return {
        **({"account": account} if account is not None else {}),
        "id": event_id or f"evt_1Test{next(_numbers):010d}",
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def checkout_completed(
    *, organization_id: int, customer: str, subscription: str, plan_code: str, paid: bool = True
) -> dict[str, Any]:
    return {
        "id": f"cs_test_b1{next(_numbers):06d}",
        "object": "checkout.session",
        "client_reference_id": str(organization_id),
        "customer": customer,
        "metadata": {"organization_id": str(organization_id), "plan_code": plan_code},
        "mode": "subscription",
        "payment_status": "paid" if paid else "no_payment_required",
        "status": "complete",
        "subscription": subscription,
    }


def invoice(
    *, customer: str, subscription: str, period_start: int, period_end: int, status: str
) -> dict[str, Any]:
    return {
        "id": f"in_1Test{next(_numbers):08d}",
        "object": "invoice",
        "amount_due": 4900,
        "amount_paid": 4900 if status == "paid" else 0,
        "attempt_count": 1,
        "billing_reason": "subscription_cycle",
        "currency": "usd",
        "customer": customer,
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": f"il_1Test{next(_numbers):08d}",
                    "object": "line_item",
                    "amount": 4900,
                    "period": {"start": period_start, "end": period_end},
                }
            ],
        },
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": subscription},
        },
        "period_end": period_start,
        "period_start": period_start,
        "status": status,
    }


def subscription_object(
    *,
    subscription: str,
    customer: str,
    status: str,
    period_end: int,
    price: str = "price_standard_monthly",
) -> dict[str, Any]:
    return {
        "id": subscription,
        "object": "subscription",
        "cancel_at_period_end": False,
        "created": period_end - 40 * 86400,
        "customer": customer,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_Test{next(_numbers):08d}",
                    "object": "subscription_item",
                    "current_period_end": period_end,
                    "current_period_start": period_end - 30 * 86400,
                    "price": {"id": price, "object": "price", "unit_amount": 4900},
                    "quantity": 1,
                }
            ],
        },
        "status": status,
        "trial_end": None,
    }


def signed(
    payload: dict[str, Any] | bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, str]:
    """The body and Stripe-Signature header of a delivery, signed as Stripe signs them."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={timestamp},v1={signature}"
