"""Each payment method's booked loss per day, kept as a counter beside the ledger.

Filled from the entries already booked, by the UTC day they count at (`effective_at`).
"""

from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('budgets', '0002_customer_budget_key_names_client'),
    ]

    operations = [
        migrations.CreateModel(
            name='PortfolioDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('payment_method', models.CharField(max_length=64)),
                ('day', models.DateField()),
                ('booked', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=14)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('payment_method', 'day'), name='one_portfolio_day')],
            },
        ),
        migrations.RunSQL(
            sql="""
                INSERT INTO budgets_portfolioday (payment_method, day, booked)
                SELECT payment_method, (effective_at AT TIME ZONE 'UTC')::date, sum(amount)
                FROM budgets_ledgerentry
                GROUP BY 1, 2
            """,
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
