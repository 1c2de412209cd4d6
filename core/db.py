"""What the apps share of the database: migrations' operations (append-only tables, granting
roles the model permissions their admin pages need, each app its own models'; dropping a key's
own index without locking out writers), one-pass inserts and updates of many rows, and values
jsonb can store."""

import json
import math
from datetime import date, datetime
from decimal import Decimal

import numpy as np
from django.db import connection, migrations, models
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone

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


def key_index_drop_concurrently(*, model_name: str, name: str, field, table: str, index: str):
    """Drops the index of foreign key `name` (now `field`, with db_index=False) without locking
    out writers; the key keeps its constraint. For a key that a composite index leads with, whose
    own index only costs each insert and update. The migration must be non-atomic."""
    column = f"{name}_id"
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f"DROP INDEX CONCURRENTLY IF EXISTS {index}",
                reverse_sql=(
                    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} ({column})"
                ),
            )
        ],
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)],
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


def _json_value(value):
    """What json.dumps cannot write itself, as PostgreSQL's input for the column reads it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot go into a row insert")


def _insertable(field):
    """How a field's Python value goes into the insert's JSON: the few conversions the desk's
    rows need, where Django would run each value through the field."""
    if isinstance(field, models.JSONField) and field.encoder:
        return lambda value: json.loads(json.dumps(value, cls=field.encoder))
    if isinstance(field, models.BooleanField):
        return lambda value: None if value is None else bool(value)
    if isinstance(field, models.FloatField):
        # JSON has no NaN or infinity; float8's input reads them from a string.
        return lambda value: None if value is None else _float_json(float(value))
    return None


def _float_json(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def inserted_row_has_no_dependents(instance: models.Model) -> None:
    """A row just inserted has nothing pointing at it yet: its reverse one-to-one accessors
    (a return's decision, its case) answer None without asking the database."""
    for relation in instance._meta.related_objects:
        if relation.one_to_one:
            relation.set_cached_value(instance, None)


def rows_insert(objs: list) -> None:
    """Inserts instances of one model in one statement, INSERT … SELECT FROM
    json_populate_recordset(one JSON document of the rows), and sets their primary keys, as
    bulk_create does.

    Django's bulk_create prepares every value of every row through its field and the query
    compiler, and arrays of values are quoted one element at a time: most of the time a batch
    of returns or decisions spent writing its rows. One JSON document is written by json.dumps
    at C speed, and PostgreSQL reads each value with its column's own input function. This reads
    the values as they are: numbers, strings, dates, JSON, and related rows already saved (or
    saved earlier in the same batch). A field left to its database default is left out.
    """
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [
        field
        for field in meta.concrete_fields
        if field is not meta.pk and not isinstance(getattr(objs[0], field.attname), DatabaseDefault)
    ]
    columns = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append([field.pre_save(obj, add=True) for obj in objs])
        elif field.is_relation:
            columns.append([_related_pk(obj, field) for obj in objs])
        else:
            columns.append([getattr(obj, field.attname) for obj in objs])
    # Rows come back in the order of the document, as bulk_create relies on for arrays.
    for obj, pk in zip(objs, _insert(meta, fields, columns), strict=True):
        setattr(obj, meta.pk.attname, pk)
        obj._state.adding = False
        obj._state.db = connection.alias


def rows_insert_values(model, rows: list[dict]) -> list:
    """Inserts rows given as values by field attname (`customer_id`, not `customer`) in one
    statement, as rows_insert does, and returns their primary keys in order: for a batch whose
    instances would be thrown away, without building them. A field a row leaves out takes its
    default, as an instance would; one every row leaves to its database default is left out."""
    if not rows:
        return []
    meta = model._meta
    unknown = set().union(*rows) - {field.attname for field in meta.concrete_fields}
    if unknown:  # as an instance would refuse them, rather than leave them out unsaid
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    fields, columns = [], []
    for field in meta.concrete_fields:
        name = field.attname
        if field is meta.pk or (field.has_db_default() and all(name not in r for r in rows)):
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            now = timezone.now()
            columns.append([row.get(name, now) for row in rows])
        else:
            columns.append([row[name] if name in row else field.get_default() for row in rows])
        fields.append(field)
    return _insert(meta, fields, columns)


def _insert(meta, fields: list, columns: list[list]) -> list:
    """INSERT … RETURNING the primary keys, of rows given as parallel columns of values."""
    converted = []
    for field, values in zip(fields, columns, strict=True):
        convert = _insertable(field)
        converted.append([convert(value) for value in values] if convert else values)
    names = [field.column for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {meta.db_table} ({', '.join(names)}) SELECT {', '.join(names)} "
            f"FROM json_populate_recordset(NULL::{meta.db_table}, %s::json) "
            f"RETURNING {meta.pk.column}",
            [_rows_document(names, converted)],
        )
        return [pk for (pk,) in cursor.fetchall()]


def rows_update(model, *, pks: list, **columns: list) -> int:
    """Sets each row's `columns` to its own values in one pass: UPDATE … FROM the rows as one
    JSON document (see rows_insert).

    `pks` and every column list run in parallel. Django's bulk_update builds a CASE with a
    branch per row for each field instead, which grows with the square of the batch.
    """
    if not pks:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    values = [list(pks)]
    for field, column in zip(fields, columns.values(), strict=True):
        convert = _insertable(field)
        values.append([convert(value) for value in column] if convert else list(column))
    names = [meta.pk.column, *(field.column for field in fields)]
    assignments = ", ".join(f"{field.column} = v.{field.column}" for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} SET {assignments} "
            f"FROM json_populate_recordset(NULL::{meta.db_table}, %s::json) AS v "
            f"WHERE {meta.db_table}.{meta.pk.column} = v.{meta.pk.column}",
            [_rows_document(names, values)],
        )
        return cursor.rowcount


def _rows_document(names: list[str], columns: list[list]) -> str:
    """Rows given as parallel columns, as one JSON array of objects keyed by column name."""
    return json.dumps(
        [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)],
        default=_json_value,
    )


def _related_pk(obj, field):
    value = getattr(obj, field.attname)
    related = field.get_cached_value(obj) if field.is_cached(obj) else None
    if value is None and related is not None:
        # Assigned before the related row was saved: take its key now, as save() would.
        value = related.pk
        setattr(obj, field.attname, value)
    return value
