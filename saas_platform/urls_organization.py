"""The organization settings page and its forms under /settings/organization/."""

from django.urls import path

from saas_platform import organization_pages

app_name = "organization"

urlpatterns = [
    path("", organization_pages.organization_settings, name="index"),
    path("profile/", organization_pages.organization_profile, name="profile"),
    path("logo/", organization_pages.organization_logo, name="logo"),
    path("logo/upload/", organization_pages.organization_logo_upload, name="logo_upload"),
    path("logo/remove/", organization_pages.organization_logo_delete, name="logo_remove"),
    path("receipts/", organization_pages.organization_receipts, name="receipts"),
    path("books/", organization_pages.organization_books, name="books"),
    path("people/", organization_pages.organization_people, name="people"),
    path("checks/", organization_pages.organization_checks, name="checks"),
    path("giving/connect/", organization_pages.giving_connect, name="giving_connect"),
    path("giving/refresh/", organization_pages.giving_refresh, name="giving_refresh"),
    path("giving/return/", organization_pages.giving_return, name="giving_return"),
    path("giving/funds/", organization_pages.giving_funds, name="giving_funds"),
    path("giving/frames/", organization_pages.giving_frames, name="giving_frames"),
    path("giving/disconnect/", organization_pages.giving_disconnect, name="giving_disconnect"),
    path(
        "checklist/dismiss/",
        organization_pages.setup_checklist_dismiss,
        name="checklist_dismiss",
    ),
]
