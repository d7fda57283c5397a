from django.db import migrations

# Every Connect event is written twice: stored waiting, then its outcome. Each outcome leaves a
# dead version in the table and in the partial index of pending events that every drain reads,
# until vacuum clears it. PostgreSQL's defaults wait for a fifth of the table to change: for a
# table of every event the platform ever received, that is millions of dead versions in the
# index drains read. Vacuumed after a hundredth (and analyzed after a fiftieth, so the planner
# knows how few events wait), the index stays about as small as what waits. Setting them takes
# a lock that lets reads and writes through.
OPTIONS = {
    "autovacuum_vacuum_scale_factor": "0.01",
    "autovacuum_vacuum_threshold": "1000",
    "autovacuum_analyze_scale_factor": "0.02",
}


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_connect_event_pending"),
    ]

    operations = [
        migrations.RunSQL(
            sql="ALTER TABLE billing_connectevent SET ("
            + ", ".join(f"{name} = {value}" for name, value in OPTIONS.items())
            + ")",
            reverse_sql=f"ALTER TABLE billing_connectevent RESET ({', '.join(OPTIONS)})",
        ),
    ]
