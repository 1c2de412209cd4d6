"""A customer's history and ledger; a lead places or releases a hold directly."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from budgets.services.holds import hold_place, hold_release
from casework.forms import HoldForm
from casework.selectors import (
    customer_active_hold,
    customer_get_for_reviewer,
    customer_history_for,
)
from casework.views.present import ledger_chart
from core.access import lead_required, reviewer_required
from core.roles import user_is_lead


@reviewer_required
@require_GET
def customer_page(request, customer_pk: int):
    customer = customer_get_for_reviewer(reviewer=request.user, customer_pk=customer_pk)
    history = customer_history_for(customer=customer)
    is_lead = user_is_lead(request.user)
    return render(
        request,
        "casework/customer.html",
        {
            "customer": customer,
            "history": history,
            "chart": ledger_chart(rows=history.ledger, budget=history.budget, now=timezone.now()),
            "is_lead": is_lead,
            "hold_form": HoldForm() if is_lead else None,
        },
    )


@lead_required
@require_POST
def customer_hold_place(request, customer_pk: int):
    customer = customer_get_for_reviewer(reviewer=request.user, customer_pk=customer_pk)
    form = HoldForm(request.POST)
    if form.is_valid():
        hold_place(customer=customer, actor=request.user, **form.cleaned_data)
        messages.success(request, f"{customer} is on hold.")
    else:
        messages.error(request, "A hold needs a reason.")
    return redirect(customer)


@lead_required
@require_POST
def customer_hold_release(request, customer_pk: int):
    customer = customer_get_for_reviewer(reviewer=request.user, customer_pk=customer_pk)
    hold = customer_active_hold(customer=customer)
    if hold is None:
        messages.info(request, f"{customer} is not on hold.")
    else:
        hold_release(hold=hold, actor=request.user)
        messages.success(request, f"The hold on {customer} is released.")
    return redirect(customer)
