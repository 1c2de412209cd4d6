"""Template context for the desk's pages: whether drift has raised the alarm."""

from insights.choices import DriftStatus
from insights.selectors import drift_snapshot_latest

# The banner belongs where reviewers decide; other pages are spared the query.
BANNER_VIEWS = frozenset({"casework:queue"})


def drift_alarm(request) -> dict:
    """{"drift_alarm": the latest snapshot when it is an alarm, else None} on the queue page."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name not in BANNER_VIEWS:
        return {"drift_alarm": None}
    latest = drift_snapshot_latest()
    return {"drift_alarm": latest if latest and latest.status == DriftStatus.ALARM else None}
