"""A cloned tenant at a real commit, on a connection of its own: its deferred ledger check
refuses an unbalanced posted entry, and its triggers read its own tables, not the template's.
(No database mark: `committed_tenant` commits, which a test transaction would hide.)"""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from django.db import connection

from shared_apps.tenants.models import Organization


@pytest.fixture
def raw_connection(committed_tenant: Organization) -> Any:
    settings = connection.settings_dict
    raw = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
    with raw.cursor() as cursor:
        # the clone's name first, then the template's: a function that was not re-pinned
        # would find the template's (empty) tables
        cursor.execute(f'SET search_path TO "{committed_tenant.schema_name}", public')
    raw.commit()
    try:
        yield raw
    finally:
        raw.close()


def _raw_posted_entry(cursor: Any, amounts: list[tuple[str, str, str]]) -> int:
    cursor.execute(
        "INSERT INTO accounting_journalentry (date, memo, source, source_reference, state,"
        " created_at) VALUES (current_date, 'raw', 'manual', '', 'draft', now()) RETURNING id"
    )
    entry_id = cursor.fetchone()[0]
    for code, debit, credit in amounts:
        cursor.execute(
            "INSERT INTO accounting_journalline (entry_id, account_id, fund_id, net_asset_class,"
            " debit, credit, memo) SELECT %s, a.id, f.id, 'without', %s, %s, ''"
            " FROM accounting_account a, accounting_fund f WHERE a.code = %s AND f.code = 'GEN'",
            (entry_id, debit, credit, code),
        )
    cursor.execute(
        "UPDATE accounting_journalentry SET state = 'posted', number = 1, posted_at = now()"
        " WHERE id = %s",
        (entry_id,),
    )
    return entry_id


def test_a_cloned_tenant_refuses_an_unbalanced_posted_entry_at_commit(
    committed_tenant: Organization, raw_connection: Any
) -> None:
    assert committed_tenant.provisioning_step == "activate"
    with raw_connection.cursor() as cursor:
        _raw_posted_entry(cursor, [("1010", "100", "0"), ("4010", "0", "60")])
    with pytest.raises(psycopg2.errors.CheckViolation, match="does not balance"):
        raw_connection.commit()
    raw_connection.rollback()


def test_a_cloned_tenants_triggers_read_its_own_tables(
    committed_tenant: Organization, raw_connection: Any
) -> None:
    with raw_connection.cursor() as cursor:
        entry_id = _raw_posted_entry(cursor, [("1010", "100", "0"), ("4010", "0", "100")])
    raw_connection.commit()  # balanced: the check summed the clone's own lines
    with raw_connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounting_journalline WHERE entry_id = %s", (entry_id,)
        )
        assert cursor.fetchone()[0] == 2
        cursor.execute("SELECT count(*) FROM _template.accounting_journalline")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM _template.accounting_account")
        assert cursor.fetchone()[0] == 0
        # the posted entry is frozen by the clone's own guard
        with pytest.raises(psycopg2.Error, match="posted"):
            cursor.execute(
                "UPDATE accounting_journalentry SET memo = 'changed' WHERE id = %s", (entry_id,)
            )
    raw_connection.rollback()
