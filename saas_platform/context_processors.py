from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, object]:
    tenant = getattr(request, "tenant", None)
    is_tenant = tenant is not None and not tenant.is_public
    return {
        "platform_domain": settings.PLATFORM_DOMAIN,
        "organization": tenant if is_tenant else None,
    }
