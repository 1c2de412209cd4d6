"""Ledgers, budgets and holds; the ledger is append-only, and every customer starts with the
default budget of the peer design's cost model: $50 over 90 days."""


from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.db import append_only, grant_roles


def default_budget(apps, schema_editor):
    BudgetPolicy = apps.get_model("budgets", "BudgetPolicy")
    BudgetPolicy.objects.get_or_create(
        scope=None, key="", defaults={"amount": Decimal("50.00"), "window_days": 90}
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ('intake', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BudgetPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(blank=True, choices=[('payment_method', 'Customers paying with'), ('product_category', 'Customers returning a'), ('customer', 'One customer'), ('portfolio', 'Portfolio per payment method per day')], max_length=32, null=True)),
                ('key', models.CharField(blank=True, help_text='Payment method, category or customer id.', max_length=64)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0'))])),
                ('window_days', models.PositiveIntegerField(default=90)),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'budget policies',
                'constraints': [models.UniqueConstraint(fields=('scope', 'key'), name='unique_budget_scope_key', nulls_distinct=False), models.CheckConstraint(condition=models.Q(('amount__gte', 0)), name='budget_not_negative'), models.CheckConstraint(condition=models.Q(models.Q(('key', ''), ('scope__isnull', True)), models.Q(('scope__isnull', False), models.Q(('key', ''), _negated=True)), _connector='OR'), name='budget_override_has_key')],
            },
        ),
        migrations.CreateModel(
            name='LedgerAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('balance', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=14)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('customer', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_account', to='intake.customer')),
            ],
        ),
        migrations.CreateModel(
            name='CustomerHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mode', models.CharField(choices=[('reject', 'Reject later returns'), ('review', 'Send later returns to review')], default='reject', max_length=16)),
                ('reason', models.CharField(max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('released_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='holds', to='intake.customer')),
                ('released_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('return_request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='intake.returnrequest')),
            ],
            options={
                'ordering': ['-created_at'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('released_at__isnull', True)), fields=('customer',), name='one_active_hold')],
            },
        ),
        migrations.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('expected_loss', 'Expected loss of an approval'), ('realized_loss', 'Realized loss of a confirmed fraud'), ('reversal', 'Reversal of an earlier booking')], max_length=16)),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14)),
                ('effective_at', models.DateTimeField()),
                ('payment_method', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('note', models.CharField(blank=True, max_length=255)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='budgets.ledgeraccount')),
                ('return_request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='intake.returnrequest')),
            ],
            options={
                'verbose_name_plural': 'ledger entries',
                'ordering': ['effective_at', 'id'],
                'indexes': [models.Index(fields=['account', 'effective_at'], name='ledger_window_idx'), models.Index(fields=['payment_method', 'effective_at'], name='ledger_portfolio_idx')],
            },
        ),
        append_only("budgets_ledgerentry"),
        migrations.RunPython(default_budget, migrations.RunPython.noop),
        grant_roles(
            "budgets",
            {
                "lead": ["add_customerhold", "change_customerhold", "view_customerhold"],
                "admin": [
                    "add_customerhold",
                    "change_customerhold",
                    "view_customerhold",
                    "add_budgetpolicy",
                    "change_budgetpolicy",
                    "view_budgetpolicy",
                    "delete_budgetpolicy",
                    "view_ledgeraccount",
                    "view_ledgerentry",
                ],
            },
        ),
    ]
