"""Provisioning: the one way to create, resume, export and delete a tenant.

`tenant_provision` runs named steps; each is idempotent and runs in its own transaction, and
the organization records the last one that completed. A step that fails leaves the
organization `failed` with the error; running provisioning again resumes at the step that
failed (each step is idempotent as well). The schema step clones the template schema
(provisioning.template) and migrates from nothing when the template is missing or stale.
Nothing is served until the last step marks the organization active (the routing middleware
refuses other states).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from provisioning.dumps import schema_dump
from provisioning.schemas import schema_name_in_catalog, slug_reserved_message, tenant_schema_verify
from provisioning.seed import tenant_seed
from provisioning.slugs import schema_name_for, slug_normalize, slug_validate_format
from provisioning.spares import spare_claim, spares_kept
from provisioning.template import quote_name, tenant_schema_clone
from saas_platform.lib.connection import connection
from saas_platform.lib.errors import StateConflict
from saas_platform.lib.metrics import duration_record
from saas_platform.lib.tasks import enqueue_on_commit
from shared_apps.tenants.models import Domain, Organization, OrganizationState
from shared_apps.tenants.selectors import organization_url
from shared_apps.tenants.services import organization_state_set
from shared_apps.users.models import User
from shared_apps.users.roles import Role

logger = logging.getLogger(__name__)


class ProvisioningFailed(Exception):
    """A step failed; the organization is left `failed` with the error recorded."""

    def __init__(self, organization: Organization, step: str, error: BaseException) -> None:
        self.organization = organization
        self.step = step
        super().__init__(f"Provisioning {organization.slug} failed at step {step!r}: {error}")


@dataclass(frozen=True)
class OwnerSpec:
    email: str
    password: str | None
    full_name: str
    # The password's hash: given already hashed (signup keeps only the hash), or computed in a
    # thread while the schema step runs (the hasher is CPU-bound and releases the GIL, the clone
    # waits on PostgreSQL, so the two overlap). Used instead of `password` when set.
    password_hash: Future[str] | str | None = None


def tenant_domain_for(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def tenant_provision(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str | None = None,
    owner_name: str = "",
    plan: str | None = None,
    owner_password_hash: str | None = None,
) -> Organization:
    """Create an organization with its domain, schema, chart of accounts and owner.

    A slug that belongs to a `failed` organization of the same owner resumes that organization.
    Raises ValidationError (by field) for bad input, ProvisioningFailed when a step fails.
    """
    slug = slug_normalize(slug)
    owner_email = (owner_email or "").strip().lower()
    name = (name or "").strip()
    _validate(slug=slug, name=name, owner_email=owner_email, owner_password=owner_password)
    owner = OwnerSpec(
        email=owner_email,
        password=owner_password,
        full_name=owner_name.strip(),
        password_hash=owner_password_hash,
    )

    existing = Organization.objects.filter(slug=slug).first()
    if existing is not None:
        if existing.state == OrganizationState.FAILED and existing.owner_email == owner_email:
            return _run_steps(existing, owner=owner)
        raise ValidationError({"slug": ["This subdomain is taken."]}, code="taken")
    if schema_name_in_catalog(schema_name_for(slug)):
        # A schema nobody registered (made by hand, left over): never build a tenant inside it,
        # and never let a later deletion of this tenant drop it.
        raise ValidationError({"slug": [slug_reserved_message(slug)]}, code="reserved")

    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                schema_name=schema_name_for(slug),
                slug=slug,
                name=name,
                state=OrganizationState.PROVISIONING,
                owner_email=owner_email,
                plan_code=plan or "",
            )
            Domain.objects.create(
                domain=tenant_domain_for(slug), tenant=organization, is_primary=True
            )
    except IntegrityError:  # someone took it between our check and our insert
        raise ValidationError({"slug": ["This subdomain is taken."]}, code="taken") from None
    logger.info("provisioning %s started", slug)
    return _run_steps(organization, owner=owner)


def tenant_provision_resume(
    *, organization: Organization, owner_password: str | None = None
) -> Organization:
    """Run the steps of a `failed` (or interrupted `provisioning`) organization again."""
    if organization.state not in (OrganizationState.FAILED, OrganizationState.PROVISIONING):
        raise ValidationError(
            f"{organization.slug} is {organization.get_state_display().lower()}; only a failed "
            "or interrupted provisioning can be resumed."
        )
    tenant_schema_verify(slug=organization.slug, schema_name=organization.schema_name)
    owner = OwnerSpec(email=organization.owner_email, password=owner_password, full_name="")
    return _run_steps(organization, owner=owner)


def _validate(*, slug: str, name: str, owner_email: str, owner_password: str | None) -> None:
    errors: dict[str, list[str]] = {}
    try:
        slug_validate_format(slug)
    except ValidationError as error:
        errors["slug"] = error.messages
    if not name:
        errors["name"] = ["Enter the organization's name."]
    elif len(name) > 200:
        errors["name"] = ["The name has at most 200 characters."]
    try:
        validate_email(owner_email)
    except ValidationError:
        errors["owner_email"] = ["Enter a valid email address."]
    if owner_password is not None:
        try:
            validate_password(owner_password, user=User(email=owner_email))
        except ValidationError as error:
            errors["owner_password"] = error.messages
    if errors:
        raise ValidationError(errors)


# --- Steps -------------------------------------------------------------------------------


def _step_schema(organization: Organization, owner: OwnerSpec) -> None:
    """Take a spare schema (provisioning.spares) or clone the template; migrate from nothing
    when the template is missing or stale, or when a schema is already there (an interrupted
    fallback: migrations apply what is missing). Queues a refill of the spares after commit."""
    # Imported when queueing: the tasks module calls back into these services.
    from provisioning.tasks import spares_refill as spares_refill_task

    schema_name = organization.schema_name
    tenant_schema_verify(slug=organization.slug, schema_name=schema_name)
    if not schema_exists(schema_name):
        if spares_kept():
            enqueue_on_commit(spares_refill_task)
        if spare_claim(schema_name) or tenant_schema_clone(schema_name):
            return
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {quote_name(schema_name)}")
    # Applies whatever is missing; on a resumed tenant only the migrations that did not run.
    call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=0)


def _step_seed(organization: Organization, owner: OwnerSpec) -> None:
    with schema_context(organization.schema_name):
        tenant_seed()


def _step_owner(organization: Organization, owner: OwnerSpec) -> None:
    with schema_context(organization.schema_name):
        user = User.objects.filter(email__iexact=owner.email).first()
        if user is None:
            hashed = owner.password_hash
            if isinstance(hashed, Future):
                hashed = hashed.result()
            user = User.objects.create_user(
                owner.email,
                None if hashed else owner.password,
                full_name=owner.full_name,
                role=Role.OWNER,
            )
            if hashed:
                user.password = hashed
                user.save(update_fields=["password"])
        elif user.role != Role.OWNER:
            user.role = Role.OWNER
            user.save(update_fields=["role"])


def _step_activate(organization: Organization, owner: OwnerSpec) -> None:
    _set_state(organization, OrganizationState.ACTIVE, reason="")
    # Imported when queueing: the tasks module calls back into these services.
    from provisioning.tasks import tenant_welcome_email_send as tenant_welcome_email_send_task

    with schema_context(organization.schema_name):
        enqueue_on_commit(tenant_welcome_email_send_task, organization.pk)


STEPS: list[tuple[str, Callable[[Organization, OwnerSpec], None]]] = [
    ("schema", _step_schema),
    ("seed", _step_seed),
    ("owner", _step_owner),
    ("activate", _step_activate),
]


def _steps_pending(
    organization: Organization,
) -> list[tuple[str, Callable[[Organization, OwnerSpec], None]]]:
    """The steps after the last one that completed: a retry resumes at the step that failed.

    A schema step recorded as done whose schema has gone (dropped by hand) runs again, and so
    does every step of a tenant interrupted after the last one (each step is idempotent)."""
    names = [name for name, _ in STEPS]
    done = organization.provisioning_step
    if done not in names[:-1] or not schema_exists(organization.schema_name):
        return list(STEPS)
    return STEPS[names.index(done) + 1 :]


def _run_steps(organization: Organization, *, owner: OwnerSpec) -> Organization:
    if organization.state != OrganizationState.PROVISIONING:
        _set_state(organization, OrganizationState.PROVISIONING, reason="")
    steps = _steps_pending(organization)
    if owner.password and owner.password_hash is None and "owner" in {n for n, _ in steps}:
        with ThreadPoolExecutor(max_workers=1) as hasher:
            owner = replace(owner, password_hash=hasher.submit(make_password, owner.password))
            return _run(organization, owner=owner, steps=steps)
    return _run(organization, owner=owner, steps=steps)


def _run(
    organization: Organization,
    *,
    owner: OwnerSpec,
    steps: list[tuple[str, Callable[[Organization, OwnerSpec], None]]],
) -> Organization:
    started = time.perf_counter()
    for step_name, step in steps:
        try:
            with transaction.atomic():
                step(organization, owner)
                organization.provisioning_step = step_name
                organization.save(update_fields=["provisioning_step", "updated_at"])
        except Exception as error:
            connection.set_schema_to_public()
            organization.refresh_from_db()
            _set_state(organization, OrganizationState.FAILED, reason=f"{step_name}: {error}")
            logger.exception("provisioning %s failed at %s", organization.slug, step_name)
            raise ProvisioningFailed(organization, step_name, error) from error
        finally:
            connection.set_schema_to_public()
    seconds = time.perf_counter() - started
    # Operators watch this in /metrics (ifm_provisioning_seconds): the signup's wait.
    duration_record(name="provisioning", seconds=seconds)
    logger.info("provisioning %s finished in %.0f ms", organization.slug, seconds * 1000)
    return organization


def _set_state(organization: Organization, state: str, *, reason: str) -> None:
    organization_state_set(organization=organization, state=state, reason=reason)


# --- Welcome email -----------------------------------------------------------------------


def tenant_welcome_email_send(*, organization: Organization) -> None:
    """Email the owner where to log in. Runs in the organization's own schema."""
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if connection.schema_name != organization.schema_name:
        raise RuntimeError(
            f"Welcome email for {organization.schema_name} ran in schema {connection.schema_name}."
        )
    owner = User.objects.filter(role=Role.OWNER, is_active=True).order_by("id").first()
    if owner is None:
        logger.warning("no owner to welcome in %s", organization.schema_name)
        return
    set_password_url = None
    if not owner.has_usable_password():
        uid = urlsafe_base64_encode(force_bytes(owner.pk))
        token = default_token_generator.make_token(owner)
        set_password_url = organization_url(
            organization=organization, path=f"/accounts/reset/{uid}/{token}/"
        )
    context = {
        "organization": organization,
        "owner": owner,
        "login_url": organization_url(organization=organization, path="/accounts/login/"),
        "set_password_url": set_password_url,
    }
    send_mail(
        subject=f"Welcome to IFM: {organization.name} is ready",
        message=render_to_string("provisioning/welcome_email.txt", context),
        from_email=None,
        recipient_list=[owner.email],
    )


