"""Pages of the accounting reports, under /accounting/ on an organization's host."""

from django.urls import path

from tenant_apps.accounting.views import report_detail, report_index
from tenant_apps.accounting.views_packet import packet_download, packet_index, packet_progress

app_name = "accounting"

urlpatterns = [
    path("", report_index, name="index"),
    path("reports/<slug:name>/", report_detail, name="report"),
    path("board-packet/", packet_index, name="board_packet"),
    path("board-packet/progress/", packet_progress, name="board_packet_progress"),
    path("board-packet/download/", packet_download, name="board_packet_download"),
]
