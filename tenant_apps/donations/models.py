"""Gifts and how they reach the books: campaigns, gifts split across funds (allocations), soft
credits to other donors, and deposits (batches of checks and cash taken to the bank).

Rows here are written by donations' services only; a posted gift's journal entry is written by
accounting.services, and the gift keeps a protected reference to it.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models


class GiftMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    CARD = "card", "Card"
    ACH = "ach", "ACH"
    STOCK = "stock", "Stock"
    IN_KIND = "in_kind", "In-kind"


class GiftSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    ONLINE = "online", "Online"
    CHECK_SCAN = "check_scan", "Check scan"
    IMPORT = "import", "Import"


class GiftState(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    REFUNDED = "refunded", "Refunded"
    # Entered in error or never received (a bounced check): out of every giving total, and
    # out of the books by a reversal when it had been posted.
    VOIDED = "voided", "Void"


class DisputeStatus(models.TextChoices):
    """Where a gift stands with a card dispute (a chargeback) the donor's bank opened."""

    NONE = "", "Not disputed"
    OPEN = "open", "Disputed"
    WON = "won", "Dispute won"
    LOST = "lost", "Dispute lost"


class TributeType(models.TextChoices):
    NONE = "none", "None"
    HONOR = "honor", "In honor of"
    MEMORY = "memory", "In memory of"


class DepositState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    # A Stripe payout the bank sent back: its entry reversed, or never made when Stripe said
    # so before it said the payout was paid.
    FAILED = "failed", "Payout failed"


