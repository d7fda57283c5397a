"""The audit log moves here from accounting. Its table, index and rows stay as they are (the
model names the old table): only Django's state changes, so no tenant's rows are touched."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounting", "0004_ledger_rules_static"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("action", models.CharField(max_length=50)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("object_type", models.CharField(max_length=50)),
                        ("object_id", models.CharField(max_length=50)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "accounting_auditevent",
                        "ordering": ["-at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["object_type", "object_id"], name="auditevent_object"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
