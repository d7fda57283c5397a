"""A signup waiting for its email to be verified, then for its tenant to be provisioned.

Lives in the public schema. It keeps what provisioning needs and nothing more: the owner's
password only as a hash (wiped once the owner exists or the signup expires), and the emailed
verification token only as its SHA-256.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class SignupState(models.TextChoices):
    PENDING = "pending", "Waiting for email verification"
    VERIFIED = "verified", "Verified; being set up"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Set-up failed"
    EXPIRED = "expired", "Expired"


# States in which a signup holds its subdomain: nobody else may start one for it.
OPEN_STATES = (SignupState.PENDING, SignupState.VERIFIED)


class Signup(models.Model):
    # In the progress page's address: unguessable, unlike the row id.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("organization name", max_length=200)
    slug = models.SlugField("subdomain", max_length=40)
    owner_name = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    plan_code = models.CharField(max_length=40)
    password_hash = models.CharField(max_length=128, blank=True)
    token_hash = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=20, choices=SignupState.choices, default=SignupState.PENDING
    )
    expires_at = models.DateTimeField(help_text="The verification link works until then.")
    verification_sent_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    organization = models.ForeignKey(
        "tenants.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signups",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=SignupState.values), name="signup_state_valid"
            ),
            # Two clicks, or two people, racing for one subdomain: one row wins.
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(state__in=[state.value for state in OPEN_STATES]),
                name="signup_open_slug_unique",
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~models.Q(token_hash=""),
                name="signup_token_hash_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug} ({self.email}, {self.state})"

    @property
    def is_expired(self) -> bool:
        return self.state == SignupState.EXPIRED or (
            self.state == SignupState.PENDING and self.expires_at <= timezone.now()
        )