class Campaign(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    goal = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # Its public giving page, /give/<slug>/: open to donors only while `is_public` (and the
    # campaign has not ended), with the story and image fundraisers write for it. A campaign
    # with `giving_fund` sends every gift there; without one the donor chooses among the funds
    # the organization offers.
    slug = models.CharField(max_length=60, blank=True)
    is_public = models.BooleanField(default=False)
    story = models.TextField(blank=True)
    image = models.CharField(
        max_length=200,
        blank=True,
        help_text="The page image's file name in the organization's own storage; empty: none.",
    )
    giving_fund = models.ForeignKey(
        "accounting.Fund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(goal__gte=0), name="campaign_goal_not_negative"
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=~models.Q(slug=""), name="campaign_slug_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(slug__regex=r"^([a-z0-9]+(-[a-z0-9]+)*)?$"),
                name="campaign_slug_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(is_public=False) | ~models.Q(slug=""),
                name="campaign_public_has_slug",
            ),
            models.CheckConstraint(
                condition=models.Q(start__isnull=True)
                | models.Q(end__isnull=True)
                | models.Q(end__gte=models.F("start")),
                name="campaign_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class GivingPageSettings(models.Model):
    """How the organization's giving pages may be shown inside other sites (one row, pk 1):
    the origins allowed to frame them (CSP frame-ancestors), one a line; none: no framing."""

    frame_ancestors = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "giving page settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="giving_page_settings_singleton")
        ]

    def __str__(self) -> str:
        return "Giving page settings"

    @property
    def frame_origins(self) -> list[str]:
        return [line for line in self.frame_ancestors.split() if line]


class GivingFund(models.Model):
    """A fund donors may choose on the public giving page (/give/). The general fund is always
    offered; these are the others the organization allows, chosen in its settings."""

    fund = models.OneToOneField("accounting.Fund", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fund__code"]

    def __str__(self) -> str:
        return f"Offered online: {self.fund_id}"


class Deposit(models.Model):
    """A batch of checks and cash taken to the bank. It closes only when its gifts match the
    count and total counted by hand; closing moves them from undeposited funds to the bank.

    Or a Stripe payout (`stripe_payout_id` set): recorded closed, its entry moving the payout's
    amount from Stripe clearing to the bank on the day it arrives, with the balance
    transactions it settled (PayoutTransaction) and through them its gifts."""

    deposit_on = models.DateField()
    bank_account = models.ForeignKey(
        "accounting.Account", on_delete=models.PROTECT, related_name="+"
    )
    expected_count = models.PositiveIntegerField()
    expected_total = models.DecimalField(max_digits=14, decimal_places=2)
    state = models.CharField(max_length=10, choices=DepositState.choices, default=DepositState.OPEN)
    journal_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The entry that moved the gifts to the bank, once closed.",
    )
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Stripe's payout id (po_...) for a payout of online gifts; empty for checks and cash.
    stripe_payout_id = models.CharField(max_length=255, blank=True, default="")
    reversal_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The entry that took a failed payout back out of the bank.",
    )

    class Meta:
        ordering = ["-deposit_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=DepositState.values), name="deposit_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expected_total__gt=0), name="deposit_expected_total_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=(DepositState.OPEN, DepositState.FAILED))
                | models.Q(journal_entry__isnull=False),
                name="deposit_closed_has_entry",
            ),
            # Only a payout fails, and a failed payout that was in the books is out of them.
            models.CheckConstraint(
                condition=~models.Q(state=DepositState.FAILED)
                | (
                    ~models.Q(stripe_payout_id="")
                    & (
                        models.Q(journal_entry__isnull=True)
                        | models.Q(reversal_entry__isnull=False)
                    )
                ),
                name="deposit_failed_payout_reversed",
            ),
            # One deposit a payout, whichever of its events comes first or again.
            models.UniqueConstraint(
                fields=["stripe_payout_id"],
                condition=~models.Q(stripe_payout_id=""),
                name="deposit_stripe_payout_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Deposit {self.pk} of {self.deposit_on}"


# Stripe's balance transaction types that record a donor's payment.
PAYOUT_CHARGE_TYPES = ("charge", "payment")


class PayoutTransaction(models.Model):
    """A balance transaction a Stripe payout settled (a charge, with the fee Stripe kept from
    it; a refund; a dispute or its reversal; an adjustment), as Stripe lists it for the payout.
    A charge's or a refund's gift is the one whose payment reference is its PaymentIntent,
    whenever that gift is recorded, before the payout or after it."""

    deposit = models.ForeignKey(Deposit, on_delete=models.CASCADE, related_name="transactions")
    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=40)
    reporting_category = models.CharField(max_length=40, blank=True)
    # The charge, refund or dispute it records, and the PaymentIntent that was paid.
    source_id = models.CharField(max_length=255, blank=True)
    payment_intent = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    fee = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    net = models.DecimalField(max_digits=14, decimal_places=2)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["deposit", "id"]
        indexes = [
            models.Index(
                fields=["payment_intent"],
                condition=~models.Q(payment_intent=""),
                name="payouttx_payment_intent",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(net=models.F("amount") - models.F("fee")),
                name="payouttx_net_is_amount_less_fee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type} {self.net}"


class Gift(models.Model):
    donor = models.ForeignKey("donors.Donor", on_delete=models.PROTECT, related_name="gifts")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # Set by services.gifts from the books' currency (AccountingSettings.currency).
    currency = models.CharField(max_length=3, default="USD")
    received_on = models.DateField()
    method = models.CharField(max_length=10, choices=GiftMethod.choices)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="gifts"
    )
    designation = models.CharField(max_length=500, blank=True)
    tribute_type = models.CharField(
        max_length=10, choices=TributeType.choices, default=TributeType.NONE
    )
    tribute_name = models.CharField(max_length=200, blank=True)
    notify_name = models.CharField(max_length=200, blank=True)
    notify_email = models.EmailField(blank=True)
    # When the person to tell (notify_email) was emailed that the gift was made: set once, in
    # the transaction that sends it, so a task run again never sends it twice.
    notify_sent_at = models.DateTimeField(null=True, blank=True)
    # The donor asked that their name not be shown with the gift (online giving's "give
    # anonymously"): lists of donors the organization publishes leave it out.
    anonymous = models.BooleanField(default=False)
    goods_services_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="Good-faith value of goods or services given in return (for the receipt).",
    )
    goods_services_description = models.CharField(max_length=500, blank=True)
    in_kind_description = models.CharField(max_length=1000, blank=True)
    check_number = models.CharField(max_length=40, blank=True)
    # The processor's id (a Stripe charge or payment intent): unique, so a webhook replayed
    # cannot record the same payment twice.
    payment_reference = models.CharField(max_length=200, blank=True)
    # The Stripe invoice a monthly gift's installment was paid by: unique, so that an
    # `invoice.paid` delivered twice (or in any order) records one gift.
    stripe_invoice_id = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=20, choices=GiftSource.choices, default=GiftSource.MANUAL)
    state = models.CharField(max_length=10, choices=GiftState.choices, default=GiftState.DRAFT)
    # Set from the gift's disputes (services.online_disputes): open while the bank decides.
    dispute_status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, blank=True, default=DisputeStatus.NONE
    )
    journal_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Why the gift was voided, who voided it and when, and the entry that reversed its posting
    # (none for a draft voided: it was never in the books).
    void_reason = models.CharField(max_length=500, blank=True)
    void_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voided_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    deposit = models.ForeignKey(
        Deposit, null=True, blank=True, on_delete=models.PROTECT, related_name="gifts"
    )
    # A payment on a pledge: posted, it settles the pledge's receivable instead of being
    # revenue again (see services.pledges).
    pledge = models.ForeignKey(
        "donations.Pledge",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    # The recurring gift whose schedule made this gift (one gift per date: see Meta).
    recurring_gift = models.ForeignKey(
        "donations.RecurringGift",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gifts",
    )
    # The CSV import that brought the gift in, so that its drafts can be found and posted.
    import_job = models.ForeignKey(
        "donations.ImportJob",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gifts",
    )
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="gift_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(goods_services_value__gte=0),
                name="gift_goods_services_value_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=GiftMethod.values), name="gift_method_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=GiftSource.values), name="gift_source_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=GiftState.values), name="gift_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(tribute_type__in=TributeType.values),
                name="gift_tribute_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(tribute_type=TributeType.NONE) | ~models.Q(tribute_name=""),
                name="gift_tribute_names_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=(GiftState.DRAFT, GiftState.VOIDED))
                | models.Q(journal_entry__isnull=False),
                name="gift_posted_has_entry",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=GiftState.VOIDED) | ~models.Q(void_reason=""),
                name="gift_voided_has_reason",
            ),
            # A gift voided after it was posted has the entry that took it out of the books.
            models.CheckConstraint(
                condition=~models.Q(state=GiftState.VOIDED)
                | models.Q(journal_entry__isnull=True)
                | models.Q(void_entry__isnull=False),
                name="gift_voided_posting_reversed",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=GiftState.REFUNDED)
                | models.Q(refund_entry__isnull=False),
                name="gift_refunded_has_refund_entry",
            ),
            models.UniqueConstraint(
                fields=["payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="gift_payment_reference_unique",
            ),
            # A recurring gift's run is repeatable: a second run on the same day makes nothing.
            # A monthly gift through Stripe has one gift per invoice instead (two may be paid
            # the same day: a retried payment, a change of amount).
            models.UniqueConstraint(
                fields=["recurring_gift", "received_on"],
                condition=models.Q(recurring_gift__isnull=False, stripe_invoice_id=""),
                name="gift_one_per_recurring_date",
            ),
            models.UniqueConstraint(
                fields=["stripe_invoice_id"],
                condition=~models.Q(stripe_invoice_id=""),
                name="gift_stripe_invoice_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(dispute_status__in=DisputeStatus.values),
                name="gift_dispute_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["donor", "-received_on"], name="gift_donor_received"),
            models.Index(fields=["-received_on", "-id"], name="gift_received_order"),
            models.Index(fields=["state", "method"], name="gift_state_method"),
            # The gift list's "disputed" filter: the few disputed gifts among many.
            models.Index(
                fields=["dispute_status"],
                condition=~models.Q(dispute_status=""),
                name="gift_disputed",
            ),
            # The dashboard's giving by day and by campaign, read from the index alone: a range
            # of days or a campaign's posted gifts without visiting the table (bench/pages.py).
            models.Index(
                fields=["received_on"],
                include=["amount"],
                condition=models.Q(state=GiftState.POSTED),
                name="gift_posted_by_day",
            ),
            models.Index(
                fields=["campaign"],
                include=["amount"],
                condition=models.Q(state=GiftState.POSTED),
                name="gift_posted_by_campaign",
            ),
            # The drafts waiting to be posted, counted and totalled on the dashboard.
            models.Index(
                fields=["id"],
                include=["amount"],
                condition=models.Q(state=GiftState.DRAFT),
                name="gift_drafts",
            ),
        ]

    def __str__(self) -> str:
        return f"Gift {self.pk}: {self.amount} {self.currency}"


class DonorGivingYear(models.Model):
    """A donor's posted giving in one fiscal year: what the dashboard's lapsed donors (gave last
    fiscal year, not yet this one) read instead of summing two years of gifts. Kept by the
    database from the gifts (migration 0012_donor_giving_years_kept), like the donor's lifetime
    total; never written by code. A donor has a row for each fiscal year it gave in."""

    donor = models.ForeignKey("donors.Donor", on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.IntegerField()
    total = models.DecimalField(max_digits=14, decimal_places=2)
    gift_count = models.PositiveIntegerField()
    last_gift_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["donor", "fiscal_year"], name="donorgivingyear_one_per_year"
            ),
        ]
        indexes = [
            # A fiscal year's donors, the largest givers first (the lapsed donors to call).
            models.Index(fields=["fiscal_year", "-total", "donor"], name="donorgivingyear_largest"),
        ]

    def __str__(self) -> str:
        return f"Donor {self.donor_id}, FY{self.fiscal_year}: {self.total}"


