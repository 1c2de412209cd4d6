"""No index of its own for the ledger entry's account: ledger_window_idx leads with it, and every
approval writes an entry. Dropped concurrently: the pipeline keeps writing entries."""

import django.db.models.deletion
from django.db import migrations, models

from core.db import key_index_drop_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('budgets', '0003_portfolio_day'),
    ]

    operations = [
        key_index_drop_concurrently(
            model_name='ledgerentry',
            name='account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='budgets.ledgeraccount'),
            table='budgets_ledgerentry',
            index='budgets_ledgerentry_account_id_19d98c56',
        ),
    ]
