"""The per-entry ledger checks as static SQL with a pinned search path (see
sql/ledger_rules_static.sql); reversing restores the functions of 0003."""

import re
from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


def _functions_of_0003() -> str:
    # The two functions exactly as 0003 created them, to restore on the way back.
    text = (SQL / "ledger_rules.sql").read_text(encoding="utf-8")
    bodies = re.findall(r"CREATE FUNCTION (accounting_entry_\w+\(\).*?\n\$\$;)", text, re.S)
    return "\n".join(f"CREATE OR REPLACE FUNCTION {body}" for body in bodies)


class Migration(migrations.Migration):
    dependencies = [("accounting", "0003_ledger_rules")]

    operations = [
        migrations.RunSQL(
            (SQL / "ledger_rules_static.sql").read_text(encoding="utf-8"),
            reverse_sql=(
                "ALTER FUNCTION accounting_entry_guard() RESET search_path;"
                "ALTER FUNCTION accounting_entry_balanced() RESET search_path;"
                + _functions_of_0003()
            ),
        )
    ]
