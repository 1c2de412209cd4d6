
import django.db.models.deletion
from django.db import migrations, models

from core.db import grant_roles


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Customer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('external_id', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['external_id'],
            },
        ),
        migrations.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=255)),
                ('request_path', models.CharField(max_length=255)),
                ('request_hash', models.CharField(max_length=64)),
                ('response_status', models.PositiveSmallIntegerField()),
                ('response_body', models.JSONField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='core.apiclient')),
            ],
            options={
                'indexes': [models.Index(fields=['created_at'], name='idempotency_created_idx')],
                'constraints': [models.UniqueConstraint(fields=('client', 'key'), name='unique_idempotency_key')],
            },
        ),
        migrations.CreateModel(
            name='ReturnRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order_id', models.CharField(max_length=64)),
                ('order_value', models.DecimalField(decimal_places=2, max_digits=12)),
                ('currency', models.CharField(default='USD', max_length=3)),
                ('product_category', models.CharField(max_length=64)),
                ('payment_method', models.CharField(max_length=64)),
                ('return_ratio', models.FloatField()),
                ('returns_velocity_30d', models.PositiveIntegerField()),
                ('days_since_purchase', models.PositiveIntegerField()),
                ('derived_fields', models.JSONField(blank=True, default=list)),
                ('submitted_at', models.DateTimeField()),
                ('received_at', models.DateTimeField(auto_now_add=True)),
                ('payload_hash', models.CharField(max_length=64)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('decided', 'Decided'), ('in_review', 'In review'), ('resolved', 'Resolved')], default='pending', max_length=16)),
                ('outcome', models.CharField(blank=True, choices=[('approved', 'Approved'), ('rejected', 'Rejected')], max_length=16, null=True)),
                ('is_audit_sample', models.BooleanField(default=False)),
                ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='core.apiclient')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='returns', to='intake.customer')),
            ],
            options={
                'ordering': ['-received_at'],
                'indexes': [models.Index(condition=models.Q(('status', 'pending')), fields=['received_at'], name='return_pending_idx'), models.Index(fields=['customer', 'submitted_at'], name='return_customer_time_idx'), models.Index(fields=['order_id'], name='return_order_idx')],
                'constraints': [models.UniqueConstraint(fields=('client', 'order_id'), name='unique_order_per_client'), models.CheckConstraint(condition=models.Q(('order_value__gte', 0)), name='order_value_not_negative'), models.CheckConstraint(condition=models.Q(('return_ratio__gte', 0), ('return_ratio__lte', 1)), name='return_ratio_0_1')],
            },
        ),
        grant_roles("intake", {"admin": ["view_returnrequest"]}),
    ]
