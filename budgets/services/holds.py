"""Placing and releasing holds on customers."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from budgets.choices import HoldMode
from budgets.models import CustomerHold
from core.services.audit import audit_record
from intake.models import Customer
from webhooks.choices import EventType
from webhooks.services.events import EventDraft, events_record


def _hold_event(hold: CustomerHold, event_type: str) -> None:
    customer = hold.customer
    events_record(
        drafts=[
            EventDraft(
                event_type=event_type,
                client_id=customer.client_id,
                data={
                    "hold": {
                        "id": hold.pk,
                        "customer_id": customer.external_id,
                        "mode": hold.mode,
                        "reason": hold.reason,
                        "placed_at": hold.created_at.isoformat(),
                        "released_at": hold.released_at.isoformat() if hold.released_at else None,
                    }
                },
            )
        ]
    )


@transaction.atomic
def hold_place(*, customer, actor, reason: str, mode: str = HoldMode.REJECT, return_request=None):
    """Holds a customer. An active hold is kept, made stricter if `mode` is reject."""
    # The customer's row serialises holds on it: two people holding at once get one hold.
    list(Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True))
    existing = CustomerHold.objects.select_for_update().filter(
        customer=customer, released_at__isnull=True
    )
    if hold := existing.first():
        if hold.mode == HoldMode.REVIEW and mode == HoldMode.REJECT:
            hold.mode = HoldMode.REJECT
            hold.save(update_fields=["mode"])
            audit_record(
                actor=actor,
                action="hold.escalate",
                obj=hold,
                before={"mode": HoldMode.REVIEW},
                after={"mode": HoldMode.REJECT, "reason": reason},
            )
        return hold
    hold = CustomerHold.objects.create(
        customer=customer,
        mode=mode,
        reason=reason,
        return_request=return_request,
        created_by=actor if isinstance(actor, get_user_model()) else None,
    )
    audit_record(
        actor=actor,
        action="hold.place",
        obj=hold,
        after={"customer": customer.external_id, "mode": mode, "reason": reason},
    )
    _hold_event(hold, EventType.CUSTOMER_HOLD_PLACED)
    return hold


@transaction.atomic
def hold_release(*, hold: CustomerHold, actor) -> CustomerHold:
    # Re-read under a lock: two people releasing at once record one release, not two.
    hold = CustomerHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is None:
        hold.released_at = timezone.now()
        hold.released_by = actor if isinstance(actor, get_user_model()) else None
        hold.save(update_fields=["released_at", "released_by"])
        audit_record(
            actor=actor,
            action="hold.release",
            obj=hold,
            before={"mode": hold.mode},
            after={"released": True},
        )
        _hold_event(hold, EventType.CUSTOMER_HOLD_RELEASED)
    return hold


def holds_active_for(*, customer_ids) -> dict[int, str]:
    """Active hold mode per customer id."""
    holds = CustomerHold.objects.filter(
        customer_id__any=list(customer_ids), released_at__isnull=True
    )
    return dict(holds.values_list("customer_id", "mode"))
