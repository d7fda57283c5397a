"""How a gift is shared out: its allocations to funds (which add up to its amount) and the
soft credits it gives other donors, with the donor-merge step for soft credits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse
from tenant_apps.accounting.models import Fund
from tenant_apps.donations.models import GiftAllocation, SoftCredit
from tenant_apps.donations.services.checks import donor_check
from tenant_apps.donations.services.posting import DEFAULT_FUND
from tenant_apps.donors.models import Donor


@dataclass(frozen=True)
class AllocationSpec:
    fund: str
    amount: Decimal | str


@dataclass(frozen=True)
class SoftCreditSpec:
    donor: Donor
    amount: Decimal | str


def allocations_build(
    specs: Sequence[AllocationSpec], *, amount: Decimal, funds: Mapping[str, Fund] | None = None
) -> list[GiftAllocation]:
    """Unsaved allocations that add up to `amount`: one to GEN when none are given. `funds`
    are the funds by code when the caller has read them for many gifts."""
    if not specs:
        specs = [AllocationSpec(fund=DEFAULT_FUND, amount=amount)]
    codes = [spec.fund for spec in specs]
    if len(set(codes)) != len(codes):
        raise ServiceError(
            "A fund appears twice in the allocations; give one amount per fund.",
            fields={"allocations": ["One allocation per fund."]},
        )
    if funds is None:
        funds = {fund.code: fund for fund in Fund.objects.filter(code__in=codes)}
    allocations = []
    for spec in specs:
        fund = funds.get(spec.fund)
        if fund is None or not fund.is_active:
            raise ServiceError(
                f"There is no active fund {spec.fund!r}.",
                fields={"allocations": [f"Unknown or inactive fund {spec.fund!r}."]},
            )
        part = amount_parse(spec.amount, field="allocations")
        allocations.append(GiftAllocation(fund=fund, amount=part))
    total = sum((allocation.amount for allocation in allocations), Decimal("0"))
    if total != amount:
        raise ServiceError(
            f"The allocations add up to {total:.2f}, not the gift's {amount:.2f}.",
            fields={"allocations": ["They must add up to the amount."]},
        )
    return allocations


def soft_credits_build(
    specs: Sequence[SoftCreditSpec], *, donor: Donor, amount: Decimal
) -> list[SoftCredit]:
    credits, seen = [], set()
    for spec in specs:
        donor_check(spec.donor, field="soft_credits")
        if spec.donor.pk == donor.pk:
            raise ServiceError(
                "A gift's own donor gets the hard credit, not a soft credit.",
                fields={"soft_credits": ["The gift's own donor."]},
            )
        if spec.donor.pk in seen:
            raise ServiceError(
                f"Donor {spec.donor.pk} is soft-credited twice.",
                fields={"soft_credits": ["One soft credit per donor."]},
            )
        seen.add(spec.donor.pk)
        part = amount_parse(spec.amount, field="soft_credits")
        if part > amount:
            raise ServiceError(
                f"A soft credit of {part:.2f} is more than the gift's {amount:.2f}.",
                fields={"soft_credits": ["More than the gift."]},
            )
        credits.append(SoftCredit(donor=spec.donor, amount=part))
    return credits


def merge_soft_credits(survivor: Donor, merged: Donor) -> dict[str, Any]:
    """Soft credits of the merged donor move to the survivor. One on a gift that is now the
    survivor's own (hard credit wins), or that the survivor already has, is dropped."""
    own = SoftCredit.objects.filter(Q(donor=merged) | Q(donor=survivor), gift__donor=survivor)
    already = SoftCredit.objects.filter(
        donor=merged, gift__in=SoftCredit.objects.filter(donor=survivor).values("gift")
    )
    dropped = sorted(
        set(own.values_list("pk", flat=True)) | set(already.values_list("pk", flat=True))
    )
    SoftCredit.objects.filter(pk__in=dropped).delete()
    moved = list(SoftCredit.objects.filter(donor=merged).values_list("pk", flat=True))
    SoftCredit.objects.filter(pk__in=moved).update(donor=survivor)
    return {"soft_credits": moved, "soft_credits_dropped": dropped}
