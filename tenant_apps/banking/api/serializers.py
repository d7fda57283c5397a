"""What the banking API answers: bank accounts with where their reconciliation stands,
imported statements and reconciliations. Read only: statements are imported and reconciled on
the bank desk's pages."""

from __future__ import annotations

from rest_framework import serializers

from tenant_apps.banking.models import ReconciliationState


class BankAccountOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    ucoa_code = serializers.CharField(help_text="1010 checking or 1020 savings.")
    last_reconciled = serializers.DateField(
        allow_null=True, help_text="The statement date of the last finished reconciliation."
    )
    statement_count = serializers.IntegerField()
    in_progress = serializers.IntegerField(help_text="Reconciliations started, not finished.")
    latest_statement = serializers.IntegerField(
        source="last_statement", allow_null=True, help_text="The latest statement's id."
    )


class StatementOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField(source="account.code", help_text="The bank account's code.")
    statement_date = serializers.DateField()
    closing_balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    source_name = serializers.CharField(help_text="The name of the file it was imported from.")
    line_count = serializers.IntegerField()
    imported_by = serializers.EmailField(source="imported_by.email", allow_null=True)
    imported_at = serializers.DateTimeField()
    reconciliation = serializers.ChoiceField(
        source="reconciliation.state",
        choices=ReconciliationState.choices,
        allow_null=True,
        help_text="Its reconciliation's state; null before one is started.",
    )


class ReconciliationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField(source="account.code", help_text="The bank account's code.")
    statement = serializers.IntegerField(source="statement_id", help_text="The statement's id.")
    statement_date = serializers.DateField()
    state = serializers.ChoiceField(choices=ReconciliationState.choices)
    finished_at = serializers.DateTimeField(allow_null=True)
    finished_by = serializers.EmailField(source="finished_by.email", allow_null=True)
