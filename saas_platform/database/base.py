"""django-tenants' PostgreSQL backend, with the tenant's search path set the way the connection
in front of PostgreSQL needs it, and no health-check query per request.

Direct to PostgreSQL, a connection is one server session: the backend sends
`SET search_path` when the schema it needs differs from the one the session already holds (one
statement when a request changes tenant, none when it stays on it), instead of one before each
cursor.

Through PgBouncer in transaction pooling (`TRANSACTION_POOLING` in the database's settings),
consecutive transactions of one connection may run on different server sessions, and a session
setting stays on the server session for whichever client gets it next. So no session setting is
ever made: every transaction carries its own path, `SET LOCAL search_path` sent in the same query
as the transaction's first statement (a statement outside a transaction block is a transaction of
its own, and so is a query of several statements). SET LOCAL ends with its transaction: a server
session always goes back to the pool with the default path, and a tenant's path never outlives
the transaction that set it. It costs no round trip of its own. PgBouncer refuses the start-up
`options` of a connection (`-c jit=off`, `-c statement_timeout=...`): they are sent the same way,
`SET LOCAL` in front of each transaction's first statement.

Health: a persistent connection is not probed with `SELECT 1` before each request
(CONN_HEALTH_CHECKS off). At the start and end of each request the connection's socket is polled
instead (no round trip): a server that ended the session (a restart, pg_terminate_backend, the
pooler closing it) has left a message or the end of the stream there, and the connection is
closed so that the next query reconnects. A query that still fails marks the connection, which
Django closes when that request ends.
"""

from __future__ import annotations

import re
import select
from collections.abc import Callable, Iterable
from typing import Any

import psycopg2.extensions
from django.core.exceptions import ImproperlyConfigured
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import quote_schema_name

# Statements sent as they are, without the path: those PostgreSQL refuses inside a transaction
# block (they name what they act on, or act on the whole database), and rollbacks, which must
# run in a transaction an error aborted, where PostgreSQL refuses a SET LOCAL in front of them.
_NOT_IN_A_TRANSACTION = re.compile(
    r"\s*(ROLLBACK\b|VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE|ALTER\s+SYSTEM|CREATE\s+TABLESPACE|"
    r"DROP\s+TABLESPACE|CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY|"
    r"REINDEX\b[^;]*\bCONCURRENTLY)",
    re.IGNORECASE,
)


# `-c name=value` (or `--name=value`) in libpq's start-up options.
_STARTUP_SETTING = re.compile(r"(?:-c\s*|--)([A-Za-z_][A-Za-z0-9_.]*)=(\S+)")


def startup_settings(options: str) -> list[tuple[str, str]]:
    """The settings a connection's start-up `options` make, as (name, value) pairs."""
    settings = _STARTUP_SETTING.findall(options)
    rest = _STARTUP_SETTING.sub("", options).strip()
    if rest:
        raise ImproperlyConfigured(f"Cannot send {rest!r} through a pooler: use -c name=value.")
    return settings


class TransactionSearchPathCursor(psycopg2.extensions.cursor):
    """A psycopg2 cursor that puts the transaction's `SET LOCAL search_path` in front of the
    first statement that needs it (see the module's docstring)."""

    # Set by DatabaseWrapper._cursor; None for a cursor opened on the raw connection.
    search_path_statement: Callable[[], str | None] | None = None
    search_path_applied: Callable[[], None] | None = None

    def execute(self, query: Any, vars: Any = None) -> None:  # noqa: A002 (psycopg2's name)
        statement = self._statement_for(query)
        if statement is None:
            super().execute(query, vars)
            return
        text = query.as_string(self) if hasattr(query, "as_string") else query
        if isinstance(text, bytes):
            text = text.decode()
        if vars is not None:
            statement = statement.replace("%", "%%")
        super().execute(f"{statement}; {text}", vars)
        if self.search_path_applied is not None:
            self.search_path_applied()

    def executemany(self, query: Any, vars_list: Iterable[Any]) -> None:
        self._in_transaction_with_path(
            lambda: super(TransactionSearchPathCursor, self).executemany(query, vars_list)
        )

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        self._in_transaction_with_path(
            lambda: super(TransactionSearchPathCursor, self).copy_expert(sql, file, size)
        )

    def _statement_for(self, query: Any) -> str | None:
        if self.search_path_statement is None:
            return None
        if isinstance(query, str) and _NOT_IN_A_TRANSACTION.match(query):
            return None
        return self.search_path_statement()

    def _in_transaction_with_path(self, run: Callable[[], None]) -> None:
        """Operations that cannot carry a second statement: the path goes first, in the same
        transaction (an explicit one when the connection is in autocommit)."""
        statement = self.search_path_statement() if self.search_path_statement else None
        if statement is None:
            run()
            return
        explicit = self.connection.autocommit
        if explicit:
            super().execute("BEGIN")
        try:
            super().execute(statement)
            run()
        except BaseException:
            if explicit:
                super().execute("ROLLBACK")
            raise
        if explicit:
            super().execute("COMMIT")
        elif self.search_path_applied is not None:
            self.search_path_applied()


