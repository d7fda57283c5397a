"""A user's own account page under /account/, and where an invitation's link leads."""

from django.urls import path

from shared_apps.users import account_pages, staff_pages

app_name = "account"

urlpatterns = [
    path("account/", account_pages.account_index, name="index"),
    path("account/name/", account_pages.account_name, name="name"),
    path("account/password/", account_pages.account_password, name="password"),
    path(
        "account/sign-out-everywhere/",
        account_pages.account_sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path("invitations/<str:token>/", staff_pages.invitation_accept_page, name="invitation"),
]
