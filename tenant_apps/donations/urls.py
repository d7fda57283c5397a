"""Pages of donations under /donations/ on an organization's host: CSV imports (the upload,
sample files, an upload's columns, a job) and the fundraising reports; and the donors desk's
pages that show giving (`donor_urlpatterns`, which saas_platform.urls_tenant mounts under
/donors/ in the `donors` namespace)."""

from django.urls import path

from tenant_apps.donations.views.donor_merge import donor_merge_page
from tenant_apps.donations.views.donor_pages import (
    donor_detail,
    donor_index,
    donor_note_create,
    donor_task_create,
)
from tenant_apps.donations.views.imports import (
    import_columns_page,
    import_detail,
    import_discard,
    import_index,
    import_sample,
)
from tenant_apps.donations.views.reports import report_detail, report_index

app_name = "donations"

urlpatterns = [
    path("imports/", import_index, name="imports"),
    path("imports/sample/<str:kind>.csv", import_sample, name="import_sample"),
    path("imports/<int:pk>/", import_detail, name="import"),
    path("imports/<int:pk>/columns/", import_columns_page, name="import_columns"),
    path("imports/<int:pk>/discard/", import_discard, name="import_discard"),
    path("reports/", report_index, name="reports"),
    path("reports/<slug:name>/", report_detail, name="report"),
]

donor_urlpatterns = [
    path("", donor_index, name="index"),
    path("<int:pk>/", donor_detail, name="detail"),
    path("<int:pk>/notes/", donor_note_create, name="note_add"),
    path("<int:pk>/tasks/", donor_task_create, name="task_add"),
    path("<int:pk>/merge/<int:other_pk>/", donor_merge_page, name="merge"),
]
