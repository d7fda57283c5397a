"""Billing on the public host: Stripe's webhook at /billing/webhook/."""

from django.urls import path

from shared_apps.billing.views import stripe_webhook

app_name = "billing"

urlpatterns = [
    path("webhook/", stripe_webhook, name="webhook"),
]
