"""Card disputes on online gifts: the dispute, its hold and release entries, and the gift's
flag."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0008_budgets'),
        ('donations', '0015_monthly_gifts_via_stripe'),
        ('donors', '0005_donor_current_by_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='GiftDispute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stripe_dispute_id', models.CharField(max_length=255, unique=True)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('fee', models.DecimalField(decimal_places=2, default=0, help_text="Stripe's dispute fee.", max_digits=14)),
                ('fee_returned', models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ('reason', models.CharField(blank=True, help_text="The bank's reason.", max_length=50)),
                ('stripe_status', models.CharField(blank=True, max_length=30)),
                ('outcome', models.CharField(choices=[('', 'Not disputed'), ('open', 'Disputed'), ('won', 'Dispute won'), ('lost', 'Dispute lost')], default='open', max_length=10)),
                ('opened_on', models.DateField()),
                ('closed_on', models.DateField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['opened_on', 'id'],
            },
        ),
        migrations.AddField(
            model_name='gift',
            name='dispute_status',
            field=models.CharField(blank=True, choices=[('', 'Not disputed'), ('open', 'Disputed'), ('won', 'Dispute won'), ('lost', 'Dispute lost')], default='', max_length=10),
        ),
        migrations.AddIndex(
            model_name='gift',
            index=models.Index(condition=models.Q(('dispute_status', ''), _negated=True), fields=['dispute_status'], name='gift_disputed'),
        ),
        migrations.AddConstraint(
            model_name='gift',
            constraint=models.CheckConstraint(condition=models.Q(('dispute_status__in', ['', 'open', 'won', 'lost'])), name='gift_dispute_status_valid'),
        ),
        migrations.AddField(
            model_name='giftdispute',
            name='gift',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='donations.gift'),
        ),
        migrations.AddField(
            model_name='giftdispute',
            name='hold_entry',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounting.journalentry'),
        ),
        migrations.AddField(
            model_name='giftdispute',
            name='release_entry',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounting.journalentry'),
        ),
        migrations.AddConstraint(
            model_name='giftdispute',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='giftdispute_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='giftdispute',
            constraint=models.CheckConstraint(condition=models.Q(('fee__gte', 0), ('fee_returned__gte', 0)), name='giftdispute_fees_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='giftdispute',
            constraint=models.CheckConstraint(condition=models.Q(('outcome__in', ('open', 'won', 'lost'))), name='giftdispute_outcome_valid'),
        ),
        migrations.AddConstraint(
            model_name='giftdispute',
            constraint=models.CheckConstraint(condition=models.Q(('outcome', 'open'), models.Q(('closed_on__isnull', False), ('release_entry__isnull', False)), _connector='OR'), name='giftdispute_closed_released'),
        ),
    ]
