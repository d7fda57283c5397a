"""Pages of the accounting reports and of the month-end close, under /accounting/ on an
organization's host."""

from django.urls import path

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
    path("periods/", period_index, name="periods"),
    path("periods/<slug:month>/", period_detail, name="period"),
    path("periods/<slug:month>/close/", period_close, name="period_close"),
    path("periods/<slug:month>/reopen/", period_reopen, name="period_reopen"),
]
