"""The account a disputed online gift's money is held in while the bank decides (1320), for
organizations whose chart was seeded before it was in provisioning/charts/ucoa.csv. A schema
not seeded yet (being provisioned) gets it from the chart itself."""

from django.db import migrations

CODE = "1320"
NAME = "Disputed online gifts (held by Stripe while the bank decides)"


def account_add(apps, schema_editor):
    Account = apps.get_model("accounting", "Account")
    assets = Account.objects.filter(code="1000").first()
    if assets is None or Account.objects.filter(code=CODE).exists():
        return
    Account.objects.create(
        code=CODE,
        name=NAME,
        type="asset",
        normal_balance="debit",
        parent=assets,
        ucoa_code="1310",
    )


def account_remove(apps, schema_editor):
    JournalLine = apps.get_model("accounting", "JournalLine")
    if not JournalLine.objects.filter(account__code=CODE).exists():
        apps.get_model("accounting", "Account").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0008_budgets"),
        ("donations", "0016_gift_disputes"),
    ]

    operations = [migrations.RunPython(account_add, account_remove)]
