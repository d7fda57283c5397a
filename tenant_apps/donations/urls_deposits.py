"""Pages of the deposits desk under /deposits/ on an organization's host."""

from django.urls import path

from tenant_apps.donations.views import deposits

app_name = "deposits"

urlpatterns = [
    path("", deposits.deposit_index, name="index"),
    path("new/", deposits.deposit_new, name="new"),
    path("<int:pk>/", deposits.deposit_detail, name="detail"),
    path("<int:pk>/add/", deposits.deposit_add, name="add"),
    path("<int:pk>/remove/<int:gift_pk>/", deposits.deposit_remove, name="remove"),
    path("<int:pk>/close/", deposits.deposit_close, name="close"),
    path("<int:pk>/slip.pdf", deposits.deposit_slip, name="slip"),
]
