"""Billing pages under /billing/ on an organization's host."""

from django.urls import path

from shared_apps.billing.views import billing_page, checkout_start, portal_start

app_name = "billing"

urlpatterns = [
    path("", billing_page, name="page"),
    path("checkout/", checkout_start, name="checkout"),
    path("portal/", portal_start, name="portal"),
]
