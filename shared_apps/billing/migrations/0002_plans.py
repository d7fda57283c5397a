"""The plans offered at signup. Prices and limits are changed by operators afterwards (the
admin), never by editing this migration."""

from django.db import migrations

PLANS = [
    # code, name, monthly price, max donors, max staff users, description
    ("starter", "Starter", "0.00", 500, 3, "For a small volunteer-run organization."),
    ("standard", "Standard", "49.00", 10_000, 15, "For a growing organization with staff."),
    ("plus", "Plus", "149.00", None, None, "No limits on donors or staff."),
]


def plans_create(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for order, (code, name, price, donors, staff, description) in enumerate(PLANS):
        Plan.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "monthly_price": price,
                "max_donors": donors,
                "max_staff_users": staff,
                "description": description,
                "sort_order": order,
            },
        )


def plans_delete(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(code__in=[p[0] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(plans_create, plans_delete)]
