"""The hourly counters of what decisions did (scoring.models.DecisionHour), moved in the
transaction that stores the decisions, so they always equal a count of them."""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

from scoring.choices import Action
from scoring.models import Decision, DecisionHour

COUNTERS = ("decided", "approved", "ood_flagged", "cases_opened", "audit_cases_opened")


def decision_hours_add(
    *, decisions: Iterable[Decision], opened: Iterable[tuple[Decision, bool]] = ()
) -> None:
    """Counts `decisions` in their hours, and the review cases in `opened`: each decision that
    opened one, and whether the case is of the audit sample. One statement; the hours' rows are
    locked from here to the commit, so callers move them last."""
    tallies = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for decision in decisions:
        tally = tallies[DecisionHour.hour_of(decision.decided_at)]
        tally["decided"] += 1
        tally["approved"] += decision.action == Action.APPROVE
        tally["ood_flagged"] += bool(decision.ood)
    for decision, audit_sample in opened:
        tally = tallies[DecisionHour.hour_of(decision.decided_at)]
        tally["cases_opened"] += 1
        tally["audit_cases_opened"] += bool(audit_sample)
    if not tallies:
        return
    hours = sorted(tallies)  # the same order in every transaction: no deadlock between two
    table = DecisionHour._meta.db_table
    columns = ", ".join(COUNTERS)
    moved = ", ".join(f"{name} = h.{name} + EXCLUDED.{name}" for name in COUNTERS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS h (hour, {columns}) "
            "SELECT * FROM unnest(%s::timestamptz[]"
            + ", %s::integer[]" * len(COUNTERS)
            + f") ORDER BY 1 ON CONFLICT (hour) DO UPDATE SET {moved}",
            [hours, *([tallies[hour][name] for hour in hours] for name in COUNTERS)],
        )
