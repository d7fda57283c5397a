"""Pages of pay runs, under /pay-runs/ on an organization's host."""

from django.urls import path

from tenant_apps.personnel import views_payroll as views

app_name = "payroll"

urlpatterns = [
    path("", views.pay_run_index, name="index"),
    path("new/", views.pay_run_new, name="new"),
    path("import/", views.pay_run_import_page, name="import"),
    path("accounts/", views.pay_run_accounts, name="accounts"),
    path("<int:pk>/", views.pay_run_detail, name="detail"),
    path("<int:pk>/preview/", views.pay_run_preview, name="preview"),
    path("<int:pk>/lines/", views.pay_run_lines, name="lines"),
    path("<int:pk>/post/", views.pay_run_post_page, name="post"),
    path("<int:pk>/reverse/", views.pay_run_reverse, name="reverse"),
    path("<int:pk>/delete/", views.pay_run_delete_page, name="delete"),
]
