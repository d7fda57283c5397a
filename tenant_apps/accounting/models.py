"""The chart of accounts and the funds. Every journal line will carry an account and a fund;
the fund's restriction decides the net-asset class."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class AccountType(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    NET_ASSETS = "net_assets", "Net assets"
    REVENUE = "revenue", "Revenue"
    EXPENSE = "expense", "Expense"


class NormalBalance(models.TextChoices):
    DEBIT = "debit", "Debit"
    CREDIT = "credit", "Credit"


NORMAL_BALANCE_OF_TYPE = {
    AccountType.ASSET: NormalBalance.DEBIT,
    AccountType.EXPENSE: NormalBalance.DEBIT,
    AccountType.LIABILITY: NormalBalance.CREDIT,
    AccountType.NET_ASSETS: NormalBalance.CREDIT,
    AccountType.REVENUE: NormalBalance.CREDIT,
}


class Restriction(models.TextChoices):
    WITHOUT = "without", "Without donor restrictions"
    PURPOSE = "purpose", "With donor restrictions: purpose"
    TIME = "time", "With donor restrictions: time"
    PERPETUAL = "perpetual", "With donor restrictions: perpetual"


class Account(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=AccountType.choices)
    normal_balance = models.CharField(max_length=6, choices=NormalBalance.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    ucoa_code = models.CharField(
        "UCOA code",
        max_length=20,
        blank=True,
        help_text="The Unified Chart of Accounts code this account maps to.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type__in=AccountType.values), name="account_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(normal_balance__in=NormalBalance.values),
                name="account_normal_balance_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Fund(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    restriction = models.CharField(max_length=20, choices=Restriction.choices)
    description = models.TextField(blank=True)
    release_on = models.DateField(
        "release date",
        null=True,
        blank=True,
        help_text="A time-restricted fund's restriction ends on this day: what it still holds "
        "with donor restrictions is released in an entry dated that day.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(restriction__in=Restriction.values),
                name="fund_restriction_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(release_on__isnull=True) | models.Q(restriction="time"),
                name="fund_release_on_only_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_restricted(self) -> bool:
        return self.restriction != Restriction.WITHOUT


class NetAssetClass(models.TextChoices):
    """The two classes of net assets ASC 958 reports in columns."""

    WITHOUT = "without", "Without donor restrictions"
    WITH = "with", "With donor restrictions"


class Function(models.TextChoices):
    """Functional classification of an expense (ASC 958-720)."""

    PROGRAM = "program", "Program services"
    MANAGEMENT_GENERAL = "management_general", "Management and general"
    FUNDRAISING = "fundraising", "Fundraising"


class Program(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AccountingSettings(models.Model):
    """The organization's accounting settings: one row per schema (id 1)."""

    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1,
        help_text="The month (1-12) the fiscal year starts in. A fiscal year is named after "
        "the calendar year it ends in: with July, FY2027 runs from July 2026 to June 2027.",
    )
    currency = models.CharField(max_length=3, default="USD")
    next_entry_number = models.PositiveIntegerField(
        default=1, help_text="Posted entries are numbered without gaps, in posting order."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "accounting settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="accountingsettings_start_month_valid",
            ),
            models.CheckConstraint(condition=models.Q(id=1), name="accountingsettings_single"),
        ]

    def __str__(self) -> str:
        return "Accounting settings"


class PeriodState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class FiscalPeriod(models.Model):
    """A calendar month of a fiscal year. Postings dated in a closed period are refused."""

    fiscal_year = models.PositiveSmallIntegerField()
    start = models.DateField(unique=True)
    end = models.DateField()
    state = models.CharField(max_length=10, choices=PeriodState.choices, default=PeriodState.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="fiscalperiod_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=PeriodState.values), name="fiscalperiod_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.start:%b %Y}"

    @property
    def month(self) -> str:
        """The month in words, as a person names it: "October 2026"."""
        return f"{self.start:%B %Y}"

    @property
    def slug(self) -> str:
        """The month as its page's address names it: "2026-10"."""
        return f"{self.start:%Y-%m}"


class EntrySource(models.TextChoices):
    MANUAL = "manual", "Manual"
    DONATION = "donation", "Donation"
    FEE = "fee", "Processing fee"
    RELEASE = "release", "Release from restriction"
    REVERSAL = "reversal", "Reversal"
    PAYROLL = "payroll", "Payroll allocation"
    IN_KIND = "in_kind", "In-kind"


