from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from saas_platform.navigation import navigation_for
from shared_apps.users.models import User


def platform(request: HttpRequest) -> dict[str, object]:
    tenant = getattr(request, "tenant", None)
    is_tenant = tenant is not None and not tenant.is_public
    user = getattr(request, "user", None)
    staff = user if is_tenant and isinstance(user, User) and user.is_authenticated else None
    return {
        "platform_domain": settings.PLATFORM_DOMAIN,
        "organization": tenant if is_tenant else None,
        # The staff site's sections, for a signed-in user of an organization; made when a
        # template shows them (an htmx fragment does not).
        "navigation": SimpleLazyObject(lambda: navigation_for(staff, request.path))
        if staff
        else [],
    }
