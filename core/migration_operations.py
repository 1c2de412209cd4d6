"""Migration operations the desk's apps share."""

from django.db import migrations


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
