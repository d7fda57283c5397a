"""Writes of onboarding: start a signup, email its verification link, verify it, provision it.

The flow: `signup_start` keeps a pending signup (the password as a hash only) and queues the
verification email; `signup_verify` accepts the emailed token once and queues provisioning;
`signup_provision` (a Celery task) calls provisioning.services.tenant_provision with the
password hash, starts the plan's trial, and wipes the hash.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from provisioning.services import ProvisioningFailed, tenant_provision
from provisioning.slugs import slug_normalize
from saas_platform.celery import enqueue_on_commit
from saas_platform.errors import ServiceError, StateConflict
from shared_apps.billing.models import Subscription, SubscriptionStatus
from shared_apps.billing.selectors import plan_by_code, plans_offered
from shared_apps.onboarding.models import Signup, SignupState
from shared_apps.onboarding.selectors import open_signups_for, slug_availability
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import organization_host, platform_url
from shared_apps.users.models import User

logger = logging.getLogger(__name__)


def verification_hours() -> int:
    return settings.SIGNUP_VERIFICATION_HOURS


def token_hash_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signup_start(
    *,
    name: str,
    slug: str,
    owner_name: str,
    email: str,
    password: str,
    plan_code: str,
    terms_accepted: bool,
) -> Signup:
    """Keep a pending signup and queue its verification email. Returns the signup.

    The same person submitting the same subdomain again (a second click, a reload) gets the
    signup they already have, and no second email; anyone else gets a refusal naming the field.
    """
    name = (name or "").strip()
    slug = slug_normalize(slug)
    owner_name = (owner_name or "").strip()
    email = (email or "").strip().lower()
    _validate(
        name=name,
        slug=slug,
        owner_name=owner_name,
        email=email,
        password=password,
        plan_code=plan_code,
        terms_accepted=terms_accepted,
    )
    from shared_apps.onboarding.tasks import (
        signup_verification_email_send as signup_verification_email_send_task,
    )

    with transaction.atomic():
        signups_expire()
        repeated = _repeated_signup(slug=slug, email=email, password=password)
        if repeated is not None:
            return repeated
        availability = slug_availability(slug=slug, email=email)
        if not availability.available:
            raise ServiceError(availability.message, fields={"slug": [availability.message]})
        try:
            with transaction.atomic():
                signup = Signup.objects.create(
                    name=name,
                    slug=slug,
                    owner_name=owner_name,
                    email=email,
                    plan_code=plan_code,
                    password_hash=make_password(password),
                    expires_at=timezone.now() + timedelta(hours=verification_hours()),
                )
        except IntegrityError:  # the same form, submitted twice at once: the first one won
            repeated = _repeated_signup(slug=slug, email=email, password=password)
            if repeated is not None:
                return repeated
            message = "This subdomain is taken."
            raise ServiceError(message, fields={"slug": [message]}) from None
        enqueue_on_commit(signup_verification_email_send_task, signup.pk)
    logger.info("signup %s started for %s", signup.pk, slug)
    return signup


def _repeated_signup(*, slug: str, email: str, password: str) -> Signup | None:
    """The waiting signup of this email for this slug, if this is its owner submitting again.

    Another password means we cannot tell it is the same person: refuse, without creating.
    """
    existing = open_signups_for(slug=slug).filter(email=email).first()
    if existing is None:
        return None
    if existing.state == SignupState.PENDING and check_password(password, existing.password_hash):
        return existing
    message = (
        f"You have already signed up for this subdomain with {email}: open the link we emailed "
        "you to confirm your address. Nothing new was created."
        if existing.state == SignupState.PENDING
        else "This subdomain is being set up for you already."
    )
    raise StateConflict(message, fields={"slug": [message]})


def _validate(
    *,
    name: str,
    slug: str,
    owner_name: str,
    email: str,
    password: str,
    plan_code: str,
    terms_accepted: bool,
) -> None:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Enter your organization's name."]
    elif len(name) > 200:
        errors["name"] = ["The name has at most 200 characters."]
    availability = slug_availability(slug=slug, email=email)
    if not availability.available:
        errors["slug"] = [availability.message]
    if not owner_name:
        errors["owner_name"] = ["Enter your name."]
    elif len(owner_name) > 150:
        errors["owner_name"] = ["Your name has at most 150 characters."]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address, like name@example.org."]
    try:
        validate_password(password or "", user=User(email=email, full_name=owner_name))
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if not plans_offered().filter(code=plan_code).exists():
        errors["plan"] = ["Choose one of the plans offered."]
    if not terms_accepted:
        errors["terms"] = ["Please accept the terms of service to continue."]
    if errors:
        raise ServiceError("Some fields need your attention.", fields=errors)


def signups_expire() -> int:
    """Mark pending signups whose link has expired, and forget their password hashes."""
    return Signup.objects.filter(state=SignupState.PENDING, expires_at__lte=timezone.now()).update(
        state=SignupState.EXPIRED, password_hash="", updated_at=timezone.now()
    )


def signup_verification_send(*, signup_id: int) -> None:
    """Email a fresh verification link. The token exists only in the email: the row keeps its
    hash, so each sending replaces the link before it."""
    with transaction.atomic():
        signup = Signup.objects.select_for_update().get(pk=signup_id)
        if signup.state != SignupState.PENDING or signup.is_expired:
            logger.info("signup %s is %s; no verification email", signup.pk, signup.state)
            return
        token = secrets.token_urlsafe(32)
        signup.token_hash = token_hash_of(token)
        signup.verification_sent_at = timezone.now()
        signup.save(update_fields=["token_hash", "verification_sent_at", "updated_at"])
        context = {
            "signup": signup,
            "verify_url": platform_url(path=f"/signup/verify/{token}/"),
            "host": f"{signup.slug}.{settings.PLATFORM_DOMAIN}",
            "hours": verification_hours(),
        }
        send_mail(
            subject=f"Confirm your email to create {signup.name} on IFM",
            message=render_to_string("onboarding/verification_email.txt", context),
            from_email=None,
            recipient_list=[signup.email],
        )


# The least time between two verification emails of one signup: a second click, or impatience,
# would otherwise send a link that replaces the one on its way.
RESEND_INTERVAL = timedelta(minutes=1)


def signup_verification_resend(*, signup_id: int) -> Signup:
    """Send the verification email of a signup still waiting for it again, with a new link that
    works for SIGNUP_VERIFICATION_HOURS from now. The previous link stops working at once: its
    hash, the only trace of it, is cleared here (the email task stores the new one).

    Refuses, saying why, a signup already confirmed, one that has expired, and a request within
    RESEND_INTERVAL of the last email.
    """
    from shared_apps.onboarding.tasks import (
        signup_verification_email_send as signup_verification_email_send_task,
    )

    with transaction.atomic():
        signup = Signup.objects.select_for_update().get(pk=signup_id)
        if signup.is_expired:
            raise StateConflict(
                "This signup has expired, so no new link can be sent. Nothing was created; "
                "please sign up again."
            )
        if signup.state != SignupState.PENDING:
            raise StateConflict(
                "Your email address is already confirmed: there is no link to send again."
            )
        now = timezone.now()
        sent = signup.verification_sent_at
        if sent is not None and now - sent < RESEND_INTERVAL:
            raise StateConflict(
                "We sent you an email less than a minute ago. Give it a moment to arrive, and "
                "look in your spam folder, before asking for another."
            )
        signup.token_hash = ""
        signup.verification_sent_at = now
        signup.expires_at = now + timedelta(hours=verification_hours())
        signup.save(
            update_fields=["token_hash", "verification_sent_at", "expires_at", "updated_at"]
        )
        enqueue_on_commit(signup_verification_email_send_task, signup.pk)
    logger.info("signup %s: verification email sent again", signup.pk)
    return signup


def signup_for_token(*, token: str) -> Signup | None:
    if not token or len(token) > 100:
        return None
    return Signup.objects.filter(token_hash=token_hash_of(token)).first()


def signup_verify(*, token: str) -> Signup:
    """Accept the emailed token and queue provisioning. Using the link again changes nothing."""
    from shared_apps.onboarding.tasks import signup_provision as signup_provision_task

    with transaction.atomic():
        signup = (
            Signup.objects.select_for_update().filter(token_hash=token_hash_of(token)).first()
            if token and len(token) <= 100
            else None
        )
        if signup is None:
            raise ServiceError("This link is not valid. Check that you opened the whole link.")
        if signup.state != SignupState.PENDING:
            return signup  # already verified: the progress page tells where it stands
        if signup.is_expired:
            raise StateConflict("This link has expired. Nothing was created; please sign up again.")
        signup.state = SignupState.VERIFIED
        signup.verified_at = timezone.now()
        signup.save(update_fields=["state", "verified_at", "updated_at"])
        enqueue_on_commit(signup_provision_task, signup.pk)
    logger.info("signup %s verified", signup.pk)
    return signup


def signup_provision(*, signup_id: int) -> Signup:
    """Provision the verified signup's organization and start its trial. Safe to run again:
    a finished signup is left alone, and an interrupted provisioning is resumed."""
    signup = Signup.objects.get(pk=signup_id)
    if signup.state != SignupState.VERIFIED:
        return signup
    try:
        organization = tenant_provision(
            slug=signup.slug,
            name=signup.name,
            owner_email=signup.email,
            owner_name=signup.owner_name,
            owner_password_hash=signup.password_hash or None,
            plan=signup.plan_code,
        )
    except ProvisioningFailed as error:
        # The organization stays `failed` with its error, for operators to resume.
        _signup_fail(signup, reason=str(error), organization=error.organization)
        return signup
    except ValidationError as error:
        organization = Organization.objects.filter(
            slug=signup.slug, owner_email=signup.email
        ).first()
        if organization is not None and organization.state == OrganizationState.PROVISIONING:
            return signup  # another run of this task is on it
        if organization is None or organization.state != OrganizationState.ACTIVE:
            _signup_fail(signup, reason=" ".join(error.messages), organization=None)
            return signup
    with transaction.atomic():
        _trial_start(organization=organization, plan_code=signup.plan_code)
        signup.state = SignupState.COMPLETED
        signup.organization = organization
        signup.completed_at = timezone.now()
        signup.password_hash = ""  # the owner has it now
        signup.save(
            update_fields=["state", "organization", "completed_at", "password_hash", "updated_at"]
        )
    logger.info("signup %s completed: %s", signup.pk, organization_host(organization=organization))
    return signup


def _signup_fail(signup: Signup, *, reason: str, organization: Organization | None) -> None:
    signup.state = SignupState.FAILED
    signup.failure_reason = reason
    signup.organization = organization
    signup.save(update_fields=["state", "failure_reason", "organization", "updated_at"])
    logger.warning("signup %s failed: %s", signup.pk, reason)


def _trial_start(*, organization: Organization, plan_code: str) -> None:
    """The plan's trial, through billing's service where it exists; else the row it would make."""
    plan = plan_by_code(plan_code)
    if plan is None:  # withdrawn since the signup: the organization works, billing is told
        logger.warning("no plan %r for the trial of %s", plan_code, organization.slug)
        return
    trial_start: Callable[..., object] | None
    try:
        from shared_apps.billing.services import subscription_trial_start as trial_start
    except ImportError:
        trial_start = None
    if trial_start is not None:
        trial_start(organization=organization, plan=plan)
        return
    Subscription.objects.get_or_create(
        organization=organization,
        defaults={
            "plan": plan,
            "status": SubscriptionStatus.TRIALING,
            "trial_ends_at": timezone.now() + timedelta(days=plan.trial_days),
        },
    )
