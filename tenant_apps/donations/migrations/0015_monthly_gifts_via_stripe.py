"""Monthly gifts through Stripe: a recurring gift linked to its subscription (by card too), and
a gift linked to the invoice that paid it, once per invoice."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0008_budgets'),
        ('donations', '0014_gift_refund'),
        ('donors', '0005_donor_current_by_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='gift',
            name='gift_one_per_recurring_date',
        ),
        migrations.RemoveConstraint(
            model_name='recurringgift',
            name='recurringgift_method_valid',
        ),
        migrations.AddField(
            model_name='gift',
            name='stripe_invoice_id',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='recurringgift',
            name='cancel_at_period_end',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='recurringgift',
            name='stripe_status',
            field=models.CharField(blank=True, max_length=30),
        ),
        migrations.AddField(
            model_name='recurringgift',
            name='stripe_status_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='recurringgift',
            name='stripe_subscription_id',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddConstraint(
            model_name='gift',
            constraint=models.UniqueConstraint(condition=models.Q(('recurring_gift__isnull', False), ('stripe_invoice_id', '')), fields=('recurring_gift', 'received_on'), name='gift_one_per_recurring_date'),
        ),
        migrations.AddConstraint(
            model_name='gift',
            constraint=models.UniqueConstraint(condition=models.Q(('stripe_invoice_id', ''), _negated=True), fields=('stripe_invoice_id',), name='gift_stripe_invoice_unique'),
        ),
        migrations.AddConstraint(
            model_name='recurringgift',
            constraint=models.CheckConstraint(condition=models.Q(('method__in', ('cash', 'check', 'ach', 'stock')), models.Q(('method', 'card'), models.Q(('stripe_subscription_id', ''), _negated=True)), _connector='OR'), name='recurringgift_method_valid'),
        ),
        migrations.AddConstraint(
            model_name='recurringgift',
            constraint=models.UniqueConstraint(condition=models.Q(('stripe_subscription_id', ''), _negated=True), fields=('stripe_subscription_id',), name='recurringgift_stripe_subscription_unique'),
        ),
    ]
