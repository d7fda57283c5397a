"""Tenants' search paths through PgBouncer in transaction pooling (deploy/bootstrap/services.sh
starts it on 127.0.0.1:6432): 20 tenants x 5 clients share a pool of fewer server connections
than clients, and every row each client reads is its own tenant's.

Each tenant here is a schema holding rows that name it; the clients are the project's database
backend (saas_platform/database/base.py) in its pooled mode, as web threads and workers use it,
reading in autocommit, inside transactions, after a rollback and after visiting the public
schema. The same load with a session `SET search_path` (the direct mode, as django-tenants does
it) shows what the test would catch.
"""

from __future__ import annotations

import copy
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import pytest
from django.db import DatabaseError, DataError

from saas_platform.database.base import DatabaseWrapper
from saas_platform.lib.connection import connection

pytestmark = pytest.mark.django_db

PGBOUNCER_PORT = 6432
TENANTS = [f"pooled_{number:02d}" for number in range(1, 21)]
CLIENTS_PER_TENANT = 5
ROUNDS = 12
ROWS_PER_TENANT = 25


def _server_settings() -> dict[str, Any]:
    return copy.deepcopy(connection.settings_dict)


def _raw_direct() -> Any:
    settings = _server_settings()
    return psycopg2.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or "",
        dbname=settings["NAME"],
    )


@pytest.fixture(scope="module")
def tenant_schemas(django_db_setup: None) -> Iterator[list[str]]:
    """The 20 schemas, committed (the pooled clients are other sessions), dropped afterwards."""
    raw = _raw_direct()
    raw.autocommit = True
    try:
        with raw.cursor() as cursor:
            for schema in TENANTS:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                cursor.execute(f'CREATE SCHEMA "{schema}"')
                cursor.execute(f'CREATE TABLE "{schema}".pool_reads (tenant text, number int)')
                cursor.execute(
                    f'INSERT INTO "{schema}".pool_reads'  # noqa: S608 (our own schema names)
                    " SELECT %s, n FROM generate_series(1, %s) AS n",
                    [schema, ROWS_PER_TENANT],
                )
        yield TENANTS
    finally:
        with raw.cursor() as cursor:
            for schema in TENANTS:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        raw.close()


def _pooled_settings(*, transaction_pooling: bool) -> dict[str, Any]:
    settings = _server_settings()
    settings.update(
        HOST="127.0.0.1",
        PORT=str(PGBOUNCER_PORT),
        TRANSACTION_POOLING=transaction_pooling,
        DISABLE_SERVER_SIDE_CURSORS=True,
        OPTIONS={},
    )
    return settings


@dataclass
class Load:
    reads: int = 0
    foreign_rows: int = 0
    errors: list[str] = field(default_factory=list)
    # server session (backend pid) -> the tenants it served a transaction for
    sessions: dict[int, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, schema: str, rows: list[tuple[str]]) -> None:
        with self.lock:
            self.reads += 1
            self.foreign_rows += sum(1 for (tenant,) in rows if tenant != schema)
            if len(rows) != ROWS_PER_TENANT:
                self.errors.append(f"{schema} read {len(rows)} rows")


def _select(wrapper: DatabaseWrapper) -> list[tuple[str]]:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT tenant FROM pool_reads")
        return list(cursor.fetchall())


def _client(schema: str, seed: int, load: Load, *, transaction_pooling: bool) -> None:
    """One client: its own connection, bound to its tenant, reading in every way a request or
    a task does."""
    choose = random.Random(seed)  # noqa: S311 (an interleaving, not a secret)
    wrapper = DatabaseWrapper(_pooled_settings(transaction_pooling=transaction_pooling), "default")
    wrapper.set_schema(schema)
    try:
        for _ in range(ROUNDS):
            kind = choose.choice(["autocommit", "transaction", "rollback", "public"])
            try:
                if kind == "autocommit":
                    load.read(schema, _select(wrapper))
                elif kind == "transaction":
                    wrapper.set_autocommit(False)
                    with wrapper.cursor() as cursor:
                        cursor.execute("SELECT pg_backend_pid()")
                        pid = int(cursor.fetchone()[0])
                    load.read(schema, _select(wrapper))
                    load.read(schema, _select(wrapper))
                    wrapper.commit()
                    wrapper.set_autocommit(True)
                    with load.lock:
                        load.sessions.setdefault(pid, set()).add(schema)
                elif kind == "rollback":
                    wrapper.set_autocommit(False)
                    load.read(schema, _select(wrapper))
                    wrapper.rollback()
                    wrapper.set_autocommit(True)
                    load.read(schema, _select(wrapper))
                else:
                    wrapper.set_schema_to_public()
                    with wrapper.cursor() as cursor:
                        cursor.execute("SELECT count(*) FROM tenants_organization")
                    wrapper.set_schema(schema)
                    load.read(schema, _select(wrapper))
            except DatabaseError as error:
                with load.lock:
                    load.errors.append(f"{schema} {kind}: {error}".strip())
                if not wrapper.get_autocommit():
                    wrapper.rollback()
                    wrapper.set_autocommit(True)
    finally:
        wrapper.close()


