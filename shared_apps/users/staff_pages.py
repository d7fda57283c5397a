"""The staff page under /settings/staff/ (owners and administrators: users.manage): who has a
login, with their role, status and last login; inviting a person by email, resending and
revoking invitations; changing a role, deactivating and reactivating. And the page an
invitation's link opens, where the invited person chooses their name and password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.users import selectors
from shared_apps.users.models import INVITATION_VALID_FOR, Invitation, InvitationStatus, User
from shared_apps.users.pages import page_requires
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability, Role
from shared_apps.users.services import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    invitation_usable,
    user_deactivate,
    user_reactivate,
    user_role_change,
)
from shared_apps.users.views import session_login_record

STAFF_PAGE = "staff:index"


class ServiceErrorForm(forms.Form):
    def add_service_error(self, error: ServiceError) -> None:
        """A service's refusal next to the fields it names, else above the form."""
        named = [name for name in error.fields if name in self.fields]
        for name in named:
            self.add_error(name, error.message)
        if not named:
            self.add_error(None, error.message)


class InviteForm(ServiceErrorForm):
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        initial=Role.VIEWER,
        help_text="What they may do; you can change it later.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


def _site(request: HttpRequest) -> dict[str, str]:
    """Where the invitation's link points (this organization's own host) and its name."""
    tenant = getattr(request, "tenant", None)
    return {
        "site_url": request.build_absolute_uri("/"),
        "organization_name": getattr(tenant, "name", "") or "your organization",
    }


def _staff_page(
    request: AuthenticatedHttpRequest, *, invite_form: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    users = list(selectors.staff_list())
    invitations = list(selectors.invitations_open())
    return render(
        request,
        "users/staff.html",
        {
            "staff": users,
            "invitations": invitations,
            "usage": selectors.staff_usage(),
            "invite_form": invite_form or InviteForm(),
            "roles": Role.choices,
            "valid_days": INVITATION_VALID_FOR.days,
            "expired": InvitationStatus.EXPIRED,
        },
        status=status,
    )


@require_safe
@page_requires(Capability.USERS_MANAGE)
def staff_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _staff_page(request)


@require_POST
@page_requires(Capability.USERS_MANAGE)
def staff_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            sent = invitation_create(
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                acting_user=request.user,
                **_site(request),
            )
        except ServiceError as error:
            form.add_service_error(error)
        else:
            role = Role(sent.invitation.role).label
            messages.success(
                request,
                f"Invitation sent to {sent.invitation.email} as {role}. "
                f"The link works for {INVITATION_VALID_FOR.days} days.",
            )
            return redirect(STAFF_PAGE)
    return _staff_page(request, invite_form=form, status=400)


def _invitation_or_404(pk: int) -> Invitation:
    invitation = selectors.invitation_of(pk)
    if invitation is None:
        raise Http404("There is no such invitation.")
    return invitation


def _user_or_404(pk: int) -> User:
    user = selectors.staff_user_of(pk)
    if user is None:
        raise Http404("There is no such user.")
    return user


def _act(request: HttpRequest, action: Callable[[], str]) -> HttpResponse:
    """Run `action` (it returns what to say); a refusal becomes the message instead."""
    try:
        done = action()
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(STAFF_PAGE)


@require_POST
@page_requires(Capability.USERS_MANAGE)
def invitation_resend_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_or_404(pk)

    def resend() -> str:
        invitation_resend(invitation=invitation, acting_user=request.user, **_site(request))
        return f"Invitation sent again to {invitation.email}, with a new link."

    return _act(request, resend)


@require_POST
@page_requires(Capability.USERS_MANAGE)
def invitation_revoke_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _invitation_or_404(pk)

    def revoke() -> str:
        invitation_revoke(invitation=invitation, acting_user=request.user)
        return f"The invitation of {invitation.email} is withdrawn; its link no longer works."

    return _act(request, revoke)


@require_POST
@page_requires(Capability.USERS_MANAGE)
def staff_role_change(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = _user_or_404(pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles listed.")
        return redirect(STAFF_PAGE)

    def change() -> str:
        changed = user_role_change(
            user=user, role=form.cleaned_data["role"], acting_user=request.user
        )
        return f"{changed.get_full_name()} is now {changed.get_role_display()}."

    return _act(request, change)


@require_POST
@page_requires(Capability.USERS_MANAGE)
def staff_deactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = _user_or_404(pk)

    def deactivate() -> str:
        user_deactivate(user=user, acting_user=request.user)
        return f"{user.get_full_name()} can no longer log in. Their history stays."

    return _act(request, deactivate)


@require_POST
@page_requires(Capability.USERS_MANAGE)
def staff_reactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = _user_or_404(pk)

    def reactivate() -> str:
        user_reactivate(user=user, acting_user=request.user)
        return f"{user.get_full_name()} can log in again."

    return _act(request, reactivate)


# --- Accepting an invitation ---------------------------------------------------------------------


class AcceptForm(ServiceErrorForm):
    full_name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    password = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not like your name or email.",
    )
    password_again = forms.CharField(
        label="The password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", "The two passwords differ.")
        return cleaned


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone with the link: the token is the proof."""
    try:
        invitation = invitation_usable(token=token)
    except InvitationUnusable as refusal:
        return render(
            request,
            "users/invitation_unusable.html",
            {"reason": refusal.message, "status": refusal.invitation_status},
            status=404 if refusal.invitation_status is None else 410,
        )
    form = AcceptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            )
        except InvitationUnusable as refusal:
            return render(
                request,
                "users/invitation_unusable.html",
                {"reason": refusal.message, "status": refusal.invitation_status},
                status=410,
            )
        except ServiceError as error:
            form.add_service_error(error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            session_login_record(request)
            messages.success(
                request, f"Your login is ready: you are signed in as {user.get_role_display()}."
            )
            return redirect("home")
    return render(
        request,
        "users/invitation_accept.html",
        {"invitation": invitation, "form": form, "role": Role(invitation.role).label},
        status=400 if form.is_bound else 200,
    )