# --- Export and delete -------------------------------------------------------------------


def tenant_export(*, organization: Organization) -> str:
    """Dump the organization's schema with pg_dump into storage; returns the stored name.

    Stored under the public schema's namespace (`tenants/public/exports/...`), where operators
    find it, never in the tenant's own space which is about to go away on delete.
    """
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryFile() as dump:
        schema_dump("--format=custom", schema_name=organization.schema_name, output=dump)
        dump.seek(0)
        with schema_context("public"):
            return default_storage.save(f"exports/{organization.slug}-{stamp}.dump", File(dump))


def tenant_drop(*, organization: Organization, export_name: str | None) -> None:
    """Drop the organization's schema, then delete its domains and its row, in one transaction
    (a savepoint of the caller's, whose commit makes it final): a failure leaves the tenant whole.

    `export_name` is the export made first; None says the tenant had no schema, so there was
    nothing to export. A schema found now all the same (made since) is refused, never dropped
    unexported. The ORM's delete, not a bulk one, so each row's on_delete applies: billing's
    Subscription goes with the organization, Signup and StripeEvent rows keep their history with
    the link nulled, and the console's audit rows and exports keep the id and slug by value.
    A schema name that is never a tenant's (PostgreSQL's own, the template, a spare) is refused
    whatever row records it, with nothing dropped (provisioning.schemas).
    """
    if organization.is_public:
        raise ValidationError("The public schema cannot be deleted.")
    tenant_schema_verify(slug=organization.slug, schema_name=organization.schema_name)
    with transaction.atomic():
        # Lock the row: a resumed provisioning of the same tenant waits, then finds it gone.
        if not Organization.objects.select_for_update().filter(pk=organization.pk).exists():
            raise StateConflict(f"{organization.slug} was deleted meanwhile.")
        if export_name is None and schema_exists(organization.schema_name):
            raise StateConflict(
                f"{organization.slug} has a schema now that it did not have when the deletion "
                "began; nothing was deleted. Request the deletion again to export it first."
            )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote_name(organization.schema_name)} CASCADE")
        for domain in organization.domains.all():
            domain.delete()
        organization.delete()


def tenant_delete(*, organization: Organization) -> str | None:
    """Export the organization, then drop its schema and remove its rows (tenant_drop).

    Returns the export's stored name, or None when the tenant never had a schema (provisioning
    failed before making it, or it was dropped by hand): there is nothing to export, and the
    domains and the row are removed all the same. A failed export deletes nothing.
    """
    if organization.is_public:
        raise ValidationError("The public schema cannot be deleted.")
    # Before the export too: pg_dump of information_schema or the template is no tenant's data.
    tenant_schema_verify(slug=organization.slug, schema_name=organization.schema_name)
    export_name = None
    if schema_exists(organization.schema_name):
        export_name = tenant_export(organization=organization)
    tenant_drop(organization=organization, export_name=export_name)
    if export_name is None:
        logger.info("deleted %s; it had no schema, so nothing was exported", organization.slug)
    else:
        logger.info("deleted %s; export kept at %s", organization.slug, export_name)
    return export_name
