"""Staff pages by role capability (see roles.py): a page view says what it needs,

    @page_requires(Capability.DONORS_READ)
    def donor_list(request): ...

and anyone without it gets the 403 page, which says which roles may use the page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBase

from shared_apps.users.requests import AuthenticatedHttpRequest
from shared_apps.users.roles import Capability, Role, role_has_capability

# A page answers with a page, a redirect or a streamed download (a list's CSV).

View = Callable[..., HttpResponseBase]


def roles_with(capability: Capability) -> list[str]:
    """The roles (their labels) that have `capability`, in the roles' order."""
    return [label for role, label in Role.choices if role_has_capability(role, capability)]


def roles_named(capability: Capability) -> str:
    """The roles that have `capability`, as a sentence names them: "Owner, Administrator and
    Bookkeeper"."""
    roles = roles_with(capability)
    return ", ".join(roles[:-1]) + f" and {roles[-1]}" if len(roles) > 1 else roles[0]


def refusal(capability: Capability) -> str:
    """What the 403 page says: who may, and what to do about it."""
    named = roles_named(capability)
    return (
        f"This page is for the {named} roles. "
        "Ask an owner or administrator of your organization if you need it."
    )


def page_requires(capability: Capability) -> Callable[[View], View]:
    """Logged in (else to the login page) and allowed `capability` (else the 403 page)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(
            request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not request.user.has_capability(capability):
                raise PermissionDenied(refusal(capability))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