class EntryState(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    REVERSED = "reversed", "Reversed"


# Entries in these states are in the books; a reversed entry stays, offset by its reversal.
LEDGER_STATES = (EntryState.POSTED, EntryState.REVERSED)


class JournalEntry(models.Model):
    number = models.PositiveIntegerField(
        null=True, blank=True, unique=True, help_text="Given when the entry is posted."
    )
    date = models.DateField()
    memo = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=20, choices=EntrySource.choices)
    source_reference = models.CharField(
        max_length=100,
        blank=True,
        help_text="What the entry records in the app it came from (a gift id, a payout id).",
    )
    state = models.CharField(max_length=10, choices=EntryState.choices, default=EntryState.DRAFT)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="The entry this one reverses.",
    )
    origin = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="generated",
        help_text="The entry whose posting generated this one (a release from restriction).",
    )
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = "journal entries"
        indexes = [
            models.Index(fields=["date", "id"], name="journalentry_date"),
            models.Index(fields=["state", "date"], name="journalentry_state_date"),
            models.Index(fields=["source", "source_reference"], name="journalentry_source_ref"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=EntryState.values), name="journalentry_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=EntrySource.values), name="journalentry_source_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state=EntryState.DRAFT)
                | models.Q(number__isnull=False, posted_at__isnull=False),
                name="journalentry_posted_numbered",
            ),
        ]

    def __str__(self) -> str:
        label = f"JE {self.number}" if self.number else f"Draft {self.pk}"
        return f"{label} {self.date}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="lines")
    net_asset_class = models.CharField(
        max_length=10,
        choices=NetAssetClass.choices,
        help_text="Follows the fund's restriction, except that expenses and the receiving side "
        "of a release are always without donor restrictions (ASC 958-205).",
    )
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    function = models.CharField(max_length=20, choices=Function.choices, null=True, blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    memo = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["account", "entry"], name="journalline_account_entry"),
            models.Index(fields=["fund", "entry"], name="journalline_fund_entry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="journalline_one_positive_side",
            ),
            models.CheckConstraint(
                condition=models.Q(net_asset_class__in=NetAssetClass.values),
                name="journalline_class_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(function__isnull=True) | models.Q(function__in=Function.values),
                name="journalline_function_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(program__isnull=True) | models.Q(function=Function.PROGRAM),
                name="journalline_program_only_for_program_function",
            ),
            models.CheckConstraint(
                condition=~models.Q(function=Function.PROGRAM) | models.Q(program__isnull=False),
                name="journalline_program_function_has_program",
            ),
        ]

    def __str__(self) -> str:
        side, amount = ("Dr", self.debit) if self.debit else ("Cr", self.credit)
        return f"{side} {self.account_id} {amount}"


class RecurringEntry(models.Model):
    """An entry a bookkeeper posts again each month (rent, a loan payment): its lines are kept
    here and copied into a new entry, dated `day_of_month` in the month asked for."""

    name = models.CharField(max_length=200)
    memo = models.CharField(max_length=500, blank=True)
    day_of_month = models.PositiveSmallIntegerField(
        default=1, help_text="The day of the month the entry is dated (1 to 28)."
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "recurring entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=28),
                name="recurringentry_day_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RecurringEntryLine(models.Model):
    recurring = models.ForeignKey(RecurringEntry, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    debit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    function = models.CharField(max_length=20, choices=Function.choices, null=True, blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="recurringentryline_one_positive_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.debit or self.credit}"


class RecurringPosting(models.Model):
    """A recurring entry posted for a month: once a month at most, which the database holds."""

    recurring = models.ForeignKey(RecurringEntry, on_delete=models.PROTECT, related_name="postings")
    month = models.DateField(help_text="The first day of the month posted for.")
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["recurring", "month"], name="recurringposting_once_a_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recurring_id} {self.month:%Y-%m}"


class BudgetState(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


MONTHS_IN_YEAR = 12


class Budget(models.Model):
    """An annual budget for a fiscal year: amounts per revenue or expense account for each of
    the year's twelve months (its lines). A draft is edited; an approved budget is what the
    board agreed, and is changed only after it is returned to draft."""

    name = models.CharField(max_length=200)
    fiscal_year = models.PositiveSmallIntegerField()
    starts_on = models.DateField(
        help_text="The first day of the fiscal year, fixed when the budget is made: its first "
        "month is the first of its twelve amounts."
    )
    state = models.CharField(max_length=10, choices=BudgetState.choices, default=BudgetState.DRAFT)
    created_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "name"], name="budget_name_per_year"),
            models.CheckConstraint(
                condition=models.Q(state__in=BudgetState.values), name="budget_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(starts_on__day=1), name="budget_starts_on_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (FY{self.fiscal_year})"


class BudgetLine(models.Model):
    """The twelve monthly amounts of one account in a budget, in the order of the fiscal year's
    months, optionally for one fund or one program."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(
        Fund, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amounts = ArrayField(models.DecimalField(max_digits=14, decimal_places=2), size=MONTHS_IN_YEAR)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "account", "fund", "program"],
                name="budgetline_one_per_account_fund_program",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=models.Q(amounts__len=MONTHS_IN_YEAR), name="budgetline_twelve_months"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {sum(self.amounts)}"


class Balance(models.Model):
    """The books' movement in one month for one combination of what a journal line carries
    (account, fund, net-asset class, function, program): the sums of its lines' debits and
    credits and how many lines there are. Kept by the database in the transaction that posts an
    entry (migration 0010), so the statements read a month as one row instead of its lines;
    `manage.py ledger_balances` checks them against the lines and rebuilds them."""

    month = models.DateField(help_text="The first day of the month.")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    net_asset_class = models.CharField(max_length=10, choices=NetAssetClass.choices)
    function = models.CharField(max_length=20, choices=Function.choices, null=True, blank=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Sums of many numeric(14, 2) amounts: room for a few more digits.
    debit = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    line_count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["month", "account"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "account", "fund", "net_asset_class", "function", "program"],
                name="balance_one_per_month_and_dimensions",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="balance_month_first_day"
            ),
        ]
        indexes = [models.Index(fields=["account", "month"], name="balance_account_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.account_id} {self.debit - self.credit}"
