"""Migration operations for the public schema's large tables: indexes built and dropped
CONCURRENTLY (without locking out writes), and skipped in the schemas that do not hold the
model. A tenant schema is migrated inside a transaction (provisioning, the template's
catch-up), where Django's concurrent operations refuse before asking whether the model is
there at all; the public schema, which holds these tables, is migrated outside one."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations.base import Operation


class _WhereMigrated(Operation):
    """An operation on a model's table that does nothing, rather than refuse, in a schema that
    does not hold the model (its state has the model in both directions: only an index
    changes)."""

    model_name: str

    def _held(self, app_label: str, schema_editor: Any, state: Any) -> bool:
        model = state.apps.get_model(app_label, self.model_name)
        return bool(self.allow_migrate_model(schema_editor.connection.alias, model))

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if self._held(app_label, schema_editor, to_state):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if self._held(app_label, schema_editor, from_state):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexConcurrentlyWhereMigrated(_WhereMigrated, AddIndexConcurrently):
    """AddIndexConcurrently, skipped where the model is not migrated."""


class RemoveIndexConcurrentlyWhereMigrated(_WhereMigrated, RemoveIndexConcurrently):
    """RemoveIndexConcurrently, skipped where the model is not migrated."""
