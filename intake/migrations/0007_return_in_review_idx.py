"""An index of the returns in review by order value, for the queue filtered by a return's fields.

Built concurrently: the returns table is the desk's largest, and intake keeps writing to it.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('core', '0004_remove_api_client_key_fields'),
        ('intake', '0006_attributes'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='returnrequest',
            index=models.Index(condition=models.Q(('status', 'in_review')), fields=['order_value'], name='return_in_review_idx'),
        ),
    ]
