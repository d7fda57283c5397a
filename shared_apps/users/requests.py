"""Request types for views that require a login, so that `request.user` is checked as a `User`.

Django and DRF type `request.user` as `User | AnonymousUser`. Behind `login_required`, a staff
mixin or a DRF permission that demands an authenticated user, it is always a `User`; these
classes say so for the type checker. They are annotations only: no view builds one.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from shared_apps.users.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A Django request behind a login check."""

    user: User
    # Set by django-htmx's middleware on every request: truthy for an htmx request.
    htmx: HtmxDetails


class AuthenticatedRequest(Request):
    """A DRF request behind a permission that requires an authenticated user."""

    user: User
