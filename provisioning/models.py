"""Spare schemas: copies of the template made ahead of time, renamed into new tenants."""

from __future__ import annotations

from django.db import models


class SpareSchema(models.Model):
    """A schema cloned from the template before anyone asked for it (provisioning.spares).

    `template_key` names the template state it was cloned from: only spares of the current state
    are handed out, and the others are dropped at the next refill.
    """

    schema_name = models.CharField(max_length=63, unique=True)
    template_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.schema_name
