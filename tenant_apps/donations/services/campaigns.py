"""Campaigns: the appeals gifts and pledges are credited to, with their goals and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from saas_platform.lib.errors import ServiceError
from tenant_apps.accounting import services as accounting
from tenant_apps.core.services import audit_record, changes_save
from tenant_apps.donations.models import Campaign
from tenant_apps.donations.services.checks import amount_or_zero

if TYPE_CHECKING:
    from shared_apps.users.models import User


def _campaign_check(
    *, name: str, goal: Any, start: date | None, end: date | None
) -> tuple[str, Decimal]:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ServiceError(
            "A campaign needs a name of at most 200 characters.",
            fields={"name": ["Required, at most 200 characters."]},
        )
    goal_amount = amount_or_zero(goal, field="goal")
    if start is not None and end is not None and end < start:
        raise ServiceError(
            "A campaign ends on or after its start.",
            fields={"end": ["The end is before the start."]},
        )
    return name, goal_amount


def campaign_create(
    *,
    code: str,
    name: str,
    acting_user: User | None,
    goal: Decimal | str = Decimal("0"),
    start: date | None = None,
    end: date | None = None,
    is_active: bool = True,
) -> Campaign:
    """A campaign, active unless `is_active` is False (one entered after it is over)."""
    code = (code or "").strip()
    if not accounting.CODE_PATTERN.match(code):
        raise ServiceError(
            "A campaign code is 1 to 20 letters, digits, dots, dashes or underscores.",
            fields={"code": ["1 to 20 letters, digits, dots, dashes or underscores."]},
        )
    if Campaign.objects.filter(code=code).exists():
        raise ServiceError(
            f"There is already a campaign {code}.",
            fields={"code": ["Another campaign has this code."]},
        )
    name, goal_amount = _campaign_check(name=name, goal=goal, start=start, end=end)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            code=code, name=name, goal=goal_amount, start=start, end=end, is_active=is_active
        )
        audit_record("campaign.create", acting_user=acting_user, obj=campaign, code=code)
    return campaign


def campaign_update(*, campaign: Campaign, acting_user: User | None, **changes: Any) -> Campaign:
    unknown = set(changes) - {"name", "goal", "start", "end", "is_active"}
    if unknown:
        raise ServiceError(f"Cannot change {', '.join(sorted(unknown))} of a campaign.")
    merged = {
        "name": campaign.name,
        "goal": campaign.goal,
        "start": campaign.start,
        "end": campaign.end,
        **changes,
    }
    name, goal_amount = _campaign_check(
        name=merged["name"], goal=merged["goal"], start=merged["start"], end=merged["end"]
    )
    values = {"name": name, "goal": goal_amount, "start": merged["start"], "end": merged["end"]}
    if "is_active" in changes:
        values["is_active"] = bool(changes["is_active"])
    return changes_save(
        campaign, values, action="campaign.update", acting_user=acting_user, changed=sorted(changes)
    )
