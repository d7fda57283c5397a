"""The bare site's one view: the tenant's accounts as JSON, as the accounts API lists them."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from tenant_apps.accounting.models import Account


def accounts(request: HttpRequest) -> JsonResponse:
    rows = list(Account.objects.order_by("code").values("code", "name", "type", "is_active"))
    return JsonResponse({"results": rows})


urlpatterns = [path("accounts/", accounts)]