class GiftRefund(models.Model):
    """Money given back on a posted gift, whole or in part, with the entry that took it out of
    the books. A refund made at Stripe (from the gift's page, or in Stripe's dashboard and
    reported by the Connect webhook) carries Stripe's refund id, so that it is recorded once
    whichever way it arrives. The refunds of a gift never add up to more than its amount
    (services.gifts); when they reach it, the gift is refunded."""

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    refunded_on = models.DateField()
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    journal_entry = models.ForeignKey(
        "accounting.JournalEntry", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["refunded_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="giftrefund_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["stripe_refund_id"],
                condition=~models.Q(stripe_refund_id=""),
                name="giftrefund_stripe_refund_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.amount} on gift {self.gift_id}"


class GiftDispute(models.Model):
    """A card dispute (chargeback) on an online gift, from the Connect webhook's
    `charge.dispute.created` and `.closed`, recorded once by Stripe's dispute id. The entries
    that moved the disputed money out of Stripe clearing while the bank decided, and back when
    it was decided, are kept with it (services.online_disputes says how the books see it)."""

    gift = models.ForeignKey(Gift, on_delete=models.PROTECT, related_name="disputes")
    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    fee = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, help_text="Stripe's dispute fee."
    )
    fee_returned = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    reason = models.CharField(max_length=50, blank=True, help_text="The bank's reason.")
    # Stripe's own status (needs_response, under_review, won, lost...), for the staff.
    stripe_status = models.CharField(max_length=30, blank=True)
    outcome = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    hold_entry = models.ForeignKey(
        "accounting.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    release_entry = models.ForeignKey(
        "accounting.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["opened_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="giftdispute_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(fee__gte=0) & models.Q(fee_returned__gte=0),
                name="giftdispute_fees_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    outcome__in=(DisputeStatus.OPEN, DisputeStatus.WON, DisputeStatus.LOST)
                ),
                name="giftdispute_outcome_valid",
            ),
            # A decided dispute has given its hold back (won or lost, see the service).
            models.CheckConstraint(
                condition=models.Q(outcome=DisputeStatus.OPEN)
                | (models.Q(closed_on__isnull=False) & models.Q(release_entry__isnull=False)),
                name="giftdispute_closed_released",
            ),
        ]

    def __str__(self) -> str:
        return f"Dispute {self.stripe_dispute_id} on gift {self.gift_id}"


