"""The staff page and its actions under /settings/staff/ on an organization's host."""

from django.urls import path

from shared_apps.users import staff_pages

app_name = "staff"

urlpatterns = [
    path("", staff_pages.staff_index, name="index"),
    path("invite/", staff_pages.staff_invite, name="invite"),
    path("invitations/<int:pk>/resend/", staff_pages.invitation_resend_page, name="invite_resend"),
    path("invitations/<int:pk>/revoke/", staff_pages.invitation_revoke_page, name="invite_revoke"),
    path("<int:pk>/role/", staff_pages.staff_role_change, name="role"),
    path("<int:pk>/deactivate/", staff_pages.staff_deactivate, name="deactivate"),
    path("<int:pk>/reactivate/", staff_pages.staff_reactivate, name="reactivate"),
]
