"""Each user's own account page under /account/: their name, their password, and their
sessions, with a way to sign out of all the others."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.selectors import user_sessions
from shared_apps.users.services import (
    user_password_set,
    user_profile_update,
    user_sign_out_everywhere,
)

ACCOUNT_PAGE = "account:index"


class NameForm(forms.Form):
    full_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )


def _account_page(
    request: AuthenticatedHttpRequest,
    *,
    name_form: NameForm | None = None,
    password_form: PasswordChangeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    password_form = password_form or PasswordChangeForm(user)
    for field in password_form.fields.values():
        field.help_text = ""  # Django's list of rules is HTML; the page says them in a line
        field.widget.attrs.pop("autofocus", None)  # the page opens at its top, not mid-way
    return render(
        request,
        "users/account.html",
        {
            "name_form": name_form or NameForm(initial={"full_name": user.full_name}),
            "password_form": password_form,
            "sessions": user_sessions(user=user),
            "current_session": request.session.session_key,
        },
        status=status,
    )


@require_safe
@login_required
def account_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _account_page(request)


@require_POST
@login_required
def account_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = NameForm(request.POST)
    if not form.is_valid():
        return _account_page(request, name_form=form, status=400)
    try:
        user_profile_update(
            user=request.user,
            acting_user=request.user,
            email=request.user.email,
            full_name=form.cleaned_data["full_name"],
        )
    except ServiceError as error:
        form.add_error("full_name", error.message)
        return _account_page(request, name_form=form, status=400)
    messages.success(request, "Your name is saved.")
    return redirect(ACCOUNT_PAGE)


@require_POST
@login_required
def account_password(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _account_page(request, password_form=form, status=400)
    try:
        user = user_password_set(
            user=request.user,
            password=form.cleaned_data["new_password1"],
            acting_user=request.user,
        )
    except ServiceError as error:
        form.add_error("new_password1", error.message)
        return _account_page(request, password_form=form, status=400)
    # A new password ends the other sessions (their hash no longer matches); this one stays.
    update_session_auth_hash(request, user)
    messages.success(request, "Your password is changed. Other sessions are signed out.")
    return redirect(ACCOUNT_PAGE)


@require_POST
@login_required
def account_sign_out_everywhere(request: AuthenticatedHttpRequest) -> HttpResponse:
    ended = user_sign_out_everywhere(
        user=request.user,
        acting_user=request.user,
        keep_session_key=request.session.session_key or "",
    )
    others = "other session" if ended == 1 else "other sessions"
    messages.success(
        request, f"Signed out of {ended} {others} and every app using the API. This one stays."
    )
    return redirect(ACCOUNT_PAGE)
