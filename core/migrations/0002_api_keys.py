"""API keys become rows of their own, several per client; the client's key fields wait, nullable,
until its key has moved (0003) and are then dropped (0004)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                ("role", models.CharField(choices=[("submitter", "Submitter"), ("reviewer", "Reviewer"), ("labeler", "Labeler")], max_length=16)),
                ("prefix", models.CharField(db_index=True, max_length=12)),
                ("hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("client", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="keys", to="core.apiclient")),
            ],
            options={
                "ordering": ["client__name", "created_at", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("client", "name"), name="api_key_name_per_client"),
                    models.CheckConstraint(condition=models.Q(("expires_at__isnull", True), ("expires_at__gt", models.F("created_at")), _connector="OR"), name="api_key_expires_after_creation"),
                ],
            },
        ),
        migrations.AlterField(
            model_name="apiclient",
            name="role",
            field=models.CharField(choices=[("submitter", "Submitter"), ("reviewer", "Reviewer")], max_length=16, null=True),
        ),
        migrations.AlterField(
            model_name="apiclient",
            name="key_prefix",
            field=models.CharField(db_index=True, max_length=12, null=True),
        ),
        migrations.AlterField(
            model_name="apiclient",
            name="key_hash",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
    ]
