"""Reading returns as intake holds them."""

from datetime import timedelta

from intake.choices import ReturnStatus
from intake.models import AttributeDefinition, ReturnRequest
from ml.history import WINDOW_DAYS, desk_history
from ml.schema import DESK_FEATURES


def attribute_types_declared() -> dict[str, str]:
    """The active declared attributes: their types by name."""
    return dict(AttributeDefinition.objects.filter(active=True).values_list("name", "type"))


def returns_failed(*, limit: int = 20) -> tuple[list[ReturnRequest], int]:
    """Returns set aside because they could not be decided, newest first, and how many."""
    failed = ReturnRequest.objects.filter(status=ReturnStatus.FAILED)
    return list(failed.select_related("client").order_by("-received_at")[:limit]), failed.count()


def returns_desk_view(*, returns: list[ReturnRequest]) -> list[dict[str, float]]:
    """The desk's own features of each return (ml.history), in the order given.

    One query fetches the customers' stored returns of the 30 days up to the latest of
    `returns`; ml.history computes each return's numbers from those before it. The time is the
    desk's receipt (`received_at`), not the client's `submitted_at`, which a client can
    backdate (history imported by the replay or import_returns is received at its own times).
    """
    if not returns:
        return []
    times = [r.received_at for r in returns]
    stored = ReturnRequest.objects.filter(
        customer_id__in={r.customer_id for r in returns},
        received_at__gt=min(times) - timedelta(days=WINDOW_DAYS),
        received_at__lte=max(times),
    ).values_list(
        "pk",
        "customer_id",
        "received_at",
        "order_value",
        "product_category",
        "returns_velocity_30d",
    )
    # The returns themselves are among them: each is stored before it is scored.
    ordered = sorted(stored, key=lambda row: (row[2], row[0]))
    origin = ordered[0][2]
    features = desk_history(
        customer=[row[1] for row in ordered],
        at=[(row[2] - origin).total_seconds() for row in ordered],
        order_value=[float(row[3]) for row in ordered],
        product_category=[row[4] for row in ordered],
        returns_velocity_30d=[row[5] for row in ordered],
    )
    position = {row[0]: i for i, row in enumerate(ordered)}
    return [
        {name: float(features[name][position[r.pk]]) for name in DESK_FEATURES} for r in returns
    ]
