"""Spare schemas (copies of the template made ahead of time, renamed into new tenants) and the
schemas whose last migration failed."""

from __future__ import annotations

from django.db import models


class SpareSchema(models.Model):
    """A schema cloned from the template before anyone asked for it (provisioning.spares).

    `template_key` names the template state it was cloned from: only spares of the current state
    are handed out, and the others are dropped at the next refill. `seed_key` names the chart
    data the spare was seeded with (provisioning.seed.seed_key); empty: not seeded, the seed
    step of provisioning loads the chart itself.
    """

    schema_name = models.CharField(max_length=63, unique=True)
    template_key = models.CharField(max_length=200)
    seed_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.schema_name


class SchemaMigrationFailure(models.Model):
    """A schema (a tenant's, a spare, the template) whose migration failed in the last
    `migrate_schemas` run that tried it (provisioning.migrations). Removed when a later run
    migrates it; what operators read to see which tenants are not at the code's migrations."""

    schema_name = models.CharField(max_length=63, unique=True)
    error = models.TextField()
    failed_at = models.DateTimeField()

    class Meta:
        ordering = ["schema_name"]

    def __str__(self) -> str:
        return f"{self.schema_name}: {self.error[:80]}"
