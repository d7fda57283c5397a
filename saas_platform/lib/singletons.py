"""Settings kept as a single row (pk 1) of a model, created with its defaults when first read."""

from __future__ import annotations

from django.db import connection, models

from saas_platform.lib.plain_reads import plain_objects


def singleton_get[Model: models.Model](model: type[Model]) -> Model:
    """The one row of `model`; the model's check constraint keeps it the only one. Read in one
    plain statement (settings are read by most services); made when it is missing."""
    found = singleton_read(model)
    if found is not None:
        return found
    row, _ = model._default_manager.get_or_create(pk=1)
    return row


def singleton_read[Model: models.Model](model: type[Model]) -> Model | None:
    """The one row of `model` if it is made, in one plain statement; None if not yet."""
    key = connection.ops.quote_name(str(model._meta.pk.column if model._meta.pk else "id"))
    # The key's name from the model; no value is written into the statement.
    found = plain_objects(model, f"SELECT {{columns}} FROM {{table}} WHERE {key} = 1", [])  # noqa: S608
    return found[0] if found else None
