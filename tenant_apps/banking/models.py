"""Bank statements and their reconciliation with the books: the lines a bank reports for a cash
account, which ledger lines each one clears, and the reconciliation of a statement date, locked
once finished."""

from __future__ import annotations

from django.db import models


class BankStatement(models.Model):
    """One imported statement of a bank account (a cash account of the chart)."""

    account = models.ForeignKey(
        "accounting.Account", on_delete=models.PROTECT, related_name="bank_statements"
    )
    statement_date = models.DateField()
    closing_balance = models.DecimalField(max_digits=14, decimal_places=2)
    source_name = models.CharField(max_length=255, blank=True)
    imported_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-statement_date", "-id"]
        indexes = [models.Index(fields=["account", "statement_date"], name="bankstatement_date")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.statement_date}"


class StatementLine(models.Model):
    """A line of a statement: money in (positive) or out (negative) of the account."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    # The statement's account again, so a reference is unique per account and lists need no join.
    account = models.ForeignKey("accounting.Account", on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    description = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        max_length=255, blank=True, help_text="The bank's id of the line (an OFX FITID)."
    )

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["account", "date"], name="statementline_account_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reference"],
                condition=~models.Q(reference=""),
                name="statementline_reference_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="statementline_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.description}"


class MatchKind(models.TextChoices):
    AUTOMATIC = "automatic", "Matched automatically"
    MANUAL = "manual", "Matched by hand"
    SPLIT = "split", "Split across entries"
    CREATED = "created", "Entry created from the line"


class Match(models.Model):
    """A statement line cleared by one or more ledger lines of the account, summing to it."""

    statement_line = models.OneToOneField(
        StatementLine, on_delete=models.CASCADE, related_name="match"
    )
    kind = models.CharField(max_length=10, choices=MatchKind.choices)
    matched_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=MatchKind.values), name="match_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Match of line {self.statement_line_id}"


class MatchedLine(models.Model):
    """A ledger line cleared by a match; a ledger line clears once."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="ledger_lines")
    journal_line = models.OneToOneField(
        "accounting.JournalLine", on_delete=models.PROTECT, related_name="bank_match"
    )

    def __str__(self) -> str:
        return f"{self.match_id} {self.journal_line_id}"


class ReconciliationState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    FINISHED = "finished", "Finished"


class Reconciliation(models.Model):
    """The reconciliation of an account at a statement's date; finished (and then locked) when
    the cleared balance equals the statement's."""

    statement = models.OneToOneField(
        BankStatement, on_delete=models.PROTECT, related_name="reconciliation"
    )
    account = models.ForeignKey("accounting.Account", on_delete=models.PROTECT, related_name="+")
    statement_date = models.DateField()
    state = models.CharField(
        max_length=12, choices=ReconciliationState.choices, default=ReconciliationState.IN_PROGRESS
    )
    finished_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-statement_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "statement_date"], name="reconciliation_account_date_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ReconciliationState.values),
                name="reconciliation_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state=ReconciliationState.IN_PROGRESS)
                | models.Q(finished_at__isnull=False),
                name="reconciliation_finished_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.statement_date} {self.state}"
