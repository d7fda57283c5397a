"""Logical backups of each tenant: a nightly pg_dump of its schema into storage, kept for
`BACKUP_RETENTION_DAYS`, and the restore of one tenant from such a dump.

Physical backups with point-in-time recovery (pgBackRest, deploy/pgbackrest/) restore the whole
database; these restore one organization without touching the others.

- Files: `backups/<slug>/<slug>-<UTC stamp>.dump` (pg_dump's custom format) in the public
  schema's namespace of storage (`tenants/public/` on S3), where operators find them and where
  they outlive the tenant. Pruning keeps every dump younger than the retention and always the
  newest, so that a tenant suspended for months keeps its last one.
- Restore into a new schema (the default) leaves the tenant as it is: the dump is replayed under
  its own schema name inside one transaction, in which the live schema steps aside under a
  temporary name and comes back, so the tenant never sees the copy; the copy ends under the new
  name. Nothing is rewritten in the data (a text substitution of the schema name would also
  change a donor's note that mentions it).
- Restore over the tenant's own schema (`replace=True`, the command's --replace) first exports
  the current schema (so it can be undone), then replays the dump and drops the current schema
  in the same transaction: the tenant sees the old data or the restored, never a mix.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context

from provisioning.dumps import postgres_connection, schema_dump
from provisioning.schemas import schema_name_in_catalog, schema_name_reserved_as
from provisioning.services import tenant_export
from provisioning.spares import pinned_paths_rename
from provisioning.template import migrations_missing, quote_name
from saas_platform.lib.connection import connection
from shared_apps.tenants.models import Organization

logger = logging.getLogger(__name__)

BACKUP_FOLDER = "backups"
_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9-]+)-(?P<stamp>\d{8}T\d{6}Z)\.dump$")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# `pg_restore --list`: "7; 2615 16385 SCHEMA - alpha postgres"
_TOC_SCHEMA = re.compile(r"^\d+; \d+ \d+ SCHEMA - (\S+) ", re.MULTILINE)


@dataclass(frozen=True)
class Restored:
    schema_name: str
    source_file: str
    # The export of the schema a --replace restore overwrote; None for a restore into a new one.
    replaced_export: str | None
    # Migrations of the code the restored schema lacks: a dump from before a release is restored
    # as it was; `manage.py migrate_schemas --schema <name>` brings it up to date.
    migrations_missing: int


def backup_folder(slug: str) -> str:
    return f"{BACKUP_FOLDER}/{slug}"


def tenant_backup_export(*, organization: Organization, now: datetime | None = None) -> str:
    """pg_dump the organization's schema into its backup folder; returns the stored name."""
    stamp = (now or timezone.now()).astimezone(UTC).strftime(_STAMP_FORMAT)
    name = f"{backup_folder(organization.slug)}/{organization.slug}-{stamp}.dump"
    with tempfile.TemporaryFile() as dump:
        schema_dump("--format=custom", schema_name=organization.schema_name, output=dump)
        dump.seek(0)
        with schema_context("public"):
            stored = default_storage.save(name, File(dump))
    logger.info("backed up %s to %s", organization.slug, stored)
    return stored


def tenant_backups(slug: str) -> list[tuple[datetime, str]]:
    """The tenant's backups in storage, newest first, as (taken at, stored name)."""
    folder = backup_folder(slug)
    with schema_context("public"):
        try:
            _, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return []
    found = []
    for file_name in files:
        match = _FILE_NAME.match(file_name)
        if match and match["slug"] == slug:
            taken = datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)
            found.append((taken, f"{folder}/{file_name}"))
    return sorted(found, reverse=True)


def tenant_backups_prune(*, slug: str, now: datetime | None = None) -> list[str]:
    """Delete the tenant's backups older than BACKUP_RETENTION_DAYS, except the newest.
    Returns the names deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.BACKUP_RETENTION_DAYS)
    backups = tenant_backups(slug)
    expired = [name for taken, name in backups[1:] if taken < cutoff]
    with schema_context("public"):
        for name in expired:
            default_storage.delete(name)
    if expired:
        logger.info("pruned %d backup(s) of %s", len(expired), slug)
    return expired


def tenant_backup_nightly(*, organization: Organization) -> str:
    """Tonight's backup of one tenant, then the pruning of its old ones."""
    stored = tenant_backup_export(organization=organization)
    tenant_backups_prune(slug=organization.slug)
    return stored


# --- Restore -----------------------------------------------------------------------------


def restored_schema_name(schema_name: str, *, now: datetime | None = None) -> str:
    """The default name of a restore into a new schema: `<schema>_restored_<YYYYMMDDHHMM>`."""
    stamp = (now or timezone.now()).astimezone(UTC).strftime("%Y%m%d%H%M")
    return f"{schema_name[: 63 - len('_restored_') - len(stamp)]}_restored_{stamp}"


