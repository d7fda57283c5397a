"""Adds the request id and the current schema to every log record."""

from __future__ import annotations

import logging

from django.db import connection

from saas_platform.lib.request_context import request_id_var


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.schema = getattr(connection, "schema_name", "-")
        return True