def _run(*, transaction_pooling: bool) -> Load:
    load = Load()
    threads = [
        threading.Thread(
            target=_client,
            args=(schema, index * CLIENTS_PER_TENANT + client, load),
            kwargs={"transaction_pooling": transaction_pooling},
        )
        for index, schema in enumerate(TENANTS)
        for client in range(CLIENTS_PER_TENANT)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return load


def _pgbouncer_show(what: str) -> list[dict[str, Any]]:
    """Rows of PgBouncer's admin console (SHOW DATABASES, SHOW POOLS)."""
    admin = psycopg2.connect(
        host="127.0.0.1", port=PGBOUNCER_PORT, user="postgres", dbname="pgbouncer"
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"SHOW {what}")
            columns = [column.name for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        admin.close()


def _pgbouncer_pool() -> dict[str, Any]:
    """PgBouncer's own account of the test database's pool: its mode and size."""
    name = connection.settings_dict["NAME"]
    database = next(row for row in _pgbouncer_show("DATABASES") if row["name"] == name)
    pool = next(row for row in _pgbouncer_show("POOLS") if row["database"] == name)
    return {"pool_mode": pool["pool_mode"], "pool_size": database["pool_size"]}


def test_no_client_reads_another_tenants_rows_through_transaction_pooling(
    tenant_schemas: list[str],
) -> None:
    load = _run(transaction_pooling=True)

    pool = _pgbouncer_pool()
    clients = len(tenant_schemas) * CLIENTS_PER_TENANT
    assert pool["pool_mode"] == "transaction"
    assert pool["pool_size"] < clients
    assert load.errors[:3] == []
    # the load really shared server sessions between tenants
    assert max(len(tenants) for tenants in load.sessions.values()) > 1
    assert Counter(load.errors) == Counter()
    assert load.foreign_rows == 0
    assert load.reads >= clients * ROUNDS


@pytest.fixture
def server_sessions_replaced() -> Iterator[None]:
    """Afterwards PgBouncer replaces the test database's server sessions (RECONNECT): a session
    `SET search_path` stays on them, which is the very leak shown."""
    yield
    admin = psycopg2.connect(
        host="127.0.0.1", port=PGBOUNCER_PORT, user="postgres", dbname="pgbouncer"
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"RECONNECT {connection.settings_dict['NAME']}")
    finally:
        admin.close()


def test_a_session_search_path_would_leak_through_the_same_pool(
    tenant_schemas: list[str], server_sessions_replaced: None
) -> None:
    load = _run(transaction_pooling=False)

    # statements ran under another client's path (its rows) or under none (no such table)
    assert load.foreign_rows > 0 or load.errors


def _sent(wrapper: DatabaseWrapper, sql: str) -> str:
    """What psycopg2 sent to the server for `sql`."""
    with wrapper.cursor() as cursor:
        cursor.execute(sql)
        return bytes(cursor.cursor.query).decode()


def test_each_transaction_carries_its_path_in_its_first_statement(
    tenant_schemas: list[str],
) -> None:
    wrapper = DatabaseWrapper(_pooled_settings(transaction_pooling=True), "default")
    wrapper.set_schema(tenant_schemas[0])
    path = f'SET LOCAL search_path = "{tenant_schemas[0]}","public"; '
    try:
        # outside a transaction block each statement is a transaction of its own
        assert _sent(wrapper, "SELECT 1") == path + "SELECT 1"
        assert _sent(wrapper, "SELECT 2") == path + "SELECT 2"

        wrapper.set_autocommit(False)
        assert _sent(wrapper, "SELECT 3") == path + "SELECT 3"
        assert _sent(wrapper, "SELECT 4") == "SELECT 4"
        wrapper.set_schema(tenant_schemas[1])
        assert _sent(wrapper, "SELECT 5").startswith(
            f'SET LOCAL search_path = "{tenant_schemas[1]}"'
        )
        wrapper.commit()
        wrapper.set_schema(tenant_schemas[0])
        assert _sent(wrapper, "SELECT 6") == path + "SELECT 6"
        wrapper.rollback()
        wrapper.set_autocommit(True)

        # and nothing of it stays on the server session
        raw = wrapper.connection
        with raw.cursor() as cursor:
            cursor.execute("SHOW search_path")
            assert cursor.fetchone()[0] == '"$user", public'
    finally:
        wrapper.close()


def test_executemany_writes_into_its_tenants_schema(tenant_schemas: list[str]) -> None:
    schema = tenant_schemas[2]
    wrapper = DatabaseWrapper(_pooled_settings(transaction_pooling=True), "default")
    wrapper.set_schema(schema)
    try:
        # one statement a row: the path goes first in an explicit transaction around them all
        with wrapper.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO pool_reads (tenant, number) VALUES (%s, %s)",
                [(schema, 1001), (schema, 1002)],
            )
    finally:
        wrapper.close()

    raw = _raw_direct()
    try:
        with raw.cursor() as cursor:
            table = f'"{schema}".pool_reads'  # our own schema name
            cursor.execute(f"SELECT count(*) FROM {table} WHERE number > 1000")  # noqa: S608
            written = cursor.fetchone()[0]
            cursor.execute(f"DELETE FROM {table} WHERE number > 1000")  # noqa: S608
        raw.commit()
    finally:
        raw.close()
    assert written == 2


def test_start_up_options_travel_with_each_transaction(tenant_schemas: list[str]) -> None:
    """PgBouncer refuses a connection's start-up `options`: the backend sends them as SET LOCAL
    with each transaction's first statement, like the path."""
    settings = _pooled_settings(transaction_pooling=True)
    settings["OPTIONS"] = {"options": "-c jit=off -c statement_timeout=1234"}
    wrapper = DatabaseWrapper(settings, "default")
    wrapper.set_schema(tenant_schemas[3])
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT current_setting('statement_timeout'), current_setting('jit')")
            assert cursor.fetchone() == ("1234ms", "off")

        wrapper.set_autocommit(False)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT set_config('statement_timeout', '5000', true)")
            # a change of schema in the transaction sends the path again, not the options
            wrapper.set_schema(tenant_schemas[4])
            cursor.execute("SELECT current_setting('statement_timeout')")
            assert cursor.fetchone() == ("5s",)
            assert bytes(cursor.cursor.query).decode().count("SET LOCAL") == 1
        wrapper.rollback()
        wrapper.set_autocommit(True)
    finally:
        wrapper.close()


def test_a_savepoint_rolled_back_after_an_error_leaves_the_transaction_usable(
    tenant_schemas: list[str],
) -> None:
    """An error inside a nested atomic block (a caught IntegrityError, a get_or_create race)
    rolls back to its savepoint: PostgreSQL refuses any SET LOCAL in a transaction an error
    aborted, so the rollback goes without the path, and the transaction goes on."""
    wrapper = DatabaseWrapper(_pooled_settings(transaction_pooling=True), "default")
    wrapper.set_schema(tenant_schemas[0])
    try:
        wrapper.set_autocommit(False)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            savepoint = wrapper.savepoint()
            with pytest.raises(DataError):
                cursor.execute("SELECT 1/0")
            wrapper.savepoint_rollback(savepoint)
            cursor.execute("SELECT count(*) FROM pool_reads WHERE tenant = %s", [tenant_schemas[0]])
            assert cursor.fetchone() == (ROWS_PER_TENANT,)
        wrapper.rollback()
        wrapper.set_autocommit(True)
    finally:
        wrapper.close()
