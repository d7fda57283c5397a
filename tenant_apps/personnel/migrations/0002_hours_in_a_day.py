"""At most 24 hours per person per day, checked by the database too (sql/hour_rules.sql)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("personnel", "0001_initial")]

    operations = [
        migrations.RunSQL(
            (SQL / "hour_rules.sql").read_text(encoding="utf-8"),
            reverse_sql=(
                "DROP TRIGGER hourentry_hours_in_a_day ON personnel_hourentry;"
                "DROP FUNCTION personnel_hours_in_a_day();"
            ),
        )
    ]
