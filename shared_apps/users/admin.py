from typing import Any

from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError

from saas_platform.admin_sites import public_admin_site, tenant_admin_site
from saas_platform.errors import ServiceError
from shared_apps.users.models import User
from shared_apps.users.roles import Role


def _staff_user_plan_limit_check(*, counted_before: bool, counted_after: bool) -> None:
    """Refuse a user who would take the organization past its plan's staff users (adding
    one, reactivating one, or giving a volunteer's login a staff role), as a form error."""
    from shared_apps.billing.limits import PlanLimit, plan_limit_check, staff_users_counted

    if counted_after and not counted_before:
        try:
            plan_limit_check(limit=PlanLimit.STAFF_USERS, adding=1, count=staff_users_counted)
        except ServiceError as refusal:
            raise ValidationError(refusal.message, code="plan_limit") from None


def _counted(role: str | None, is_active: bool) -> bool:
    return bool(is_active) and role != Role.VOLUNTEER


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "role"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _staff_user_plan_limit_check(
            counted_before=False, counted_after=_counted(cleaned.get("role"), True)
        )
        return cleaned


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "role", "is_active"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None:
            before = User.objects.filter(pk=self.instance.pk).values("role", "is_active").first()
            _staff_user_plan_limit_check(
                counted_before=bool(before) and _counted(before["role"], before["is_active"]),
                counted_after=_counted(cleaned.get("role"), cleaned.get("is_active", True)),
            )
        return cleaned


class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    filter_horizontal: list[str] = []
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "password1", "password2"],
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]


class OperatorAdmin(UserAdmin):
    list_display = ["email", "full_name", "is_operator", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_operator", "is_active"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "is_active", "is_operator", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]


tenant_admin_site.register(User, UserAdmin)
public_admin_site.register(User, OperatorAdmin)
