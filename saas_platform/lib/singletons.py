"""Settings kept as a single row (pk 1) of a model, created with its defaults when first read."""

from __future__ import annotations

from django.db import models


def singleton_get[Model: models.Model](model: type[Model]) -> Model:
    """The one row of `model`; the model's check constraint keeps it the only one."""
    row, _ = model._default_manager.get_or_create(pk=1)
    return row
