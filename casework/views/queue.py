"""The queue of unresolved cases, and taking the next one."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from casework.constants import TALLY_ALL
from casework.forms import QueueFilterForm
from casework.selectors import QUEUE_REASONS, case_queue_for
from casework.services.review import case_claim_next
from casework.views.present import age_text, sla_tone
from core.access import reviewer_required
from scoring.services.policies import cost_settings_current


@reviewer_required
@require_GET
def queue_page(request):
    form = QueueFilterForm(request.GET)
    page = case_queue_for(
        reviewer=request.user, filters=form.filters(), cursor=request.GET.get("cursor")
    )
    sla_hours = cost_settings_current().review_sla_hours
    now = timezone.now()
    for case in page.cases:
        age = now - case.created_at
        case.age_text = age_text(age)
        case.sla_tone = sla_tone(age=age, sla_hours=sla_hours)
        case.held = case.claim_is_live(now)
    query = request.GET.copy()
    query.pop("cursor", None)
    reasons = [
        {
            "key": key,
            "label": label,
            "count": page.reason_counts[key],
            "at_least": key in page.counts_at_least,
        }
        for key, (label, _) in QUEUE_REASONS.items()
    ]
    return render(
        request,
        "casework/queue.html",
        {
            "form": form,
            "page": page,
            "reasons": reasons,
            "total_at_least": TALLY_ALL in page.counts_at_least,
            "sla_hours": sla_hours,
            "filter_query": query.urlencode(),
            "reason_query": _without(query, "reason"),
            "is_first_page": not request.GET.get("cursor"),
        },
    )


def _without(query, name):
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


@reviewer_required
@require_POST
def case_next(request):
    skipping = request.POST.get("skipping", "")
    case = case_claim_next(
        actor=request.user,
        skipping=int(skipping) if skipping.isascii() and skipping.isdecimal() else None,
    )
    if case is None:
        messages.info(request, "The queue is empty: no case is waiting for a review.")
        return redirect("casework:queue")
    return redirect(case)
