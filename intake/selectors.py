"""Reading returns as intake holds them."""

from datetime import timedelta

from django.db.models import Q

from intake.choices import ReturnStatus
from intake.models import AttributeDefinition, ReturnRequest
from ml.history import WINDOW_DAYS, desk_history, identifier_sharing
from ml.schema import DESK_FEATURES, shared_column


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
        customer_id__any=list({r.customer_id for r in returns}),
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


def returns_identifier_sharing(*, returns: list[ReturnRequest], names) -> list[dict[str, float]]:
    """For each return, in the order given, and each identifier attribute in `names`: how many
    other customers of its retailer the desk saw with the same value in the 30 days before it
    (ml.history.identifier_sharing, as training computes it), as `desk_shared_<name>`.

    One query per attribute fetches the stored returns carrying the batch's values (`attributes
    @> {name: value}`, which the GIN index serves) within the window, by the time the desk
    received them; the returns themselves are among them, stored before they are scored.
    """
    out = [{shared_column(name): 0.0 for name in names} for _ in returns]
    if not returns:
        return out
    times = [r.received_at for r in returns]
    for name in names:
        values = {r.attributes.get(name) for r in returns} - {None}
        if not values:
            continue
        carrying = Q()
        for value in sorted(values):
            carrying |= Q(attributes__contains={name: value})
        stored = sorted(
            ReturnRequest.objects.filter(
                carrying,
                client_id__in={r.client_id for r in returns},
                received_at__gt=min(times) - timedelta(days=WINDOW_DAYS),
                received_at__lte=max(times),
            ).values_list("pk", "client_id", "customer_id", "received_at", "attributes"),
            key=lambda row: (row[3], row[0]),
        )
        origin = stored[0][3]
        shared = identifier_sharing(
            customer=[row[2] for row in stored],
            at=[(row[3] - origin).total_seconds() for row in stored],
            # A retailer's identifiers are its own: another retailer's equal value is not shared.
            identifier=[(row[1], row[4].get(name)) for row in stored],
        )
        position = {row[0]: i for i, row in enumerate(stored)}
        for features, r in zip(out, returns, strict=True):
            if r.pk in position and r.attributes.get(name) is not None:
                features[shared_column(name)] = float(shared[position[r.pk]])
    return out
