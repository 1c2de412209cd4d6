"""What the apps share of the database: migrations' operations (append-only tables, granting
roles the model permissions their admin pages need; each app grants its own models'), one-pass
updates of many rows, and values jsonb can store."""

from django.db import connection, migrations

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION forbid_update_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def append_only_function() -> migrations.RunSQL:
    return migrations.RunSQL(
        APPEND_ONLY_FUNCTION, "DROP FUNCTION IF EXISTS forbid_update_delete();"
    )


def append_only(table: str) -> migrations.RunSQL:
    """The database refuses every UPDATE and DELETE on `table`: history is only added to."""
    return migrations.RunSQL(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION forbid_update_delete();",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
    )


def grant_roles(app_label: str, grants: dict[str, list[str]]) -> migrations.RunPython:
    """Creates the role groups if need be and gives each the listed permissions (codenames of
    `app_label`'s models)."""

    def grant(apps, schema_editor):
        from django.contrib.auth.management import create_permissions

        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        for role, codenames in grants.items():
            group, _ = Group.objects.get_or_create(name=role)
            for codename in codenames:
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )

    return migrations.RunPython(grant, migrations.RunPython.noop)


def jsonb_storable(value):
    """`value` with every NUL in its strings and keys replaced by U+FFFD: PostgreSQL's jsonb
    cannot hold NUL, and an error answer may quote what a client sent."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {jsonb_storable(key): jsonb_storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonb_storable(item) for item in value]
    return value


def rows_update(model, *, pks: list, **columns: list) -> int:
    """Sets each row's `columns` to its own values in one pass: UPDATE … FROM unnest(arrays).

    `pks` and every column list run in parallel. Django's bulk_update builds a CASE with a
    branch per row for each field instead, which grows with the square of the batch.
    """
    if not pks:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in [meta.pk, *fields])
    names = ", ".join(["pk", *(field.column for field in fields)])
    assignments = ", ".join(f"{field.column} = v.{field.column}" for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} SET {assignments} FROM unnest({arrays}) AS v({names}) "
            f"WHERE {meta.db_table}.{meta.pk.column} = v.pk",
            [list(pks), *(list(values) for values in columns.values())],
        )
        return cursor.rowcount
