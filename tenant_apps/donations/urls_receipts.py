"""Pages of the receipts desk under /receipts/ on an organization's host."""

from django.urls import path

from tenant_apps.donations.views import receipts

app_name = "receipts"

urlpatterns = [
    path("", receipts.receipt_index, name="index"),
    path("settings/", receipts.receipt_settings, name="settings"),
    path("statements/", receipts.statements_index, name="statements"),
    path("statements/progress/", receipts.statements_progress, name="statements_progress"),
    path("statements/statements.zip", receipts.statements_download, name="statements_zip"),
    path("statements/statements.pdf", receipts.statements_document, name="statements_pdf"),
    path("<int:pk>/", receipts.receipt_detail, name="detail"),
    path("<int:pk>/receipt.pdf", receipts.receipt_pdf, name="pdf"),
    path("<int:pk>/email/", receipts.receipt_email, name="email"),
    path("<int:pk>/reissue/", receipts.receipt_reissue, name="reissue"),
]
