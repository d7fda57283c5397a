"""Pages of the gifts desk under /gifts/ on an organization's host: the list of gifts, a gift's
page and its actions, batch entry of checks, and the donor suggestions of the donor fields."""

from django.urls import path

from tenant_apps.donations.views import batch, gifts

app_name = "gifts"

urlpatterns = [
    path("", gifts.gift_list, name="list"),
    path("new/", gifts.gift_new, name="new"),
    path("post/", gifts.gift_bulk_post, name="bulk_post"),
    path("donors/", gifts.donor_suggestions, name="donor_suggestions"),
    path("<int:pk>/", gifts.gift_detail, name="detail"),
    path("<int:pk>/edit/", gifts.gift_edit, name="edit"),
    path("<int:pk>/post/", gifts.gift_post, name="post"),
    path("<int:pk>/delete/", gifts.gift_delete, name="delete"),
    path("<int:pk>/refund/", gifts.gift_refund, name="refund"),
    path("<int:pk>/void/", gifts.gift_void, name="void"),
    path("<int:pk>/notify/", gifts.gift_notify, name="notify"),
    path("batch/", batch.batch_index, name="batches"),
    path("batch/<int:pk>/", batch.batch_entry, name="batch"),
    path("batch/<int:pk>/post/", batch.batch_post, name="batch_post"),
    path("batch/<int:pk>/close/", batch.batch_close, name="batch_close"),
]
