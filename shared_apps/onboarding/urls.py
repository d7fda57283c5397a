"""Signup pages under /signup/ on the public host."""

from django.urls import path

from shared_apps.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.signup, name="signup"),
    path("check/", views.slug_check, name="check"),
    path("terms/", views.terms, name="terms"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("<uuid:public_id>/progress/", views.progress, name="progress"),
    path("<uuid:public_id>/status/", views.status, name="status"),
    path("<uuid:public_id>/resend/", views.resend, name="resend"),
]
