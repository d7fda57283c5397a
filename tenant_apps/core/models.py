"""The organization's audit log: one table per tenant schema, written by every app."""

from django.db import models


class AuditEvent(models.Model):
    """Who did what in the organization, and when; written in the same transaction as the change."""

    action = models.CharField(max_length=50)
    actor = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=50)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        # The table keeps the name it had when the log lived in accounting: every tenant's rows
        # stay where they are, and the console's cross-schema reads name it.
        db_table = "accounting_auditevent"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="auditevent_object")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
