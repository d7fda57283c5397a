"""`migrate` is `migrate_schemas` (as in django-tenants), with the template refresh."""

from provisioning.management.commands.migrate_schemas import Command

__all__ = ["Command"]
