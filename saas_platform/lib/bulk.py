"""Writes to many rows of a table in one statement, for the services that post in batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from json import JSONEncoder, dumps
from typing import Any

from django.db import connection, models
from django.db.models.expressions import DatabaseDefault


def rows_update(
    model: type[models.Model], *, per_row: str, values: Mapping[int, int], **same: Any
) -> int:
    """One UPDATE of `model`'s rows named by the keys of `values` (primary keys): the integer
    column `per_row` set to each row's own value, the columns of `same` to one value for all.
    Columns are named as in the table ("journal_entry_id"). Django's bulk_update writes a CASE
    per field, which costs about as much as one UPDATE a row; this joins the values instead.
    Returns the number of rows updated."""
    if not values:
        return 0
    columns = {field.column for field in model._meta.concrete_fields}
    unknown = sorted({per_row, *same} - columns)
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(unknown)}.")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key = quote((model._meta.pk.column if model._meta.pk is not None else None) or "id")
    assignments = [f"{quote(per_row)} = given.value"]
    assignments += [f"{quote(column)} = %s" for column in same]
    # Names from the model, checked above; values are parameters.
    sql = (
        f"UPDATE {table} SET {', '.join(assignments)} "  # noqa: S608
        "FROM unnest(%s::bigint[], %s::bigint[]) AS given(id, value) "
        f"WHERE {table}.{key} = given.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [*same.values(), array_text(list(values)), array_text(list(values.values()))]
        )
        return cursor.rowcount


# Django's internal field types whose values rows_insert writes as text itself.
_TEXT_TYPES = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField",
    "DateTimeField", "DecimalField", "EmailField", "ForeignKey", "IntegerField", "JSONField",
    "OneToOneField", "PositiveBigIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "SlugField", "SmallAutoField", "SmallIntegerField",
    "TextField", "URLField",
}  # fmt: skip


def rows_insert[M: models.Model](objs: Sequence[M]) -> list[M]:
    """bulk_create of new rows for the services that post in batches: one INSERT of each
    column's values sent as one array in PostgreSQL's text form (Django builds every value's
    parameter field by field, and psycopg2 adapts each element of each array: most of a batch's
    writing), the new keys set on the objects. Values are what the objects hold, as a save
    would write them (defaults, auto_now and auto_now_add included). A field with a database
    default that no object sets is left to the database, and its value read back as the key
    is. A model with a field of another type or a generated column is left to bulk_create, and
    so is a batch where some objects set a field with a database default and others do not.
    Rows whose keys were taken already (keys_taken) are written with them; a batch with some
    keys and not others is left to bulk_create too."""
    if not objs:
        return []
    model = type(objs[0])
    keyed = sum(obj.pk is not None for obj in objs)
    defaulted = _defaulted_in(model, objs)
    insert = (
        _insert_of(model, keyed=keyed == len(objs), defaulted=defaulted)
        if defaulted is not None
        else None
    )
    if insert is None or 0 < keyed < len(objs):
        return model._default_manager.bulk_create(objs)
    sql, fields, returned = insert
    for obj in objs:
        # A related row saved after it was set: its key, as bulk_create takes it.
        obj._prepare_related_fields_for_save(operation_name="rows_insert")  # type: ignore[attr-defined]
    arrays = [
        array_text(
            [field.pre_save(obj, True) for obj in objs],
            json=field.get_internal_type() == "JSONField",
            encoder=getattr(field, "encoder", None),
        )
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
        rows = cursor.fetchall()
    for obj, row in zip(objs, rows, strict=True):
        obj.pk = row[0]
        for attname, value in zip(returned, row[1:], strict=True):
            setattr(obj, attname, value)
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def _defaulted_in(model: type[models.Model], objs: Sequence[models.Model]) -> frozenset[str] | None:
    """The fields with a database default that none of `objs` sets (left to the database), by
    attribute name; None when some set one and others do not."""
    defaulted = []
    for field in model._meta.concrete_fields:
        if not field.has_db_default():
            continue
        unset = sum(isinstance(getattr(obj, field.attname), DatabaseDefault) for obj in objs)
        if unset == len(objs):
            defaulted.append(field.attname)
        elif unset:
            return None
    return frozenset(defaulted)


def keys_taken(model: type[models.Model], count: int) -> list[int]:
    """`count` new keys from the sequence of `model`'s automatic key, ascending, in one
    statement: for rows that must be named (by other rows written first) before they are
    written with rows_insert."""
    if count <= 0:
        return []
    key = model._meta.pk.column if model._meta.pk is not None else "id"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(sequence) FROM pg_get_serial_sequence(%s, %s) AS sequence, "
            "generate_series(1, %s) ORDER BY 1",
            [connection.ops.quote_name(model._meta.db_table), key, count],
        )
        return [row[0] for row in cursor.fetchall()]


@cache
def _insert_of(
    model: type[models.Model], *, keyed: bool = False, defaulted: frozenset[str] = frozenset()
) -> tuple[str, list[models.Field[Any, Any]], list[str]] | None:
    """rows_insert's statement for `model`, the fields it writes (all but an automatic key,
    unless `keyed`: the rows' keys were taken already, and those `defaulted`, left to their
    database default) and the attributes it reads back after the key (those defaulted); None
    when a field written is not of a type it writes itself."""
    fields = []
    returned = []
    for field in model._meta.concrete_fields:
        if (
            field.primary_key
            and not keyed
            and field.get_internal_type() in ("AutoField", "BigAutoField")
        ):
            continue
        if field.attname in defaulted:
            returned.append(field)
            continue
        if field.get_internal_type() not in _TEXT_TYPES or getattr(field, "generated", False):
            return None
        fields.append(field)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    casts = ", ".join(f"%s::{str(field.db_type(connection)).split('(')[0]}[]" for field in fields)
    key = model._meta.pk.column if model._meta.pk is not None else "id"
    # Names and types from the model; values are parameters.
    returning = ", ".join(quote(str(column)) for column in [key, *(f.column for f in returned)])
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({casts}) RETURNING {returning}"
    )
    return sql, fields, [field.attname for field in returned]


def array_text(
    values: Sequence[Any], *, json: bool = False, encoder: type[JSONEncoder] | None = None
) -> str:
    """An array's text form as PostgreSQL reads it ('{"1","2",NULL}'), each element quoted;
    `json` writes each value that is not None as JSON (with `encoder`, as a JSONField does)."""
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
            continue
        if json:
            text = dumps(value, cls=encoder)
        elif isinstance(value, bool):
            text = "t" if value else "f"
        elif isinstance(value, date):  # and datetimes, with their offset
            text = value.isoformat()
        else:
            text = str(value)
        parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"
