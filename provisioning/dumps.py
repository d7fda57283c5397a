"""pg_dump of one schema of the project's database, connected with Django's settings (to
PostgreSQL itself, never through a pooler in transaction mode): the tenant export and the
template's DDL capture both dump through it, and a tenant's restore runs psql with the same
connection (`postgres_connection`)."""

from __future__ import annotations

import os
import subprocess
from typing import IO

from saas_platform.lib.database import session_database_settings


def schema_dump(*options: str, schema_name: str, output: IO[bytes] | None = None) -> bytes:
    """Run pg_dump of `schema_name` with `options` (format, sections), without owners or
    privileges. What it writes goes to `output` when given, else it is returned. A failure is a
    RuntimeError holding the start of pg_dump's own message."""
    connection_arguments, environment = postgres_connection()
    command = [
        "pg_dump",
        *options,
        "--no-owner",
        "--no-privileges",
        f"--schema={schema_name}",
        *connection_arguments,
    ]
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        command,
        stdout=subprocess.PIPE if output is None else output,
        stderr=subprocess.PIPE,
        env=environment,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {result.stderr.decode(errors='replace')[:500]}")
    return result.stdout or b""


def postgres_connection() -> tuple[list[str], dict[str, str]]:
    """The command-line arguments (host, port, user, database) and the environment (the
    password) with which PostgreSQL's own tools reach the project's database directly."""
    database = session_database_settings()
    environment = {**os.environ, "PGPASSWORD": str(database.get("PASSWORD") or "")}
    arguments = [
        f"--host={database.get('HOST') or '127.0.0.1'}",
        f"--port={database.get('PORT') or 5432}",
        f"--username={database.get('USER') or 'postgres'}",
        f"--dbname={database['NAME']}",
    ]
    return arguments, environment
