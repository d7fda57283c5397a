"""The personnel settings: the volunteer hourly rate, payroll posting, and the expense accounts
salaries and in-kind services post to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from saas_platform.lib.errors import ServiceError
from saas_platform.lib.inputs import amount_parse, text_check
from tenant_apps.accounting.models import Account, AccountType
from tenant_apps.core.services import changes_save
from tenant_apps.personnel.models import PersonnelSettings
from tenant_apps.personnel.selectors import personnel_settings

if TYPE_CHECKING:
    from shared_apps.users.models import User

# --- Settings ----------------------------------------------------------------------------------


EXPENSE_ACCOUNT_SETTINGS = (
    "salary_account",
    "officer_salary_account",
    "in_kind_expense_account",
    "payroll_taxes_account",
    "benefits_account",
)
# Where a pay run's cost is credited: a liability (accrued payroll) or the bank account itself.
CREDIT_ACCOUNT_SETTINGS = ("accrued_payroll_account",)
# The accounts a pay run posts to: a bookkeeper (payroll.post) sets these.
PAY_RUN_ACCOUNT_SETTINGS = (
    "salary_account",
    "officer_salary_account",
    "payroll_taxes_account",
    "benefits_account",
    "accrued_payroll_account",
)


def _account_check(code: Any, *, field: str, types: tuple[str, ...], kind: str) -> str:
    code = text_check(code, field=field, max_length=20, required=True)
    account = Account.objects.filter(code=code).first()
    if account is None or account.type not in types:
        raise ServiceError(
            f"{field}: {code} is not {kind} account of the chart.",
            fields={field: [f"Not {kind} account."]},
        )
    if not account.is_active:
        raise ServiceError(
            f"{field}: {code} is inactive; make it active in the chart first, or name another.",
            fields={field: ["An inactive account."]},
        )
    if Account.objects.filter(parent=account).exists():
        raise ServiceError(
            f"{field}: {code} is a summary account; name one of its sub-accounts.",
            fields={field: ["A summary account."]},
        )
    return code


def settings_update(*, acting_user: User | None, **changes: Any) -> PersonnelSettings:
    """Change any of volunteer_hourly_rate, payroll_posting_enabled, and the accounts: the
    expenses salaries, officers' salaries, in-kind services, payroll taxes and benefits post to,
    and accrued_payroll_account (a liability, or an asset: the bank), which a pay run credits."""
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "volunteer_hourly_rate":
            checked[name] = amount_parse(value, field=name)
        elif name == "payroll_posting_enabled":
            checked[name] = bool(value)
        elif name in EXPENSE_ACCOUNT_SETTINGS:
            checked[name] = _account_check(
                value, field=name, types=(AccountType.EXPENSE,), kind="an expense"
            )
        elif name in CREDIT_ACCOUNT_SETTINGS:
            checked[name] = _account_check(
                value,
                field=name,
                types=(AccountType.LIABILITY, AccountType.ASSET),
                kind="a liability or asset",
            )
        else:
            raise ServiceError(f"{name}: not a personnel setting.", fields={name: ["Unknown."]})
    with transaction.atomic():
        settings_row = PersonnelSettings.objects.select_for_update().get(pk=personnel_settings().pk)
        changed = {
            name: value for name, value in checked.items() if getattr(settings_row, name) != value
        }
        # The audit row keeps each changed setting's value before and after, as text.
        return changes_save(
            settings_row,
            changed,
            action="personnel_settings.update",
            acting_user=acting_user,
            **{
                name: [str(getattr(settings_row, name)), str(value)]
                for name, value in changed.items()
            },
        )
