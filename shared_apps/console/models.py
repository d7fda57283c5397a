"""What operators did to tenants, the exports and the deletions they asked for, in the public
schema.

All three name the organization by id and by slug. The id is a foreign key without a database
constraint (DO_NOTHING): deleting the tenant leaves the id in place instead of nulling it, and the
slug is kept by value, so the trail and the last export of a deleted tenant still say whose they
were. Code reads `organization_id` and `organization_slug`; `.organization` is only for tenants
that still exist.
"""

from __future__ import annotations

from django.db import models


class OperatorAction(models.TextChoices):
    SUSPEND = "suspend", "Suspend"
    REACTIVATE = "reactivate", "Reactivate"
    RETRY = "retry", "Retry provisioning"
    EXPORT = "export", "Export"
    EXPORT_DOWNLOAD = "export_download", "Download an export"
    DELETE = "delete", "Delete"


class Outcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    QUEUED = "queued", "Queued"
    FAILED = "failed", "Failed"


class OperatorAuditEvent(models.Model):
    """One operator action on one tenant: who, what, when, why, and how it ended."""

    actor = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.EmailField(help_text="The operator, by value: survives the account.")
    action = models.CharField(max_length=30, choices=OperatorAction.choices)
    organization = models.ForeignKey(
        "tenants.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="operator_events",
    )
    organization_slug = models.CharField(max_length=40, db_index=True)
    reason = models.TextField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=OperatorAction.values),
                name="operatorauditevent_action_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values),
                name="operatorauditevent_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_email} {self.action} {self.organization_slug} ({self.outcome})"


class OperatorJob(models.Model):
    """What the operator's background jobs (exports, deletions) record alike: who asked, under
    which audit row, when, and why it failed."""

    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        "users.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    audit_event = models.ForeignKey(
        OperatorAuditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class ExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class TenantExport(OperatorJob):
    """A pg_dump of one tenant's schema, kept in the public schema's storage."""

    organization = models.ForeignKey(
        "tenants.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="exports",
    )
    organization_slug = models.CharField(max_length=40, db_index=True)
    state = models.CharField(max_length=20, choices=ExportState.choices, default=ExportState.QUEUED)
    file_name = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ExportState.values),
                name="tenantexport_state_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_slug} export {self.pk} ({self.state})"


class DeletionState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Exporting and dropping"
    DONE = "done", "Deleted"
    FAILED = "failed", "Failed"


DELETION_PENDING_STATES = (DeletionState.QUEUED, DeletionState.RUNNING)


class TenantDeletion(OperatorJob):
    """An operator's request to delete a tenant, carried out by a Celery task.

    While it is queued or running the organization is suspended (its hosts refuse every request)
    and no other deletion of it may be requested: the partial unique constraint says so. Done, it
    names the export made first (none when the tenant never had a schema); failed, it says why,
    and the organization was put back in the state recorded here.
    """

    organization = models.ForeignKey(
        "tenants.Organization",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="deletions",
    )
    organization_slug = models.CharField(max_length=40, db_index=True)
    schema_name = models.CharField(max_length=63)
    state = models.CharField(
        max_length=20, choices=DeletionState.choices, default=DeletionState.QUEUED
    )
    # The organization's state before the request suspended it, restored if the deletion fails.
    previous_state = models.CharField(max_length=20)
    previous_state_reason = models.TextField(blank=True)
    previous_state_changed_at = models.DateTimeField()
    # When the request suspended it: a failure restores the previous state only if nobody has
    # changed the organization's state since.
    suspended_at = models.DateTimeField()
    export = models.ForeignKey(
        TenantExport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schema_existed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=DeletionState.values),
                name="tenantdeletion_state_valid",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(state__in=[state.value for state in DELETION_PENDING_STATES]),
                name="tenantdeletion_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_slug} deletion {self.pk} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state in DELETION_PENDING_STATES
