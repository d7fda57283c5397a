"""Each donor's giving columns (posted total and last gift's day) and giving by fiscal year
recomputed from the gifts.

The database keeps them on every write (donations' migrations 0008 and 0011); this is for a
schema whose rows were written with triggers off (a restore, a bulk load with
`session_replication_role`)."""

from __future__ import annotations

import logging

from django.db import transaction

from saas_platform.lib.connection import connection

logger = logging.getLogger(__name__)


def donor_giving_rebuild() -> int:
    """Recompute every donor's giving in the current schema; returns how many donors were
    recomputed. Touching a donor runs the trigger that computes its giving from its gifts."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE donors_donor SET giving_total = giving_total")
        recomputed = cursor.rowcount
    logger.info("giving recomputed for %s donors in %s", recomputed, connection.schema_name)
    return recomputed
