"""Rebuilding the monthly balances the database keeps (models.Balance) from the posted lines:
for a schema restored from an export made before they existed, or after a difference that
`manage.py ledger_balances` reported."""

from __future__ import annotations

from django.db import connection, transaction

from tenant_apps.accounting.balances import RECOMPUTED_SQL


def ledger_balances_rebuild() -> int:
    """Replace the current schema's monthly balances with what the posted lines add up to, in
    one transaction that holds postings off meanwhile (a posting waits for it, then adds to the
    new rows). Returns how many rows it wrote."""
    with transaction.atomic(), connection.cursor() as cursor:
        # A posting locks its entry rows then the balance rows it adds to; locking the entries
        # against change first keeps a posting from landing between the delete and the insert.
        cursor.execute("LOCK TABLE accounting_journalentry IN SHARE ROW EXCLUSIVE MODE")
        # The balances refuse writes that are not a posting's unless a rebuild says so.
        cursor.execute("SET LOCAL accounting.balances_rebuild = 'on'")
        cursor.execute("DELETE FROM accounting_balance")
        cursor.execute(
            "INSERT INTO accounting_balance (month, account_id, fund_id, net_asset_class,"
            " function, program_id, debit, credit, line_count) " + RECOMPUTED_SQL
        )
        written = cursor.rowcount
        cursor.execute("SET LOCAL accounting.balances_rebuild = 'off'")
    return written
