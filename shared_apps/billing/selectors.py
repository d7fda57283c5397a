"""Reads of billing: the plans offered, and an organization's plan and subscription."""

from __future__ import annotations

from django.db.models import QuerySet

from shared_apps.billing.models import Plan, Subscription
from shared_apps.tenants.models import Organization


def plans_offered() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True)


def plan_by_code(code: str) -> Plan | None:
    return Plan.objects.filter(code=code).first()


def subscription_of(organization: Organization) -> Subscription | None:
    return Subscription.objects.select_related("plan").filter(organization=organization).first()
