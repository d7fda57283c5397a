"""migrate_schemas, then refresh the template schema new tenants are cloned from.

Wraps django-tenants' command (provisioning comes first in INSTALLED_APPS, so this one wins):
a full run (no --schema) also migrates the template and remakes the spare schemas, so tenants
provisioned after a deploy are made at the code's migrations. A run on one schema
(provisioning's own fallback, the template's refresh itself) leaves the template alone.
"""

from __future__ import annotations

from typing import Any

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from provisioning.spares import spares_refill
from provisioning.template import template_refresh


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if self._refreshes_template(options):
            template_refresh()
            spares_refill()  # drops the spares of the old migration state, clones new ones

    @staticmethod
    def _refreshes_template(options: dict[str, Any]) -> bool:
        if options.get("schema_name") or options.get("shared"):
            return False
        if options.get("plan") or options.get("check_unapplied") or options.get("fake"):
            return False
        return not options.get("app_label")