class GiftAllocation(models.Model):
    """The part of a gift that goes to one fund. A gift's allocations add up to its amount:
    services.allocations checks it, and a deferred trigger at commit (migration
    0002_gift_allocations_add_up)."""

    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="allocations")
    fund = models.ForeignKey("accounting.Fund", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="giftallocation_amount_positive"
            ),
            models.UniqueConstraint(fields=["gift", "fund"], name="giftallocation_one_per_fund"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} to {self.fund_id}"


class SoftCredit(models.Model):
    """Recognition of a gift given to another donor (a spouse, a donor-advised fund's
    adviser); it is not money and never reaches the books."""

    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="soft_credits")
    donor = models.ForeignKey("donors.Donor", on_delete=models.PROTECT, related_name="soft_credits")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="softcredit_amount_positive"
            ),
            models.UniqueConstraint(fields=["gift", "donor"], name="softcredit_one_per_donor"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} to donor {self.donor_id}"


# --- Receipts (IRS Publication 1771) ------------------------------------------------------------


class ReceiptKind(models.TextChoices):
    GIFT = "gift", "Receipt for one gift"
    YEAR_END = "year_end", "Year-end giving statement"


EIN_PATTERN = r"^[0-9]{2}-[0-9]{7}$"


class ReceiptSettings(models.Model):
    """What the organization's receipts say about it: one row per schema (id 1), made on first
    use by services.receipt_settings.receipt_settings(). `next_number` is the gapless receipt
    counter, taken under a row lock by the issuing transaction."""

    legal_name = models.CharField(max_length=200, blank=True)
    ein = models.CharField(
        "EIN",
        max_length=10,
        blank=True,
        validators=[RegexValidator(EIN_PATTERN, "An EIN is written NN-NNNNNNN.")],
        help_text="Employer Identification Number, NN-NNNNNNN.",
    )
    address = models.TextField(blank=True, help_text="One line per line of the address.")
    signatory_name = models.CharField(max_length=200, blank=True)
    signatory_title = models.CharField(max_length=200, blank=True)
    footer = models.TextField(
        blank=True,
        help_text="A closing paragraph printed on every receipt after the IRS statements, such "
        "as the organization's tax-exempt status or a word of thanks.",
    )
    receipt_every_gift = models.BooleanField(
        default=True,
        help_text="Receipt every posted gift. When off, gifts of $250 or more and gifts over "
        "$75 with goods or services in return are still receipted (IRS Publication 1771).",
    )
    next_number = models.PositiveIntegerField(
        default=1, help_text="Receipts are numbered without gaps, in the order they are issued."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "receipt settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="receiptsettings_single"),
            models.CheckConstraint(
                condition=models.Q(ein="") | models.Q(ein__regex=EIN_PATTERN),
                name="receiptsettings_ein_format",
            ),
            models.CheckConstraint(
                condition=models.Q(next_number__gte=1), name="receiptsettings_next_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return "Receipt settings"


class Receipt(models.Model):
    """An issued receipt (or year-end statement) and the PDF it was issued as. Never changed
    after issue: a database trigger (migration receipts) refuses updates other than the email
    columns, and deletes. A correction is a new version with the same number that supersedes
    the previous one."""

    number = models.PositiveIntegerField()
    version = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The version this one corrects.",
    )
    kind = models.CharField(max_length=10, choices=ReceiptKind.choices)
    gift = models.ForeignKey(
        Gift, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts"
    )
    donor = models.ForeignKey("donors.Donor", on_delete=models.PROTECT, related_name="receipts")
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The calendar year of a year-end statement."
    )
    amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The amount the receipt states; none for an in-kind gift (its receipt "
        "describes it without a value) and for a void correction.",
    )
    is_void = models.BooleanField(
        default=False, help_text="A correction that voids the receipt it replaces."
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was corrected.")
    content = models.JSONField(help_text="The text the receipt says, as it was drawn.")
    pdf = models.FileField(max_length=200)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    emailed_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-number", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="receipt_number_version"),
            models.UniqueConstraint(
                fields=["gift"],
                condition=models.Q(version=1, kind="gift"),
                name="receipt_one_per_gift",
            ),
            models.UniqueConstraint(
                fields=["donor", "year"],
                condition=models.Q(version=1, kind="year_end"),
                name="receipt_one_statement_per_donor_year",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReceiptKind.values), name="receipt_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="gift", gift__isnull=False, year__isnull=True)
                | models.Q(kind="year_end", gift__isnull=True, year__isnull=False),
                name="receipt_kind_fields",
            ),
            models.CheckConstraint(
                condition=models.Q(version=1, supersedes__isnull=True)
                | models.Q(version__gt=1, supersedes__isnull=False),
                name="receipt_version_supersedes",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="receipt_amount_not_negative",
            ),
            models.CheckConstraint(condition=~models.Q(pdf=""), name="receipt_has_pdf"),
        ]
        indexes = [
            models.Index(fields=["donor", "-number"], name="receipt_donor_number"),
            models.Index(fields=["kind", "year"], name="receipt_kind_year"),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.number:06d} v{self.version}"


