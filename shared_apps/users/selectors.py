"""Reads of the staff users of an organization."""

from __future__ import annotations

from shared_apps.users.models import User
from shared_apps.users.roles import Role


def staff_users_counted() -> int:
    """Users that count against the plan: active ones, except volunteers' own logins (they
    only log their hours; charging for them would discourage giving them one)."""
    return User.objects.filter(is_active=True).exclude(role=Role.VOLUNTEER).count()