class DatabaseWrapper(TenantDatabaseWrapper):
    # django-tenants' own, untyped: the path set on the connection for the current schema.
    search_path_set_schemas: list[str] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The path the server session holds (direct connections), and the one the current
        # transaction has set (transaction pooling); None when unknown or none.
        self._session_search_path: list[str] | None = None
        self._transaction_search_path: list[str] | None = None
        self._pending_search_path: list[str] | None = None
        # Start-up settings sent with each transaction instead (transaction pooling).
        self._transaction_settings: list[tuple[str, str]] = []
        super().__init__(*args, **kwargs)
        self.transaction_pooling = bool(self.settings_dict.get("TRANSACTION_POOLING", False))

    # --- The search path.

    def _cursor(self, name: str | None = None) -> Any:
        cursor = super()._cursor(name)
        # Django's cursor wrapper around psycopg2's own.
        database_cursor = getattr(cursor, "cursor", cursor)
        if self.transaction_pooling and isinstance(database_cursor, TransactionSearchPathCursor):
            database_cursor.search_path_statement = self._transaction_search_path_statement
            database_cursor.search_path_applied = self._transaction_search_path_applied
        return cursor

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if self.transaction_pooling:
            self._transaction_settings = startup_settings(str(params.pop("options", "")))
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if self.transaction_pooling:
            connection.cursor_factory = TransactionSearchPathCursor
        return connection

    def _handle_search_path(self, cursor: Any = None) -> None:
        if self.transaction_pooling or self._setting_search_path:
            return
        if self.search_path_set_schemas:
            return
        wanted = self._get_cursor_search_paths()
        if wanted == self._session_search_path:
            self.search_path_set_schemas = wanted
            return
        super()._handle_search_path(cursor)
        self._session_search_path = self.search_path_set_schemas

    def _transaction_search_path_statement(self) -> str | None:
        wanted = self._get_cursor_search_paths()
        in_transaction = not self.connection.autocommit
        if in_transaction and wanted == self._transaction_search_path:
            return None
        # The start-up settings once a transaction: a transaction may change them after its
        # first statement (a report's longer statement_timeout), and a change of schema in it
        # must not undo that.
        first = not in_transaction or self._transaction_search_path is None
        self._pending_search_path = wanted
        statements = ["SET LOCAL search_path = " + ",".join(quote_schema_name(s) for s in wanted)]
        if first:
            statements += [
                f"SET LOCAL {name} = '{value.replace(chr(39), chr(39) * 2)}'"
                for name, value in self._transaction_settings
            ]
        return "; ".join(statements)

    def _transaction_search_path_applied(self) -> None:
        if not self.connection.autocommit:
            self._transaction_search_path = self._pending_search_path

    def _search_path_forget(self) -> None:
        self._session_search_path = None
        self._transaction_search_path = None

    # Ending a transaction ends SET LOCAL, and a rollback undoes a SET made in it.

    def _commit(self) -> None:
        self._transaction_search_path = None
        super()._commit()

    def _rollback(self) -> None:
        self._search_path_forget()
        super()._rollback()

    def _savepoint_rollback(self, sid: str) -> None:
        try:
            super()._savepoint_rollback(sid)
        finally:
            self._search_path_forget()

    def _set_autocommit(self, autocommit: bool) -> None:
        self._transaction_search_path = None
        super()._set_autocommit(autocommit)

    def close(self) -> None:
        self._search_path_forget()
        super().close()

    # --- Health without a query.

    def close_if_unusable_or_obsolete(self) -> None:
        super().close_if_unusable_or_obsolete()
        if self.connection is not None and self.in_atomic_block is False and self.server_left():
            self.close()

    def server_left(self) -> bool:
        """True when the server has written to this idle connection: between requests it only
        does so to end the session (an error message, then the end of the stream)."""
        try:
            poller = select.poll()
            events = select.POLLIN | select.POLLERR | select.POLLHUP
            poller.register(self.connection.fileno(), events)
            return bool(poller.poll(0))
        except (OSError, ValueError, psycopg2.InterfaceError):
            return True
