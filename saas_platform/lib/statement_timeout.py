"""How long a database statement may run. The process that serves sets it on every connection
it opens: web processes DATABASE_STATEMENT_TIMEOUT_MS (saas_platform.wsgi), worker processes
WORKER_STATEMENT_TIMEOUT_MS (saas_platform.celery); a report is allowed
REPORT_STATEMENT_TIMEOUT_MS for its own transaction (`report_statements`). Management commands
(migrations, exports, the test database's set-up) keep PostgreSQL's default: none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.conf import settings
from django.db import connections, transaction

from saas_platform.lib.connection import connection

_SETTING = re.compile(r"-c statement_timeout=\d+")


def statement_timeout_set(milliseconds: int) -> None:
    """Every connection this process opens from now on cancels a statement after
    `milliseconds` (0: never); the ones it holds are closed, to reopen with it."""
    value = f"-c statement_timeout={milliseconds}"
    for alias in settings.DATABASES:
        options = cast(dict[str, Any], settings.DATABASES[alias].setdefault("OPTIONS", {}))
        current = str(options.get("options", ""))
        options["options"] = (
            _SETTING.sub(value, current) if _SETTING.search(current) else f"{current} {value}"
        ).strip()
        connections[alias].close()


@contextmanager
def report_statements() -> Iterator[None]:
    """A transaction whose statements may run REPORT_STATEMENT_TIMEOUT_MS: a year's statements
    over a busy ledger are one long read, not a runaway. `set_config(..., true)` lasts until the
    transaction ends, so the connection (pooled or not) goes back to its process's limit."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true)",
            [str(settings.REPORT_STATEMENT_TIMEOUT_MS)],
        )
        yield
