"""manage.py demo_setup: the `demo` tenant with one login per role, for trying IFM locally."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from celery import current_app as celery_app
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from provisioning.demo.story import demo_history_record, demo_this_month_record
from provisioning.services import tenant_provision, tenant_provision_resume
from shared_apps.tenants.models import Organization, OrganizationState
from shared_apps.tenants.selectors import organization_url
from shared_apps.users.models import User
from shared_apps.users.roles import Role
from tenant_apps.donors.models import Donor

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - a published development login
STAFF = [
    ("owner@demo.localhost", "Olivia Owner", Role.OWNER),
    ("bookkeeper@demo.localhost", "Ben Bookkeeper", Role.BOOKKEEPER),
    ("fundraiser@demo.localhost", "Fatima Fundraiser", Role.FUNDRAISER),
    ("volunteers@demo.localhost", "Victor Coordinator", Role.VOLUNTEER_COORDINATOR),
    ("viewer@demo.localhost", "Vera Viewer", Role.VIEWER),
    ("volunteer@demo.localhost", "Val Volunteer", Role.VOLUNTEER),
]
EMAILS = [email for email, _name, _role in STAFF]


class Command(BaseCommand):
    help = "Create the demo tenant with one login per role (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=DEMO_SLUG).first()
        if organization is None:
            organization = tenant_provision(
                slug=DEMO_SLUG,
                name="Demo Community Fund",
                owner_email=STAFF[0][0],
                owner_password=DEMO_PASSWORD,
                owner_name=STAFF[0][1],
            )
        elif organization.state != OrganizationState.ACTIVE:
            organization = tenant_provision_resume(
                organization=organization, owner_password=DEMO_PASSWORD
            )
        with schema_context(organization.schema_name):
            for email, name, role in STAFF:
                if not User.objects.filter(email=email).exists():
                    User.objects.create_user(email, DEMO_PASSWORD, full_name=name, role=role)
            if not Donor.objects.exists():
                demo_story(timezone.localdate())

        url = organization_url(organization=organization)
        self.stdout.write(f"The demo organization is at {url}")


def demo_story(today: date) -> None:
    """The demo's three years (provisioning/demo/story.py), each half in one transaction.

    The history's receipt tasks run in this process, before the receipt settings exist, so that
    none is left queued to receipt three years of gifts once the worker starts; this month's
    gifts are receipted as any organization's are.
    """
    users = {user.role: user for user in User.objects.filter(email__in=EMAILS)}
    quiet = logger_quiet("tenant_apps.donations", "celery.app.trace")
    with tasks_run_here(), quiet, transaction.atomic():
        cast = demo_history_record(users=users, today=today)
    with transaction.atomic():
        demo_this_month_record(cast, today=today)


@contextmanager
def tasks_run_here() -> Iterator[None]:
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager


@contextmanager
def logger_quiet(*names: str) -> Iterator[None]:
    """Info lines of these loggers left out (two lines a past gift: its task ran, and found
    nothing to receipt)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
