"""A gift's allocations add up to its amount, checked by the database at commit
(sql/gift_rules.sql)."""

from pathlib import Path

from django.db import migrations

SQL = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]

    operations = [
        migrations.RunSQL(
            (SQL / "gift_rules.sql").read_text(encoding="utf-8"),
            reverse_sql=(
                "DROP TRIGGER giftallocation_adds_up ON donations_giftallocation;"
                "DROP TRIGGER gift_allocations_add_up ON donations_gift;"
                "DROP FUNCTION donations_gift_allocations_add_up();"
            ),
        )
    ]
