"""The template schema new tenants are cloned from, and our own clone of it.

Migrating a new schema from nothing replays every migration (seconds). Instead a schema that is
not a tenant and never routable (`PROVISIONING_TEMPLATE_SCHEMA`, `_template`) is kept fully
migrated, and a new tenant is made by replaying the template's DDL with the schema name
substituted, in one round trip, plus the rows the migrations left in it (django_migrations,
content types, permissions, any data migration's rows).

- The DDL is captured with `pg_dump --schema-only` once per migration state and cached (in this
  process and in Redis) under a key made of the database, the code's migration graph and the
  template's own migration timestamps, so a rebuilt template is captured again.
- Staleness is checked on every clone: the template's django_migrations rows must equal the
  nodes of the code's migration graph (one query). A missing or stale template returns None
  from `tenant_schema_clone`, and the caller migrates the schema from nothing instead.
- Functions created with `SET search_path FROM CURRENT` are pinned to the schema they were
  created in; in the captured DDL that is the template, so the substitution rewrites those
  pinned paths along with every schema-qualified name.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context, schema_exists

from provisioning.dumps import schema_dump
from saas_platform.lib.connection import connection

logger = logging.getLogger(__name__)

CACHE_PREFIX = "provisioning:template-ddl"
_SIMPLE_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Lines of a plain pg_dump that change the session or belong to the dump, not to the schema.
_SESSION_LINE = re.compile(
    r"^(SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict|CREATE SCHEMA )"
)

_captures: dict[str, Capture] = {}


def template_schema_name() -> str:
    return getattr(settings, "PROVISIONING_TEMPLATE_SCHEMA", "_template")


@dataclass(frozen=True)
class Capture:
    """The template's DDL and row copies, with the template's name still in them."""

    key: str
    pre_data: str  # tables, sequences, functions, defaults
    copy_rows: str  # INSERT ... SELECT from the template for each table that has rows
    post_data: str  # constraints, indexes, triggers, foreign keys
    sequences: str  # setval for the sequences of the copied tables


@cache
def migration_nodes() -> frozenset[tuple[str, str]]:
    """Every migration the code defines (read from disk once per process)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def migrations_missing(schema_name: str) -> int:
    """How many of the code's migrations `schema_name` has not recorded (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app, name FROM {quote_name(schema_name)}.django_migrations"  # noqa: S608
        )
        return len(migration_nodes() - set(cursor.fetchall()))


def _graph_fingerprint() -> str:
    return hashlib.sha256(repr(sorted(migration_nodes())).encode()).hexdigest()[:20]


def template_state() -> tuple[str, str | None]:
    """("missing" | "stale" | "ready", cache key). One query when the template exists."""
    schema = template_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [f"{quote_name(schema)}.django_migrations"]
        )
        if not cursor.fetchone()[0]:
            return "missing", None
        cursor.execute(
            f"SELECT app, name, applied FROM {quote_name(schema)}.django_migrations"  # noqa: S608
        )
        rows = cursor.fetchall()
    applied = {(app, name) for app, name, _ in rows}
    if applied != migration_nodes():
        return "stale", None
    stamps = hashlib.sha256(repr(sorted(str(row[2]) for row in rows)).encode()).hexdigest()[:20]
    return "ready", f"{connection.settings_dict['NAME']}:{_graph_fingerprint()}:{stamps}"


def template_refresh(*, rebuild: bool = False) -> str:
    """Bring the template schema up to the code's migrations and capture its DDL.

    Rebuilds it from nothing when asked or when it records migrations the code no longer has.
    Returns the resulting state ("ready").
    """
    schema = template_schema_name()
    connection.set_schema_to_public()
    state, _ = template_state()
    if state == "stale" and not rebuild:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT app, name FROM {quote_name(schema)}.django_migrations"  # noqa: S608
            )
            rebuild = bool(set(cursor.fetchall()) - migration_nodes())
    with connection.cursor() as cursor:
        if rebuild:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote_name(schema)} CASCADE")
        if not schema_exists(schema):
            cursor.execute(f"CREATE SCHEMA {quote_name(schema)}")
    call_command("migrate_schemas", schema_name=schema, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    state, key = template_state()
    if state != "ready" or key is None:
        raise RuntimeError(f"The template schema {schema} is {state} after migrating it.")
    _capture(key, refresh=True)
    logger.info("template schema %s refreshed", schema)
    return state


def tenant_schema_clone(schema_name: str) -> bool:
    """Create `schema_name` as a copy of the template; False when the template is missing or
    stale (the caller then migrates from nothing). Runs in the caller's transaction."""
    state, key = template_state()
    if state != "ready" or key is None:
        logger.warning("template schema is %s: migrating %s from nothing", state, schema_name)
        return False
    capture = _capture(key)
    sql = "\n".join(
        [
            "SET LOCAL check_function_bodies = false;",
            f"CREATE SCHEMA {quote_name(schema_name)};",
            _substitute(capture.pre_data, schema_name),
            _substitute(capture.copy_rows, schema_name, keep_source=True),
            _substitute(capture.post_data, schema_name),
            _substitute(capture.sequences, schema_name),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)  # one round trip: no parameters, so several statements are allowed
    return True


# --- Capture -----------------------------------------------------------------------------


def _capture(key: str, *, refresh: bool = False) -> Capture:
    if not refresh:
        found = _captures.get(key)
        if found is not None:
            return found
        stored = _cache_get(key)
        if stored is not None:
            _captures[key] = stored
            return stored
    capture = Capture(
        key=key,
        pre_data=_dump("pre-data"),
        post_data=_dump("post-data"),
        **_row_copies(),
    )
    _captures[key] = capture
    _cache_set(key, capture)
    return capture


def _cache_get(key: str) -> Capture | None:
    try:
        with schema_context("public"):
            value = caches["default"].get(f"{CACHE_PREFIX}:{key}")
    except Exception:  # Redis down: capture again, provisioning must not depend on it
        logger.warning("template DDL cache unavailable", exc_info=True)
        return None
    return Capture(key=key, **value) if isinstance(value, dict) else None


def _cache_set(key: str, capture: Capture) -> None:
    value = {
        "pre_data": capture.pre_data,
        "copy_rows": capture.copy_rows,
        "post_data": capture.post_data,
        "sequences": capture.sequences,
    }
    try:
        with schema_context("public"):
            caches["default"].set(f"{CACHE_PREFIX}:{key}", value, timeout=None)
    except Exception:
        logger.warning("template DDL cache unavailable", exc_info=True)


def _dump(section: str) -> str:
    output = schema_dump(
        "--schema-only",
        f"--section={section}",
        "--no-comments",
        schema_name=template_schema_name(),
    )
    lines = output.decode().splitlines()
    return "\n".join(line for line in lines if not _SESSION_LINE.match(line))


def _row_copies() -> dict[str, str]:
    """SQL copying every table of the template that has rows (left there by migrations and
    post_migrate: migrations, content types, permissions, data migrations), and setting the
    sequences of those tables past the copied ids. Other sequences start fresh."""
    schema = template_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT quote_ident(c.relname),
                   array_agg(quote_ident(a.attname) ORDER BY a.attnum)
                       FILTER (WHERE a.attgenerated = ''),
                   array_agg(
                       quote_ident(a.attname) || ' ' || pg_get_serial_sequence(
                           quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname)
                   ) FILTER (WHERE pg_get_serial_sequence(
                       quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname)
                       IS NOT NULL)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
            GROUP BY c.relname
            ORDER BY c.relname
            """,
            [schema],
        )
        tables = cursor.fetchall()
        if not tables:
            return {"copy_rows": "", "sequences": ""}
        probes = " UNION ALL ".join(
            f"SELECT {index} FROM (SELECT 1 FROM {quote_name(schema)}.{name} LIMIT 1) t"  # noqa: S608
            for index, (name, _, _) in enumerate(tables)
        )
        cursor.execute(probes)
        filled = {row[0] for row in cursor.fetchall()}
    copies: list[str] = []
    sequences: list[str] = []
    for index, (name, columns, serials) in enumerate(tables):
        if index not in filled:
            continue
        column_list = ", ".join(columns)
        copies.append(
            # names from the catalog, quoted by quote_ident
            f"INSERT INTO {quote_name(schema)}.{name} ({column_list}) "  # noqa: S608
            f"SELECT {column_list} FROM {{source}}.{name};"
        )
        for serial in serials or []:
            column, sequence = serial.split(" ", 1)
            sequences.append(
                f"SELECT setval('{sequence}', max({column})) "  # noqa: S608 - catalog names
                f"FROM {quote_name(schema)}.{name};"
            )
    return {"copy_rows": "\n".join(copies), "sequences": "\n".join(sequences)}


# --- Substitution ------------------------------------------------------------------------


def quote_name(schema_name: str) -> str:
    if _SIMPLE_IDENTIFIER.match(schema_name):
        return schema_name
    return '"' + schema_name.replace('"', '""') + '"'


def _substitute(sql: str, schema_name: str, *, keep_source: bool = False) -> str:
    """Replace the template's name by `schema_name` wherever it stands as a name: qualified
    names (`_template.t`), quoted ones, and the search paths functions pinned
    (`SET search_path TO '_template', 'public'`, and `'_template.seq'` literals)."""
    template = template_schema_name()
    pattern = re.compile(
        r"'" + re.escape(template) + r"'"  # a whole literal: a pinned search path element
        r"|\"" + re.escape(template) + r"\""  # a quoted identifier
        r"|(?<![\w$\"])" + re.escape(template) + r"(?![\w$])"  # a bare identifier
    )

    def replace(match: re.Match[str]) -> str:
        if match.group(0).startswith("'"):
            return "'" + schema_name.replace("'", "''") + "'"
        return quote_name(schema_name)

    result = pattern.sub(replace, sql)
    if keep_source:
        result = result.replace("{source}", quote_name(template))
    return result
