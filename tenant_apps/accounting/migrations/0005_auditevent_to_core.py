"""The audit log now belongs to the core app (core 0001 takes over the same table): accounting
forgets the model without dropping its table or rows."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0004_ledger_rules_static"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],
        ),
    ]
