"""Database-enforced invariants the application must not be able to break:
the audit trail and the ledger are append-only."""

from django.db import migrations

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION forbid_update_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def append_only(table):
    return migrations.RunSQL(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION forbid_update_delete();",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_initial"),
        ("budgets", "0002_initial"),
    ]

    operations = [
        migrations.RunSQL(APPEND_ONLY_FUNCTION, "DROP FUNCTION IF EXISTS forbid_update_delete();"),
        append_only("casework_auditevent"),
        append_only("budgets_ledgerentry"),
    ]
