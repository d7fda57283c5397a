"""Pages of the signup on the public host: the form, its subdomain check, the verification
link, and the progress page with its status endpoint (polled by a small script, or reloaded
by hand without one) and its button that sends the verification email again."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saas_platform.lib.errors import ServiceError
from shared_apps.billing.selectors import plans_offered
from shared_apps.onboarding import services
from shared_apps.onboarding.forms import SignupForm
from shared_apps.onboarding.models import Signup, SignupState
from shared_apps.onboarding.selectors import signup_progress, slug_availability
from shared_apps.onboarding.throttling import throttle_hit, throttle_window
from shared_apps.tenants.selectors import organization_host


def _json_error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    """The project's one 4xx shape (saas_platform.lib.api), for these plain JSON views."""
    response = JsonResponse(
        {"error": {"status": status, "code": code, "message": message}}, status=status
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _throttled_page(request: HttpRequest, scope: str) -> HttpResponse:
    response = render(request, "onboarding/throttled.html", {"scope": scope}, status=429)
    response["Retry-After"] = str(throttle_window(scope=scope))
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    plans = plans_offered()
    if request.method != "POST":
        initial: dict[str, Any] = {}
        requested = request.GET.get("plan")
        chosen = plans.filter(code=requested).first() if requested else None
        initial["plan"] = chosen or plans.filter(code="standard").first() or plans.first()
        form = SignupForm(plans=plans, initial=initial)
        return render(request, "onboarding/signup.html", _signup_context(form))

    form = SignupForm(request.POST, plans=plans)
    if form.is_valid():
        if throttle_hit(request=request, scope="signup"):
            return _throttled_page(request, "signup")
        data = form.cleaned_data
        try:
            signup_row = services.signup_start(
                name=data["name"],
                slug=data["slug"],
                owner_name=data["owner_name"],
                email=data["email"],
                password=data["password"],
                plan_code=data["plan"].code,
                terms_accepted=data["terms"],
            )
        except ServiceError as error:
            for field, field_messages in error.fields.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            return redirect("onboarding:progress", public_id=signup_row.public_id)
    return render(request, "onboarding/signup.html", _signup_context(form), status=400)


def _signup_context(form: SignupForm) -> dict[str, Any]:
    return {"form": form, "scheme": settings.PLATFORM_SCHEME}


@require_safe
@never_cache
def slug_check(request: HttpRequest) -> JsonResponse:
    """Whether a subdomain can be had, for the form's live check as one types."""
    if throttle_hit(request=request, scope="slug-check"):
        return _json_error(
            429,
            "throttled",
            "Too many checks; wait a minute and try again.",
            Retry_After=str(throttle_window(scope="slug-check")),
        )
    slug = request.GET.get("slug", "")
    if not slug.strip():
        return _json_error(400, "invalid", "Give the subdomain to check as ?slug=.")
    if len(slug) > 100:
        return _json_error(400, "invalid", "A subdomain has at most 40 characters.")
    availability = slug_availability(slug=slug)
    host = None
    if availability.available:
        host = f"{availability.slug}.{settings.PLATFORM_DOMAIN}"
    return JsonResponse({**asdict(availability), "host": host})


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link will do (mail scanners open links: they must not create
    anything); the button POSTs and provisioning starts."""
    signup_row = services.signup_for_token(token=token)
    if signup_row is None:
        return render(request, "onboarding/link_invalid.html", status=404)
    if request.method == "POST":
        try:
            signup_row = services.signup_verify(token=token)
        except ServiceError as error:
            return render(
                request,
                "onboarding/link_invalid.html",
                {"message": error.message, "expired": signup_row.is_expired},
                status=error.status if error.status != 400 else 404,
            )
        return redirect("onboarding:progress", public_id=signup_row.public_id)
    if signup_row.is_expired:
        return render(
            request,
            "onboarding/link_invalid.html",
            {
                "expired": True,
                "message": "This link has expired. Nothing was created; please sign up again.",
            },
            status=410,
        )
    return render(
        request,
        "onboarding/verify.html",
        {
            "signup": signup_row,
            "already_verified": signup_row.state != SignupState.PENDING,
            "host": f"{signup_row.slug}.{settings.PLATFORM_DOMAIN}",
        },
    )


def _signup_or_404(public_id: UUID) -> Signup:
    return get_object_or_404(Signup.objects.select_related("organization"), public_id=public_id)


@require_safe
@never_cache
def progress(request: HttpRequest, public_id: UUID) -> HttpResponse:
    signup_row = _signup_or_404(public_id)
    state = signup_progress(signup=signup_row)
    host = f"{signup_row.slug}.{settings.PLATFORM_DOMAIN}"
    if signup_row.organization is not None:
        host = organization_host(organization=signup_row.organization)
    return render(
        request,
        "onboarding/progress.html",
        {"signup": signup_row, "progress": state, "host": host},
    )


@require_POST
@never_cache
def resend(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The "send the email again" button of the progress page. Known by its unguessable address
    only, like the page itself; it says nothing of any other signup."""
    signup_row = _signup_or_404(public_id)
    if throttle_hit(request=request, scope="resend"):
        return _throttled_page(request, "resend")
    try:
        services.signup_verification_resend(signup_id=signup_row.pk)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"We have sent a new link to {signup_row.email}. The link in any earlier email no "
            "longer works.",
        )
    return redirect("onboarding:progress", public_id=signup_row.public_id)


@require_safe
@never_cache
def status(request: HttpRequest, public_id: UUID) -> JsonResponse:
    try:
        signup_row = Signup.objects.select_related("organization").get(public_id=public_id)
    except Signup.DoesNotExist:
        return _json_error(404, "not_found", "No signup has this address.")
    state = signup_progress(signup=signup_row)
    return JsonResponse(
        {
            "state": state.state,
            "message": state.message,
            "finished": state.finished,
            "login_url": state.login_url,
            "steps": [asdict(step) for step in state.steps],
        }
    )


@require_safe
def terms(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/terms.html", {"grace_days": settings.BILLING_GRACE_DAYS})
