"""The delivery log for leads and admins, mounted at /webhooks/: every attempt of every
delivery, filtered by endpoint, event and status, with resend for one event or a time range."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.access import lead_required
from webhooks.forms import DeliveryFilterForm
from webhooks.models import DeliveryAttempt
from webhooks.selectors import deliveries_filtered, endpoints_of
from webhooks.services.delivery import deliveries_resend

PAGE_SIZE = 100


@lead_required
@require_GET
def delivery_log_page(request):
    form = DeliveryFilterForm(request.GET or None)
    deliveries = deliveries_filtered(**form.filters()).prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("-id"))
    )[:PAGE_SIZE]
    return render(
        request,
        "webhooks/deliveries.html",
        {
            "form": form,
            "deliveries": deliveries,
            "endpoints": endpoints_of(client=None),
            "page_size": PAGE_SIZE,
            "retry_hours": settings.WEBHOOK_RETRY_HOURS,
        },
    )


@lead_required
@require_POST
def delivery_resend(request, delivery_id):
    deliveries = deliveries_filtered().filter(pk=delivery_id)
    if not deliveries.exists():
        raise Http404("No such delivery.")
    deliveries_resend(
        deliveries=deliveries, actor=request.user, described={"delivery": delivery_id}
    )
    messages.success(request, f"Delivery {delivery_id} will be sent again.")
    return redirect(reverse("webhooks:log") + f"?{request.GET.urlencode()}")


@lead_required
@require_POST
def deliveries_resend_range(request):
    form = DeliveryFilterForm(request.POST)
    filters = form.filters()
    if not filters or filters["since"] is None or filters["until"] is None:
        messages.error(request, "Give a valid time range (since and until) to resend.")
        return redirect("webhooks:log")
    count = deliveries_resend(
        deliveries=deliveries_filtered(**filters),
        actor=request.user,
        described={
            key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in filters.items()
        },
    )
    messages.success(request, f"{count} deliveries will be sent again.")
    return redirect("webhooks:log")
