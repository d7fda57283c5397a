"""Migration operations for the public schema's large tables: indexes built and dropped
CONCURRENTLY (without locking out writes), and skipped in the schemas that do not hold the
model. A tenant schema is migrated inside a transaction (provisioning, the template's
catch-up), where Django's concurrent operations refuse before asking whether the model is
there at all; the public schema, which holds these tables, is migrated outside one."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently


class AddIndexConcurrentlyWhereMigrated(AddIndexConcurrently):
    """AddIndexConcurrently that does nothing, rather than refuse, in a schema that does not
    hold the model."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrentlyWhereMigrated(RemoveIndexConcurrently):
    """RemoveIndexConcurrently that does nothing, rather than refuse, in a schema that does not
    hold the model."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