def tenant_restore(
    *,
    slug: str,
    source_file: str | None = None,
    schema_name: str | None = None,
    replace: bool = False,
) -> Restored:
    """Bring one tenant back from a dump in storage (its newest backup unless `source_file`
    names one, an export of the console included).

    Into `schema_name` (by default `<schema>_restored_<stamp>`), a new schema that must not
    exist; or, with `replace`, over the tenant's own schema, which is exported first. Raises
    ValidationError, changing nothing, for a name that may not be used or a dump not found.
    """
    organization = Organization.objects.filter(slug=slug).first()
    if schema_name is not None:
        _target_check(schema_name)  # before any download
    if source_file is None:
        backups = tenant_backups(slug)
        if not backups:
            raise ValidationError(f"No backup of {slug} in storage ({backup_folder(slug)}/).")
        source_file = backups[0][1]
    with tempfile.TemporaryDirectory() as directory:
        dump_path = Path(directory) / "tenant.dump"
        _download(source_file, dump_path)
        source_schema = _dump_schema(dump_path)
        if replace:
            if organization is None or organization.schema_name != source_schema:
                raise ValidationError(
                    f"--replace restores a tenant over its own schema: {source_file} holds "
                    f"{source_schema}, which is not {slug}'s."
                )
            return _restore_replacing(organization, dump_path, source_file=source_file)
        target = schema_name or restored_schema_name(source_schema)
        if schema_name is None:
            _target_check(target)
        _replay(dump_path, source_schema=source_schema, target=target)
    logger.info("restored %s from %s into %s", slug, source_file, target)
    return Restored(
        schema_name=target,
        source_file=source_file,
        replaced_export=None,
        migrations_missing=migrations_missing(target),
    )


def _restore_replacing(
    organization: Organization, dump_path: Path, *, source_file: str
) -> Restored:
    undo = tenant_export(organization=organization)
    _replay(dump_path, source_schema=organization.schema_name, target=organization.schema_name)
    logger.info(
        "restored %s over its own schema from %s; the schema replaced is exported at %s",
        organization.slug,
        source_file,
        undo,
    )
    return Restored(
        schema_name=organization.schema_name,
        source_file=source_file,
        replaced_export=undo,
        migrations_missing=migrations_missing(organization.schema_name),
    )


def _target_check(target: str) -> None:
    if not _SCHEMA_NAME.match(target):
        raise ValidationError(
            f"{target!r} is not a schema name: lowercase letters, digits and _, at most 63."
        )
    reserved_as = schema_name_reserved_as(target)
    if reserved_as is not None:
        raise ValidationError(f"{target} is {reserved_as}; restore into another schema.")
    if schema_name_in_catalog(target):
        raise ValidationError(
            f"The schema {target} exists; restore into a new one, or over the tenant's own "
            "schema with --replace."
        )


def _download(source_file: str, path: Path) -> None:
    with schema_context("public"):
        if not default_storage.exists(source_file):
            raise ValidationError(f"No file {source_file} in storage.")
        with default_storage.open(source_file, "rb") as stored, path.open("wb") as local:
            for chunk in iter(lambda: stored.read(1 << 20), b""):
                local.write(chunk)


def _dump_schema(dump_path: Path) -> str:
    try:
        listing = _run(["pg_restore", "--list", str(dump_path)])
    except RuntimeError:
        raise ValidationError("The file is not a dump made by pg_dump.") from None
    schemas = _TOC_SCHEMA.findall(listing.decode(errors="replace"))
    if len(schemas) != 1:
        raise ValidationError("The file is not a dump of one tenant's schema.")
    return str(schemas[0])


def _replay(dump_path: Path, *, source_schema: str, target: str) -> None:
    """Replay the dump (made of `source_schema`) so that it ends as `target`, in one psql
    transaction: the schema in the way steps aside under a temporary name first. When the
    target is the source itself (--replace) the one stepping aside is dropped at the end;
    otherwise the restored schema is renamed to the target and the live one comes back."""
    source = quote_name(source_schema)
    aside = quote_name(f"_restore_{secrets.token_hex(6)}")
    in_the_way = schema_name_in_catalog(source_schema)
    before = f"ALTER SCHEMA {source} RENAME TO {aside};\n" if in_the_way else ""
    if target == source_schema:
        after = f"DROP SCHEMA {aside} CASCADE;\n" if in_the_way else ""
    else:
        after = f"ALTER SCHEMA {source} RENAME TO {quote_name(target)};\n"
        if in_the_way:
            after += f"ALTER SCHEMA {aside} RENAME TO {source};\n"
    with tempfile.TemporaryFile() as sql:
        sql.write(b"\\set ON_ERROR_STOP on\n" + before.encode())
        sql.flush()
        # pg_restore appends the dump's SQL (COPY data inline) to the script, at the file's end.
        _run(["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(dump_path)], sql)
        sql.seek(0, os.SEEK_END)
        sql.write(after.encode())
        sql.flush()
        sql.seek(0)
        _psql(sql)
    if target != source_schema:
        # Functions pinned to the schema they were made in still name the source: point them
        # at the copy, or its triggers would write into the live tenant.
        connection.set_schema_to_public()
        pinned_paths_rename(target, old=source_schema)


def _psql(script: IO[bytes]) -> None:
    """Run `script` with psql (which reads COPY data inline) as one transaction."""
    arguments, environment = postgres_connection()
    result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--file=-", *arguments],  # noqa: S607
        stdin=script,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environment,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"restore failed: {result.stderr.decode(errors='replace')[:500]}")


def _run(command: list[str], output: IO[bytes] | None = None) -> bytes:
    result = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
        command,
        stdout=subprocess.PIPE if output is None else output,
        stderr=subprocess.PIPE,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {result.stderr.decode(errors='replace')[:500]}")
    return result.stdout or b""
