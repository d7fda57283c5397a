"""Reads of onboarding: whether a subdomain can be had, and where a signup's set-up stands."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from provisioning.schemas import schema_name_in_catalog, slug_reserved_message
from provisioning.services import STEPS
from provisioning.slugs import schema_name_for, slug_normalize, slug_validate_format
from shared_apps.onboarding.models import OPEN_STATES, Signup, SignupState
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import organization_url

# What the progress page calls each provisioning step (provisioning.services.STEPS); a step
# this does not know is shown by its name.
STEP_LABELS = {
    "schema": "Creating your organization's database",
    "seed": "Setting up the chart of accounts and funds",
    "owner": "Creating your owner account",
    "activate": "Opening your organization's address",
}
VERIFY_STEP = "verify"


@dataclass(frozen=True)
class SlugAvailability:
    slug: str
    available: bool
    message: str


@dataclass(frozen=True)
class ProgressStep:
    name: str
    label: str
    status: str  # "done", "current" or "todo"


@dataclass(frozen=True)
class SignupProgress:
    state: str  # pending, provisioning, active, failed, expired, or the organization's state
    message: str
    steps: list[ProgressStep] = field(default_factory=list)
    login_url: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("active", "failed", "expired", "suspended", "closed")


def slug_availability(*, slug: str, email: str | None = None) -> SlugAvailability:
    """Whether `slug` can be signed up for, with a message a person can act on.

    Taken means an organization has it, or another person's signup is waiting on it; a signup
    of `email` itself on that slug does not count (the same person submitting twice). A slug
    whose schema name is already in the catalog without an organization (made by hand, left
    over) is reserved: provisioning would build the tenant inside someone else's schema.
    """
    slug = slug_normalize(slug)
    try:
        slug_validate_format(slug)
    except ValidationError as error:
        return SlugAvailability(slug=slug, available=False, message=" ".join(error.messages))
    if Organization.objects.filter(slug=slug).exists():
        return SlugAvailability(slug=slug, available=False, message="This subdomain is taken.")
    if schema_name_in_catalog(schema_name_for(slug)):
        return SlugAvailability(slug=slug, available=False, message=slug_reserved_message(slug))
    waiting = open_signups_for(slug=slug)
    if email is not None:
        waiting = waiting.exclude(email=email.strip().lower())
    if waiting.exists():
        return SlugAvailability(
            slug=slug,
            available=False,
            message="Someone has just signed up for this subdomain and is confirming their "
            "email; please choose another.",
        )
    return SlugAvailability(slug=slug, available=True, message="This subdomain is available.")


def open_signups_for(*, slug: str) -> QuerySet[Signup]:
    """Signups that hold `slug`: verified ones, and pending ones whose link still works."""
    return Signup.objects.filter(slug=slug, state__in=OPEN_STATES).exclude(
        state=SignupState.PENDING, expires_at__lte=timezone.now()
    )


def signup_organization(*, signup: Signup) -> Organization | None:
    """The organization a signup made or is making: linked once made; while provisioning runs,
    the one with its slug and owner."""
    if signup.organization_id is not None:
        return signup.organization
    if signup.state != SignupState.VERIFIED:
        return None
    return Organization.objects.filter(slug=signup.slug, owner_email=signup.email).first()


def signup_progress(*, signup: Signup) -> SignupProgress:
    step_names = [name for name, _step in STEPS]
    if signup.is_expired:
        return SignupProgress(
            state="expired",
            message="This signup has expired: its verification link was not used in time. "
            "Nothing was created; you can sign up again.",
        )
    verified = signup.state != SignupState.PENDING
    organization = signup_organization(signup=signup)
    done_count = 0
    if organization is not None and organization.provisioning_step in step_names:
        done_count = step_names.index(organization.provisioning_step) + 1
    if organization is not None and organization.state == OrganizationState.ACTIVE:
        done_count = len(step_names)

    failed = signup.state == SignupState.FAILED or (
        organization is not None and organization.state == OrganizationState.FAILED
    )
    steps = [
        ProgressStep(
            name=VERIFY_STEP,
            label="Confirming your email address",
            status="done" if verified else "current",
        )
    ]
    for index, name in enumerate(step_names):
        if not verified or index > done_count:
            status = "todo"
        elif index < done_count:
            status = "done"
        else:
            status = "failed" if failed else "current"
        steps.append(ProgressStep(name=name, label=STEP_LABELS.get(name, name), status=status))

    if not verified:
        return SignupProgress(
            state="pending",
            message=f"We have sent a link to {signup.email}. Open it to confirm your email "
            "address; your organization is set up as soon as you do.",
            steps=steps,
        )
    if failed and organization is None:
        return SignupProgress(
            state="failed",
            message=f"We could not set up your organization: {signup.failure_reason} Nothing "
            "was created; please sign up again.",
            steps=steps,
        )
    if failed:
        return SignupProgress(
            state="failed",
            message="Setting up your organization failed. Nothing is lost: operators see failed "
            "set-ups and resume them, and you will get an email when it is ready. You do not "
            "need to sign up again.",
            steps=steps,
        )
    if organization is None or organization.state == OrganizationState.PROVISIONING:
        return SignupProgress(
            state="provisioning",
            message="Your email address is confirmed. Your organization is being set up; "
            "this takes a few seconds.",
            steps=steps,
        )
    if organization.state == OrganizationState.ACTIVE:
        return SignupProgress(
            state="active",
            message=f"{organization.name} is ready. Log in with your email and password.",
            steps=steps,
            login_url=organization_url(organization=organization, path="/accounts/login/"),
        )
    return SignupProgress(
        state=organization.state,
        message=f"{organization.name} is {organization.get_state_display().lower()}.",
        steps=steps,
    )
