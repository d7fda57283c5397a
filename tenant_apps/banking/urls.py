"""Pages of the bank desk, under /accounting/bank/ on an organization's host."""

from django.urls import path

from tenant_apps.banking import views

app_name = "banking"

urlpatterns = [
    path("", views.bank_index, name="index"),
    path("import/", views.bank_import, name="import"),
    path("statements/<int:pk>/", views.reconcile, name="reconcile"),
    path("statements/<int:pk>/auto-match/", views.auto_match, name="auto_match"),
    path("statements/<int:pk>/match/", views.match_create, name="match"),
    path("statements/<int:pk>/lines/<int:line_pk>/unmatch/", views.match_remove, name="unmatch"),
    path("statements/<int:pk>/lines/<int:line_pk>/entry/", views.entry_create, name="entry"),
    path("statements/<int:pk>/finish/", views.finish, name="finish"),
    path("statements/<int:pk>/report/", views.report, name="report"),
    path("statements/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
]