# --- CSV imports ---------------------------------------------------------------------------------


class ImportKind(models.TextChoices):
    DONORS = "donors", "Donors"
    GIFTS = "gifts", "Gifts"


class ImportState(models.TextChoices):
    # Uploaded on the imports page: its columns wait to be confirmed (or the upload discarded).
    UPLOADED = "uploaded", "Columns to confirm"
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Validating"
    IMPORTING = "importing", "Importing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RowErrorHandling(models.TextChoices):
    """What an import does when some rows have errors: by default nothing is imported, so the
    corrected file can be uploaded again whole; or, when asked for, the other rows are."""

    IMPORT_NOTHING = "import_nothing", "Import nothing, so that I can correct the file"
    SKIP_ROWS = "skip_rows", "Import the rows without errors and list the others"


class ImportJob(models.Model):
    """One uploaded CSV file of donors or gifts and what became of it. Every row is imported or
    none is: a file with a bad row fails with the list of `errors` and writes nothing, unless
    the person who confirmed it chose to leave the bad rows out (`on_row_errors`).

    A file uploaded on the imports page waits, `uploaded`, for its columns to be confirmed
    (`mapping`); one sent to the API is queued at once, its header naming the fields.

    While a job runs, its progress is published through the cache (the row's own updates are
    inside the import's transaction, invisible to the page that polls); the row gets the
    final counts. Written by services.imports only.
    """

    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    state = models.CharField(max_length=12, choices=ImportState.choices, default=ImportState.QUEUED)
    # Kept in the tenant's storage (saas_platform.lib.storage): the task reads it from there.
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    original_filename = models.CharField(max_length=255)
    # The field each column of the file is read as, by the column's position ("" leaves it
    # out), as confirmed on the imports page. Empty: the header names the fields itself.
    mapping = models.JSONField(default=list, blank=True)
    on_row_errors = models.CharField(
        max_length=20, choices=RowErrorHandling.choices, default=RowErrorHandling.IMPORT_NOTHING
    )
    total_rows = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    # [{"row": 3, "column": "email", "message": "..."}]; row 1 is the header, as a spreadsheet
    # numbers it.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    rows_with_errors = models.PositiveIntegerField(default=0)
    # Likely duplicates, reported and not blocking: [{"row": 4, "reasons": ["email"],
    # "donor": 12, "donor_name": "..."} or {"row": 9, "reasons": [...], "same_as_row": 4}].
    duplicates = models.JSONField(default=list, blank=True)
    duplicate_count = models.PositiveIntegerField(default=0)
    # Why a job failed when it is not the rows' fault (an unexpected error), for the page.
    message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ImportKind.values), name="importjob_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ImportState.values), name="importjob_state_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state=ImportState.SUCCEEDED)
                | models.Q(error_count=0)
                | models.Q(on_row_errors=RowErrorHandling.SKIP_ROWS),
                name="importjob_succeeded_with_errors_only_skipping_rows",
            ),
            models.CheckConstraint(
                condition=models.Q(on_row_errors__in=RowErrorHandling.values),
                name="importjob_on_row_errors_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.kind} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (ImportState.SUCCEEDED, ImportState.FAILED)


# --- Pledges and recurring gifts ---------------------------------------------------------------


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    ANNUALLY = "annually", "Annually"


# How many months one step of each frequency is.
MONTHS_OF_FREQUENCY = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.ANNUALLY: 12}


class PledgeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    FULFILLED = "fulfilled", "Fulfilled"
    WRITTEN_OFF = "written_off", "Written off"
    CANCELLED = "cancelled", "Cancelled"


class Pledge(models.Model):
    """An unconditional promise to give, in one fund. Posted (open), it is revenue and a
    receivable (Dr 1210, Cr 4010); its payments are gifts that settle the receivable. Rows are
    written by services.pledges only."""

    donor = models.ForeignKey("donors.Donor", on_delete=models.PROTECT, related_name="pledges")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    fund = models.ForeignKey("accounting.Fund", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="pledges"
    )
    pledged_on = models.DateField()
    state = models.CharField(max_length=12, choices=PledgeState.choices, default=PledgeState.DRAFT)
    memo = models.CharField(max_length=500, blank=True)
    journal_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The entry that recognized the pledge: Dr pledges receivable, Cr contributions.",
    )
    write_off_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The entry that wrote off the unpaid balance.",
    )
    written_off_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    reversal_entry = models.ForeignKey(
        "accounting.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The reversal of a posted pledge cancelled as recorded in error.",
    )
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pledged_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pledge_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(state__in=PledgeState.values), name="pledge_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(written_off_amount__gte=0)
                & models.Q(written_off_amount__lte=models.F("amount")),
                name="pledge_written_off_within_amount",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=PledgeState.DRAFT) | models.Q(journal_entry__isnull=True),
                name="pledge_draft_has_no_entry",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    state__in=[PledgeState.OPEN, PledgeState.FULFILLED, PledgeState.WRITTEN_OFF]
                )
                | models.Q(journal_entry__isnull=False),
                name="pledge_posted_has_entry",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=PledgeState.WRITTEN_OFF)
                | models.Q(write_off_entry__isnull=False),
                name="pledge_written_off_has_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["donor", "-pledged_on"], name="pledge_donor_pledged"),
            models.Index(fields=["-pledged_on", "-id"], name="pledge_pledged_order"),
            models.Index(fields=["state"], name="pledge_state"),
        ]

    def __str__(self) -> str:
        return f"Pledge {self.pk}: {self.amount} {self.currency}"


