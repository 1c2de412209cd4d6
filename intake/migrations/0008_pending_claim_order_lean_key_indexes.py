"""The pending returns indexed in the claim's order (received_at, id), and no index of their own
for keys that a composite index already leads with.

The claim orders by (received_at, id); with an index on received_at alone, the planner sorted
every pending row whenever its statistics had last seen none pending, as in a burst. The client
and customer keys are led by unique_customer_per_client, unique_order_per_client and
return_customer_received_idx, so their single-column indexes only cost each insert and update.

Built and dropped concurrently: intake keeps writing to these tables.
"""

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

from core.db import key_index_drop_concurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('core', '0004_remove_api_client_key_fields'),
        ('intake', '0007_return_in_review_idx'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='returnrequest',
            index=models.Index(condition=models.Q(('status', 'pending')), fields=['received_at', 'id'], name='return_pending_claim_idx'),
        ),
        RemoveIndexConcurrently(
            model_name='returnrequest',
            name='return_pending_idx',
        ),
        key_index_drop_concurrently(
            model_name='customer',
            name='client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='customers', to='core.apiclient'),
            table='intake_customer',
            index='intake_customer_client_id_8282ad5b',
        ),
        key_index_drop_concurrently(
            model_name='returnrequest',
            name='client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='core.apiclient'),
            table='intake_returnrequest',
            index='intake_returnrequest_client_id_e53d9cae',
        ),
        key_index_drop_concurrently(
            model_name='returnrequest',
            name='customer',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='intake.customer'),
            table='intake_returnrequest',
            index='intake_returnrequest_customer_id_4871cc52',
        ),
    ]
