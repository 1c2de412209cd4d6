"""The client's own key fields go, now that its keys are ApiKey rows; admins manage keys."""

from django.db import migrations

from core.db import grant_roles


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0003_api_keys_from_clients"),
    ]

    operations = [
        migrations.RemoveField(model_name="apiclient", name="role"),
        migrations.RemoveField(model_name="apiclient", name="key_prefix"),
        migrations.RemoveField(model_name="apiclient", name="key_hash"),
        migrations.RemoveField(model_name="apiclient", name="last_used_at"),
        grant_roles("core", {"admin": ["view_apikey", "add_apikey", "change_apikey"]}),
    ]
