"""Which connection needs a session of its own: PostgreSQL itself when the default connection
goes through a pooler in transaction mode (DIRECT_DATABASE_URL), the default one otherwise."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

DIRECT_DATABASE_ALIAS = "direct"


def session_database_alias() -> str:
    """The alias for session state: advisory locks held across transactions, server-side
    cursors, anything a pooler would hand to another client between two transactions."""
    return (
        DIRECT_DATABASE_ALIAS if DIRECT_DATABASE_ALIAS in settings.DATABASES else DEFAULT_DB_ALIAS
    )


def session_database_settings() -> dict[str, Any]:
    """The settings of that connection, for tools that connect on their own (pg_dump)."""
    database: dict[str, Any] = settings.DATABASES[session_database_alias()]
    return database
