"""Reading what the workers price with: the default training data, the OOD gate's recent flag
rate and the day's approvals."""

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q

from ml.generate import own_returns_csv
from scoring.models import Decision


def ood_flags_since(*, since: datetime) -> tuple[int, int]:
    """(returns the OOD gate flagged, returns decided) since `since`."""
    counts = Decision.objects.filter(decided_at__gte=since).aggregate(
        flagged=Count("id", filter=Q(ood=True)), total=Count("id")
    )
    return counts["flagged"], counts["total"]


def approvals_since(*, since: datetime) -> int:
    return Decision.objects.filter(decided_at__gte=since, action="approve").count()


def training_data_default() -> Path:
    """The file the first model trains on and retraining starts from: DEFAULT_TRAINING_DATA,
    which unless set is the project's own data, generated the first time it is needed."""
    path = Path(settings.DEFAULT_TRAINING_DATA)
    if path == Path(settings.OWN_TRAINING_DATA):
        return own_returns_csv(path=path, scenario="normal")
    if not path.is_file():
        raise ImproperlyConfigured(
            f"DEFAULT_TRAINING_DATA is {path}, which is not a file; point it at a returns CSV, "
            "or unset it to train on the project's own generated data"
        )
    return path
