"""Each donor's posted giving by fiscal year: the table; 0011 keeps it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0010_giving_fund"),
        ("donors", "0004_donor_giving_totals"),
    ]

    operations = [
        migrations.CreateModel(
            name="DonorGivingYear",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("fiscal_year", models.IntegerField()),
                ("total", models.DecimalField(decimal_places=2, max_digits=14)),
                ("gift_count", models.PositiveIntegerField()),
                ("last_gift_on", models.DateField()),
                (
                    "donor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="donors.donor",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["fiscal_year", "-total", "donor"], name="donorgivingyear_largest"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("donor", "fiscal_year"), name="donorgivingyear_one_per_year"
                    )
                ],
            },
        ),
    ]
