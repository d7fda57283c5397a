"""Writes to many rows of a table in one statement, for the services that post in batches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connection, models


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
        cursor.execute(sql, [*same.values(), list(values), list(values.values())])
        return cursor.rowcount
