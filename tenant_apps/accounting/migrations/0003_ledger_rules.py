"""The ledger's rules as triggers and an exclusion constraint (see sql/ledger_rules.sql).

The SQL is read from files kept beside this migration's app so that the same text is reviewed,
applied and reversed; a later change to the rules is a new migration with new files.
"""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("accounting", "0002_journal")]

    operations = [
        migrations.RunSQL(
            (SQL / "ledger_rules.sql").read_text(encoding="utf-8"),
            reverse_sql=(SQL / "ledger_rules_drop.sql").read_text(encoding="utf-8"),
        )
    ]
