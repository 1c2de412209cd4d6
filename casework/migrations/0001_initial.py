
import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

from core.db import grant_roles


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ('core', '0001_initial'),
        ('intake', '0001_initial'),
        ('scoring', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='JoinedReturn',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('return_request', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='joined', to='intake.returnrequest')),
            ],
        ),
        migrations.CreateModel(
            name='ReviewCase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('open', 'Open'), ('claimed', 'Claimed'), ('resolved', 'Resolved')], default='open', max_length=16)),
                ('priority', models.DecimalField(decimal_places=2, max_digits=14)),
                ('reason_codes', models.JSONField(default=list)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('claim_expires_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claimed_cases', to=settings.AUTH_USER_MODEL)),
                ('assignee_client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='claimed_cases', to='core.apiclient')),
                ('decision', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='review_case', to='scoring.decision')),
                ('joined_returns', models.ManyToManyField(related_name='joined_cases', through='casework.JoinedReturn', to='intake.returnrequest')),
                ('return_request', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='review_case', to='intake.returnrequest')),
            ],
            options={
                'ordering': ['-priority', 'created_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='joinedreturn',
            name='case',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='joined', to='casework.reviewcase'),
        ),
        migrations.CreateModel(
            name='Verdict',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('verdict', models.CharField(choices=[('fraud', 'Fraud'), ('legitimate', 'Legitimate')], max_length=16)),
                ('hold_customer', models.BooleanField(default=False)),
                ('note', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='verdict', to='casework.reviewcase')),
                ('reviewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL)),
                ('reviewer_client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='core.apiclient')),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='FeedEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('decision', 'Decision made'), ('outcome', 'Outcome changed')], max_length=16)),
                ('xact_id', models.BigIntegerField(db_default=django.db.models.functions.comparison.Cast(django.db.models.functions.comparison.Cast(models.Func(function='pg_current_xact_id'), models.TextField()), models.BigIntegerField()), editable=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('return_request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='feed_events', to='intake.returnrequest')),
            ],
            options={
                'ordering': ['xact_id', 'id'],
                'indexes': [models.Index(fields=['xact_id', 'id'], name='feed_cursor_idx')],
            },
        ),
        migrations.CreateModel(
            name='Label',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_fraud', models.BooleanField()),
                ('source', models.CharField(choices=[('review', 'Reviewer verdict'), ('inspection', 'Warehouse inspection'), ('chargeback', 'Chargeback'), ('customer_service', 'Customer service')], max_length=32)),
                ('observed_at', models.DateTimeField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='core.apiclient')),
                ('return_request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='labels', to='intake.returnrequest')),
                ('reviewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-observed_at', '-id'],
                'indexes': [models.Index(fields=['return_request', '-observed_at'], name='label_newest_idx')],
            },
        ),
        migrations.AddIndex(
            model_name='reviewcase',
            index=models.Index(condition=models.Q(('status', 'resolved'), _negated=True), fields=['-priority', 'created_at', 'id'], name='case_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='reviewcase',
            index=models.Index(fields=['status', 'claim_expires_at'], name='case_claim_expiry_idx'),
        ),
        migrations.AddConstraint(
            model_name='reviewcase',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'claimed'), _negated=True), ('claim_expires_at__isnull', False), _connector='OR'), name='claimed_case_has_expiry'),
        ),
        migrations.AddConstraint(
            model_name='reviewcase',
            constraint=models.CheckConstraint(condition=models.Q(('assignee__isnull', False), ('assignee_client__isnull', False), _negated=True), name='case_has_one_assignee'),
        ),
        grant_roles("casework", {"admin": ["view_reviewcase", "view_verdict", "view_label"]}),
    ]
