"""Reads of the staff users of an organization."""

from __future__ import annotations

from django.db.models import QuerySet

from shared_apps.users.models import User
from shared_apps.users.roles import Capability, Role, role_has_capability


def staff_users_counted() -> int:
    """Users that count against the plan: active ones, except volunteers' own logins (they
    only log their hours; charging for them would discourage giving them one)."""
    return User.objects.filter(is_active=True).exclude(role=Role.VOLUNTEER).count()


def users_with_capability(capability: Capability) -> QuerySet[User]:
    """The organization's active users whose role grants `capability`, by name: whom a piece of
    work that needs it can be given to."""
    roles = [role for role in Role.values if role_has_capability(role, capability)]
    return User.objects.filter(is_active=True, is_operator=False, role__in=roles).order_by(
        "full_name", "email", "id"
    )
