"""Pages of the books under /accounting/ on an organization's host: the reports, the board
packet, budgets, the journal, the chart (accounts, funds, programs) and the month-end close."""

from django.urls import path

from tenant_apps.accounting import views_budgets, views_chart, views_journal, views_recurring
from tenant_apps.accounting.views import report_detail, report_index
from tenant_apps.accounting.views_packet import packet_download, packet_index, packet_progress
from tenant_apps.accounting.views_periods import (
    period_close,
    period_detail,
    period_index,
    period_reopen,
)

app_name = "accounting"

urlpatterns = [
    path("", report_index, name="index"),
    path("reports/<slug:name>/", report_detail, name="report"),
    path("board-packet/", packet_index, name="board_packet"),
    path("board-packet/progress/", packet_progress, name="board_packet_progress"),
    path("board-packet/download/", packet_download, name="board_packet_download"),
    path("budgets/", views_budgets.budget_list, name="budgets"),
    path("budgets/new/", views_budgets.budget_new, name="budget_new"),
    path("budgets/report/", views_budgets.budget_report, name="budget_report"),
    path("budgets/<int:pk>/", views_budgets.budget_detail, name="budget"),
    path("budgets/<int:pk>/import/", views_budgets.budget_import, name="budget_import"),
    path(
        "budgets/<int:pk>/approve/",
        views_budgets.budget_state,
        {"approve": True},
        name="budget_approve",
    ),
    path(
        "budgets/<int:pk>/draft/",
        views_budgets.budget_state,
        {"approve": False},
        name="budget_draft",
    ),
    path("periods/", period_index, name="periods"),
    path("periods/<slug:month>/", period_detail, name="period"),
    path("periods/<slug:month>/close/", period_close, name="period_close"),
    path("periods/<slug:month>/reopen/", period_reopen, name="period_reopen"),
    path("journal/", views_journal.journal_list, name="journal"),
    path("journal/new/", views_journal.journal_new, name="journal_new"),
    path("journal/recurring/", views_recurring.recurring_list, name="recurring"),
    path("journal/recurring/new/", views_recurring.recurring_new, name="recurring_new"),
    path("journal/recurring/<int:pk>/post/", views_recurring.recurring_post, name="recurring_post"),
    path("journal/<int:pk>/", views_journal.journal_entry, name="journal_entry"),
    path("journal/<int:pk>/edit/", views_journal.journal_edit, name="journal_edit"),
    path("journal/<int:pk>/post/", views_journal.journal_post, name="journal_post"),
    path("journal/<int:pk>/reverse/", views_journal.journal_reverse, name="journal_reverse"),
    path("journal/<int:pk>/delete/", views_journal.journal_delete, name="journal_delete"),
    path("chart/", views_chart.account_list, name="chart"),
    path("chart/new/", views_chart.account_new, name="chart_new"),
    path("chart/<int:pk>/edit/", views_chart.account_edit, name="chart_edit"),
    path("funds/", views_chart.fund_list, name="funds"),
    path("funds/new/", views_chart.fund_new, name="funds_new"),
    path("funds/<int:pk>/edit/", views_chart.fund_edit, name="funds_edit"),
    path("programs/", views_chart.program_list, name="programs"),
    path("programs/new/", views_chart.program_new, name="programs_new"),
    path("programs/<int:pk>/edit/", views_chart.program_edit, name="programs_edit"),
    # Deactivating and reactivating: one page, alike for the three.
    path(
        "chart/<int:pk>/deactivate/",
        views_chart.chart_active,
        {"kind_key": "chart", "activate": False},
        name="chart_deactivate",
    ),
    path(
        "chart/<int:pk>/reactivate/",
        views_chart.chart_active,
        {"kind_key": "chart", "activate": True},
        name="chart_reactivate",
    ),
    path(
        "funds/<int:pk>/deactivate/",
        views_chart.chart_active,
        {"kind_key": "funds", "activate": False},
        name="funds_deactivate",
    ),
    path(
        "funds/<int:pk>/reactivate/",
        views_chart.chart_active,
        {"kind_key": "funds", "activate": True},
        name="funds_reactivate",
    ),
    path(
        "programs/<int:pk>/deactivate/",
        views_chart.chart_active,
        {"kind_key": "programs", "activate": False},
        name="programs_deactivate",
    ),
    path(
        "programs/<int:pk>/reactivate/",
        views_chart.chart_active,
        {"kind_key": "programs", "activate": True},
        name="programs_reactivate",
    ),
]