class PledgeInstallment(models.Model):
    """One due date of a pledge's schedule. The installments add up to the pledge's amount:
    services.schedules checks it, and a deferred trigger (migration 0002) refuses a commit where
    they do not. Whether one is paid is computed from the posted payments, in due order."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="installments")
    due_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="pledgeinstallment_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["pledge", "due_on"], name="pledgeinstallment_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} due {self.due_on}"


class RecurringGiftState(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


# The methods of a recurring gift kept by hand. Card recurring gifts come from Stripe
# subscriptions (monthly giving on /give/) only; in-kind gifts do not recur.
RECURRING_METHODS = (GiftMethod.CASH, GiftMethod.CHECK, GiftMethod.ACH, GiftMethod.STOCK)


class RecurringGift(models.Model):
    """A gift the donor gives every month, quarter or year. Each due date becomes a draft gift
    (services.recurring.recurring_gifts_run, daily) that a person confirms and posts.

    A monthly gift given on /give/ is a Stripe subscription instead (`stripe_subscription_id`):
    Stripe charges it, each paid invoice becomes a posted gift (services.online_subscriptions),
    and the schedule makes no drafts for it."""

    donor = models.ForeignKey(
        "donors.Donor", on_delete=models.PROTECT, related_name="recurring_gifts"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    next_on = models.DateField(help_text="The date of the next gift.")
    # The day of the month the schedule keeps: a gift on the 31st falls on the 28th in
    # February and on the 31st again in March.
    anchor_day = models.PositiveSmallIntegerField()
    end_on = models.DateField(null=True, blank=True, help_text="No gift after this date.")
    method = models.CharField(max_length=10, choices=GiftMethod.choices)
    fund = models.ForeignKey("accounting.Fund", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="recurring_gifts"
    )
    # A reference of the organization's own (a standing order's number): unique, like a gift's.
    payment_reference = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        max_length=10, choices=RecurringGiftState.choices, default=RecurringGiftState.ACTIVE
    )
    # The Stripe subscription that charges this gift on the organization's connected account.
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    # What Stripe last said of the subscription: its status (active, past_due, canceled...),
    # whether it ends at the period's end, and when it said so (the event's time: an older
    # event arriving late changes nothing).
    stripe_status = models.CharField(max_length=30, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    stripe_status_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="recurringgift_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(frequency__in=Frequency.values),
                name="recurringgift_frequency_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=RECURRING_METHODS)
                | (models.Q(method=GiftMethod.CARD) & ~models.Q(stripe_subscription_id="")),
                name="recurringgift_method_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=RecurringGiftState.values),
                name="recurringgift_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(anchor_day__gte=1) & models.Q(anchor_day__lte=31),
                name="recurringgift_anchor_day_valid",
            ),
            models.UniqueConstraint(
                fields=["payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="recurringgift_payment_reference_unique",
            ),
            models.UniqueConstraint(
                fields=["stripe_subscription_id"],
                condition=~models.Q(stripe_subscription_id=""),
                name="recurringgift_stripe_subscription_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_on"], name="recurringgift_due"),
            models.Index(fields=["donor"], name="recurringgift_donor"),
        ]

    def __str__(self) -> str:
        return f"Recurring gift {self.pk}: {self.amount} {self.frequency}"

    @property
    def stripe_status_label(self) -> str:
        """Stripe's status of the subscription, in words."""
        return STRIPE_STATUS_LABELS.get(self.stripe_status, self.stripe_status.replace("_", " "))


# Stripe's subscription statuses as the staff read them.
STRIPE_STATUS_LABELS = {
    "active": "Active",
    "trialing": "Active",
    "incomplete": "First payment pending",
    "past_due": "Past due: Stripe is retrying the payment",
    "unpaid": "Unpaid: Stripe stopped retrying",
    "paused": "Paused at Stripe",
    "canceled": "Cancelled at Stripe",
    "incomplete_expired": "First payment never made",
}
