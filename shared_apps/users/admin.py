"""The users in each admin. An organization's admin changes its staff through users.services,
so every change is audited and keeps the plan's limit and the last-owner rule; the public
admin's operators keep Django's own forms (they have no organization, plan or audit log)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from saas_platform.lib.admin_sites import public_admin_site, tenant_admin_site
from saas_platform.lib.errors import ServiceError
from shared_apps.users import services
from shared_apps.users.models import User

# Who is changing a password: Django's password view builds its form without the request.
_password_acting_user: ContextVar[User | None] = ContextVar("password_acting_user", default=None)


def _as_form_error(refusal: ServiceError) -> ValidationError:
    return ValidationError(refusal.message, code=getattr(refusal, "code", "invalid"))


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "role"]

    def clean(self) -> dict[str, Any]:
        # ModelForm.clean returns cleaned_data; read it where the types say it is a dict.
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("role"):
            try:
                services.user_change_check(
                    user=None, role=cleaned["role"], is_active=True, acting_user=None
                )
            except ServiceError as refusal:
                raise _as_form_error(refusal) from None
        return cleaned


class UserEditForm(UserChangeForm):
    acting_user: User | None = None  # set on the class StaffUserAdmin.get_form makes per request

    class Meta:
        model = User
        fields = ["email", "full_name", "role", "is_active"]

    def clean(self) -> dict[str, Any]:
        # ModelForm.clean returns cleaned_data; read it where the types say it is a dict.
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk is not None and cleaned.get("role"):
            try:
                services.user_change_check(
                    user=self.instance,
                    role=cleaned["role"],
                    is_active=cleaned.get("is_active", True),
                    acting_user=self.acting_user,
                )
            except ServiceError as refusal:
                raise _as_form_error(refusal) from None
        return cleaned


class PasswordSetForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> User:
        password = (
            self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        )
        self.user = services.user_password_set(
            user=self.user, password=password, acting_user=_password_acting_user.get()
        )
        return self.user


@contextmanager
def _password_acting_user_bound(user: User) -> Iterator[None]:
    token = _password_acting_user.set(user)
    try:
        yield
    finally:
        _password_acting_user.reset(token)


class UserAdminBase(DjangoUserAdmin):
    ordering = ["email"]
    search_fields = ["email", "full_name"]
    filter_horizontal = ()
    readonly_fields = ["last_login", "date_joined"]


class StaffUserAdmin(UserAdminBase):
    form = UserEditForm
    add_form = UserCreationForm
    change_password_form = PasswordSetForm
    list_display = ["email", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
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

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        # A class made for this request (modelform_factory), so the attribute is not shared.
        # get_form's type is ModelForm; the class built here is a UserEditForm.
        form.acting_user = request.user  # type: ignore[attr-defined]
        return form

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        # The admin site admits logged-in staff only; the hook's signature keeps HttpRequest.
        acting_user: User = request.user  # type: ignore[assignment]
        if not change:
            password = (
                form.cleaned_data.get("password1")
                if form.cleaned_data.get("set_usable_password", True)
                else None
            )
            created = services.user_create(
                email=obj.email,
                full_name=obj.full_name,
                role=obj.role,
                password=password,
                acting_user=acting_user,
            )
            # The admin goes on with `obj` (its id for the log and the redirect).
            obj.pk, obj.password, obj.email = created.pk, created.password, created.email
            obj._state.adding, obj._state.db = False, created._state.db
            return
        stored = User.objects.get(pk=obj.pk)
        services.user_profile_update(
            user=stored, email=obj.email, full_name=obj.full_name, acting_user=acting_user
        )
        # The role changes while the user is inactive, so that only the final state is held
        # against the plan's limit (reactivating a volunteer login as a fundraiser counts once).
        if stored.is_active and not obj.is_active:
            services.user_deactivate(user=stored, acting_user=acting_user)
        services.user_role_change(user=stored, role=obj.role, acting_user=acting_user)
        if not stored.is_active and obj.is_active:
            services.user_reactivate(user=stored, acting_user=acting_user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Staff users have no related objects to save here: their role is their permissions."""

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # The admin site admits logged-in staff only; the hook's signature keeps HttpRequest.
        with _password_acting_user_bound(request.user):  # type: ignore[arg-type]
            return super().user_change_password(request, id, form_url)


class OperatorCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


class OperatorChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "is_active", "is_operator", "is_superuser"]


class OperatorAdmin(UserAdminBase):
    form = OperatorChangeForm
    add_form = OperatorCreationForm
    list_display = ["email", "full_name", "is_operator", "is_superuser", "is_active", "last_login"]
    list_filter = ["is_operator", "is_active"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "is_active", "is_operator", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]


tenant_admin_site.register(User, StaffUserAdmin)
public_admin_site.register(User, OperatorAdmin)
