"""Reads of the staff users of an organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from saas_platform.lib.plan_limits import PlanLimit, plan_count, plan_maximum
from shared_apps.users.models import Invitation, User
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


def colleague_invited() -> bool:
    """Whether anyone beyond the first user was ever invited or given a login. Both are read
    every time (two queries), so that a page asking runs as many queries either way."""
    invited = Invitation.objects.exists()
    others = User.objects.filter(is_operator=False).count() > 1
    return invited or others


# --- The staff page ------------------------------------------------------------------------------


def staff_list() -> QuerySet[User]:
    """Every staff user of the organization, active first, by name."""
    return User.objects.filter(is_operator=False).order_by("-is_active", "full_name", "email", "id")


def invitations_open() -> QuerySet[Invitation]:
    """Invitations not accepted or revoked (waiting or expired), newest first, with who sent
    them."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")


def invitation_of(pk: int) -> Invitation | None:
    return Invitation.objects.filter(pk=pk).first()


def staff_user_of(pk: int) -> User | None:
    return User.objects.filter(pk=pk, is_operator=False).first()


@dataclass(frozen=True)
class StaffUsage:
    """Staff users counted against the plan, and what the plan allows (None: no limit)."""

    counted: int
    maximum: int | None

    @property
    def full(self) -> bool:
        return self.maximum is not None and self.counted >= self.maximum


def staff_usage() -> StaffUsage:
    return StaffUsage(
        counted=plan_count(limit=PlanLimit.STAFF_USERS),
        maximum=plan_maximum(limit=PlanLimit.STAFF_USERS),
    )


# --- A user's sessions ---------------------------------------------------------------------------

# What a login writes into its session, for the account page to show.
SESSION_LOGIN_AT = "ifm_login_at"
SESSION_USER_AGENT = "ifm_user_agent"


@dataclass(frozen=True)
class SessionSummary:
    key: str
    logged_in_at: datetime | None
    user_agent: str
    expires_at: datetime


def user_sessions(*, user: User) -> list[SessionSummary]:
    """The page sessions of `user` that have not expired, the latest login first. Sessions are
    stored in the organization's schema and hold the user's id only in their signed data, so
    this reads the organization's live sessions in one query and keeps the user's."""
    sessions = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()):
        data = session.get_decoded()
        if data.get(SESSION_KEY) != str(user.pk):
            continue
        logged_in = data.get(SESSION_LOGIN_AT)
        sessions.append(
            SessionSummary(
                key=session.session_key,
                logged_in_at=datetime.fromisoformat(logged_in) if logged_in else None,
                user_agent=str(data.get(SESSION_USER_AGENT, "")),
                expires_at=session.expire_date,
            )
        )
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(sessions, key=lambda item: item.logged_in_at or oldest, reverse=True)


def user_session_keys(*, user: User) -> list[str]:
    return [session.key for session in user_sessions(user=user)]
