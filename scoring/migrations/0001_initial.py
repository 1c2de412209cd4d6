"""Model versions, costs, policy versions and decisions; the one row of cost settings starts
at the defaults: false reject $200, review $50."""


from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import scoring.models
from core.db import grant_roles


def default_costs(apps, schema_editor):
    CostSettings = apps.get_model("scoring", "CostSettings")
    if not CostSettings.objects.exists():
        CostSettings.objects.create()


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ('intake', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CostSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('false_reject_cost', models.DecimalField(decimal_places=2, default=Decimal('200.00'), help_text='Cost of rejecting a legitimate return (an insulted customer).', max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0'))])),
                ('review_cost', models.DecimalField(decimal_places=2, default=Decimal('50.00'), help_text='Cost of one human review.', max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0'))])),
                ('ood_fraud_probability', models.FloatField(default=0.7, help_text="Pessimistic fraud probability assumed for an out-of-distribution return when it is higher than the model's own.", validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)])),
                ('hold_velocity', models.PositiveSmallIntegerField(blank=True, default=4, help_text="A confirmed fraud from a customer returning at least this often in 30 days puts the customer on hold; approving such a customer's return is priced with the budget it leaves open. Empty: no such pricing.", null=True, validators=[django.core.validators.MinValueValidator(1)])),
                ('review_capacity_per_day', models.PositiveIntegerField(default=500, help_text='Review cases the team can open in a day. Near it a review is priced above its cost, so only the most valuable open; a full day opens none.')),
                ('review_capacity_weekdays', models.CharField(blank=True, default='', help_text='Capacity by weekday, Monday to Sunday, e.g. 500,500,500,500,500,200,0. Empty: the capacity per day, every day.', max_length=100, validators=[scoring.models.validate_weekday_capacities])),
                ('review_sla_hours', models.PositiveIntegerField(default=4)),
                ('audit_reviews_per_day', models.PositiveIntegerField(default=4, help_text='Reviews a day may spend on a random sample of would-be approvals, so that labels include returns the model trusts; they count against the review capacity.')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name_plural': 'cost settings',
                'constraints': [models.CheckConstraint(condition=models.Q(('false_reject_cost__gte', 0)), name='frc_not_negative'), models.CheckConstraint(condition=models.Q(('review_cost__gte', 0)), name='review_not_negative'), models.CheckConstraint(condition=models.Q(('ood_fraud_probability__gte', 0), ('ood_fraud_probability__lte', 1)), name='ood_probability_0_1')],
            },
        ),
        migrations.CreateModel(
            name='ModelVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.CharField(max_length=64, unique=True)),
                ('artifact_dir', models.CharField(max_length=255)),
                ('artifact_hashes', models.JSONField(help_text='SHA-256 of each artifact file')),
                ('feature_schema', models.JSONField()),
                ('training_data', models.CharField(max_length=255)),
                ('training_data_hash', models.CharField(max_length=64)),
                ('code_version', models.CharField(max_length=64)),
                ('metrics', models.JSONField()),
                ('is_active', models.BooleanField(default=False)),
                ('activated_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.CharField(blank=True, max_length=150)),
            ],
            options={
                'ordering': ['-created_at'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_active', True)), fields=('is_active',), name='one_active_model')],
            },
        ),
        migrations.CreateModel(
            name='PolicyVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('snapshot', models.JSONField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('note', models.CharField(blank=True, max_length=255)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='Decision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('approve', 'Approve'), ('reject', 'Reject'), ('review', 'Review')], max_length=16)),
                ('fraud_probability', models.FloatField(help_text="The model's calibrated probability.")),
                ('probability_used', models.FloatField(help_text='The probability the policy priced with.')),
                ('ood_score', models.FloatField()),
                ('ood_threshold', models.FloatField()),
                ('ood', models.BooleanField()),
                ('ood_novelty_share', models.FloatField(db_default=1.0, help_text="Share of the gate's recent flags beyond its false-alarm rate.")),
                ('cost_approve', models.DecimalField(decimal_places=2, max_digits=14)),
                ('cost_reject', models.DecimalField(decimal_places=2, max_digits=14)),
                ('cost_review', models.DecimalField(decimal_places=2, max_digits=14)),
                ('reasons', models.JSONField(default=list)),
                ('contributions', models.JSONField(default=list)),
                ('booked_loss', models.DecimalField(decimal_places=2, help_text="Customer's booked loss in the window, before.", max_digits=14)),
                ('budget', models.DecimalField(decimal_places=2, max_digits=14)),
                ('portfolio_booked', models.DecimalField(db_default=Decimal('0.00'), decimal_places=2, help_text="Loss booked that day on the return's payment method, before.", max_digits=14)),
                ('prices', models.JSONField(blank=True, default=dict)),
                ('decided_at', models.DateTimeField()),
                ('return_request', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='decision', to='intake.returnrequest')),
                ('model_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='scoring.modelversion')),
                ('policy_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='scoring.policyversion')),
            ],
            options={
                'ordering': ['-decided_at'],
                'indexes': [models.Index(fields=['decided_at'], name='decision_time_idx')],
            },
        ),
        migrations.RunPython(default_costs, migrations.RunPython.noop),
        grant_roles(
            "scoring",
            {
                "admin": [
                    "change_costsettings",
                    "view_costsettings",
                    "view_modelversion",
                    "view_policyversion",
                    "view_decision",
                ]
            },
        ),
    ]
