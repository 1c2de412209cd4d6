"""Reading returns as intake holds them."""

from intake.choices import ReturnStatus
from intake.models import ReturnRequest


def returns_failed(*, limit: int = 20) -> tuple[list[ReturnRequest], int]:
    """Returns set aside because they could not be decided, newest first, and how many."""
    failed = ReturnRequest.objects.filter(status=ReturnStatus.FAILED)
    return list(failed.select_related("client").order_by("-received_at")[:limit]), failed.count()
