"""Plan limits, checked where they bite: creating donors, adding staff users. The apps that add
them call saas_platform.lib.plan_limits, which runs `plan_limit_check` here (registered in
BillingConfig.ready) with the counter the owning app registered.

A tenant reads its plan by value: the organization's `plan_code` names a public Plan. The
public schema is on the search path of every tenant connection (django-tenants sets
`search_path = <tenant>, public`), so these reads need no schema switch.
"""

from __future__ import annotations

from collections.abc import Callable

from django_tenants.utils import get_public_schema_name

from saas_platform.lib.connection import connection
from saas_platform.lib.plain_reads import plain_objects
from saas_platform.lib.plan_limits import PlanLimit, PlanLimitReached
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Organization


def plan_of_current_tenant() -> Plan | None:
    """The plan of the tenant whose schema the connection is in; None in the public schema or
    for an organization without a plan (no limits then). Read fresh, in one plain statement
    (every batch of donors made checks it): a cached organization could still name the plan it
    had before an upgrade."""
    schema_name = connection.schema_name
    if not schema_name or schema_name == get_public_schema_name():
        return None
    found = plain_objects(
        Plan,
        "SELECT {columns_of_p} FROM {table} p JOIN {organization} o ON o.plan_code = p.code "
        "WHERE o.schema_name = %s LIMIT 1",
        [schema_name],
        organization=Organization,
    )
    return found[0] if found else None


def _maximum_of(plan: Plan, limit: PlanLimit) -> int | None:
    return plan.max_donors if limit == PlanLimit.DONORS else plan.max_staff_users


def plan_maximum_of_current_tenant(*, limit: PlanLimit) -> int | None:
    """What the current tenant's plan allows of `limit`; None: no limit."""
    plan = plan_of_current_tenant()
    return _maximum_of(plan, limit) if plan is not None else None


def plan_limit_check(*, limit: PlanLimit, adding: int, count: Callable[[], int]) -> None:
    """Refuse (PlanLimitReached, naming the plan and the limit) to add `adding` more of `limit`
    when `count()` of them already exist. Call it inside the transaction that adds them: it
    takes a lock per tenant and limit, so two additions at once cannot both pass the last
    place. `count` is only called when the plan has a limit."""
    plan = plan_of_current_tenant()
    maximum = _maximum_of(plan, limit) if plan is not None else None
    if plan is None or maximum is None or adding <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"{connection.schema_name}:plan-limit:{limit.value}"],
        )
    current = count()
    if current + adding <= maximum:
        return
    room = max(maximum - current, 0)
    adding_text = f"{adding} more" if adding > 1 else "another"
    message = (
        f"The {plan.name} plan allows {maximum} {limit.value}; this organization has {current}, "
        f"so {adding_text} cannot be added"
        + (f" (there is room for {room})" if room and adding > 1 else "")
        + ". An owner or administrator can change the plan on the billing page."
    )
    raise PlanLimitReached(message, fields={"plan": [f"Limit of {maximum} {limit.value}."]})
