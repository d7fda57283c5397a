"""Pages of scanned checks on an organization's host: a deposit's scans (upload, progress,
review one check at a time) under /deposits/<id>/checks/, and the scan of a gift."""

from django.urls import path

from tenant_apps.checks import views

app_name = "checks"

urlpatterns = [
    path("deposits/<int:deposit_pk>/checks/", views.deposit_checks, name="index"),
    path("deposits/<int:deposit_pk>/checks/panel/", views.deposit_panel, name="panel"),
    path("deposits/<int:deposit_pk>/checks/upload/", views.deposit_upload, name="upload"),
    path("deposits/<int:deposit_pk>/checks/<int:pk>/", views.check_review, name="review"),
    path("deposits/<int:deposit_pk>/checks/<int:pk>/reject/", views.check_reject, name="reject"),
    path("deposits/<int:deposit_pk>/checks/<int:pk>/image.png", views.check_image, name="image"),
    path("gifts/<int:gift_pk>/check/", views.gift_check, name="gift_check"),
]
