"""Folding the queue tally: the rows its triggers appended become one row per key."""

from django.db import connection, transaction

# Deletes the rows it can see and writes back their sums: a row another transaction appends
# meanwhile is not seen, so it stays and is folded next time; the sums never change.
FOLD_SQL = """
WITH folded AS (
    DELETE FROM casework_queuetally
    RETURNING reason, product_category, payment_method, open_cases
)
INSERT INTO casework_queuetally (reason, product_category, payment_method, open_cases)
SELECT reason, product_category, payment_method, sum(open_cases)
FROM folded
GROUP BY reason, product_category, payment_method
HAVING sum(open_cases) <> 0
"""


@transaction.atomic
def queue_tallies_fold() -> int:
    """Folds the tally's rows together; returns how many rows it holds now."""
    with connection.cursor() as cursor:
        cursor.execute(FOLD_SQL)
        return cursor.rowcount
