"""The chart of accounts and the funds. Every journal line will carry an account and a fund;
the fund's restriction decides the net-asset class."""

from __future__ import annotations

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
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_restricted(self) -> bool:
        return self.restriction != Restriction.WITHOUT
