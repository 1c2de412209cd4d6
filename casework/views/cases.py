"""One case: everything needed to decide it, the verdict, claims, and a lead's reassigning."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from casework.choices import CaseStatus
from casework.forms import ReassignForm, VerdictForm
from casework.selectors import (
    case_audit_trail,
    case_get_for_reviewer,
    customer_history_for,
    customer_open_cases,
    return_labels_newest_first,
    return_outcome_events,
    reviewers_for_assignment,
)
from casework.services.review import (
    CaseConflict,
    case_claim,
    case_claim_next,
    case_reassign,
    case_release,
    case_resolve,
)
from casework.services.review_batch import CasesConflict, cases_resolve_together
from casework.views.present import (
    action_costs,
    ledger_chart,
    ood_gauge,
    reason_chip,
    return_timeline,
    top_contributions,
)
from core.access import lead_required, reviewer_required
from core.roles import user_is_lead
from scoring.policy import hold_recommended


def _claim_state(case, user) -> str:
    if case.status == CaseStatus.RESOLVED:
        return "resolved"
    if case.is_held_by(user):
        return "mine"
    if case.claim_is_live():
        return "other"
    return "open"


def _render_case(request, case, *, verdict_form=None, conflict=None, status=200):
    decision = case.decision
    history = customer_history_for(
        customer=case.return_request.customer, exclude_case=case, budget=decision.budget
    )
    labels, labels_conflict = return_labels_newest_first(return_request=case.return_request)
    is_lead = user_is_lead(request.user)
    verdict_form = verdict_form or VerdictForm(other_cases=history.open_cases)
    together = verdict_form.data.getlist("together") if verdict_form.is_bound else []
    claim_state = _claim_state(case, request.user)
    audit = case_audit_trail(case=case)
    context = {
        "case": case,
        "decision": decision,
        "return": case.return_request,
        "joined_returns": list(case.joined_returns.select_related("decision").order_by("id")),
        "customer": case.return_request.customer,
        "verdict": getattr(case, "verdict", None),
        "claim_state": claim_state,
        # "Next case" from a case you hold hands this one back rather than sitting on it.
        "skipping": case.pk if claim_state == "mine" else None,
        "costs": action_costs(decision),
        "reasons": [{**reason, **reason_chip(reason["code"])} for reason in decision.reasons],
        "contributions": top_contributions(decision.contributions),
        "ood": ood_gauge(decision),
        "history": history,
        "chart": ledger_chart(rows=history.ledger, budget=history.budget, now=timezone.now()),
        "audit": audit,
        "timeline": return_timeline(
            case=case,
            labels=labels,
            outcome_events=return_outcome_events(return_request=case.return_request),
            audit=audit,
        ),
        "labels": labels,
        "labels_conflict": labels_conflict,
        "verdict_form": verdict_form,
        "hold_recommended": hold_recommended(
            reason_codes=case.reason_codes,
            # The newest label of each earlier return is its truth.
            customer_had_fraud=any(
                r.labels.all() and r.labels.all()[0].is_fraud for r in history.returns
            ),
        ),
        # isdecimal() alone lets digits like "٣" through; int() would then read them.
        "together": {int(value) for value in together if value.isascii() and value.isdecimal()},
        "conflict": conflict,
        "is_lead": is_lead,
        "reassign_form": ReassignForm(reviewers=reviewers_for_assignment()) if is_lead else None,
    }
    return render(request, "casework/case.html", context, status=status)


@reviewer_required
@require_GET
def case_page(request, case_id: int):
    case = case_get_for_reviewer(reviewer=request.user, case_id=case_id)
    return _render_case(request, case)


@reviewer_required
@require_POST
def case_verdict(request, case_id: int):
    """Applies the verdict, then opens the next case (claimed) or returns to the queue."""
    case = case_get_for_reviewer(reviewer=request.user, case_id=case_id)
    others = customer_open_cases(customer=case.return_request.customer, exclude_case=case)
    form = VerdictForm(request.POST, other_cases=others)
    if not form.is_valid():
        return _render_case(request, case, verdict_form=form, status=400)
    data = form.cleaned_data
    try:
        # A verdict on a case nobody holds (or whose claim lapsed while typing) claims it first;
        # one someone else holds is a conflict, with the note kept in the form.
        case_claim(case_id=case.pk, actor=request.user)
        if data["together"]:
            verdicts = cases_resolve_together(
                case_id=case.pk,
                other_case_ids=data["together"],
                actor=request.user,
                verdict=data["verdict"],
                hold_customer=data["hold_customer"],
                note=data["note"],
            )
        else:
            verdicts = [
                case_resolve(
                    case_id=case.pk,
                    actor=request.user,
                    verdict=data["verdict"],
                    hold_customer=data["hold_customer"],
                    note=data["note"],
                )
            ]
    except CasesConflict as exc:
        conflict = "Nothing was resolved. " + str(exc)
        return _render_case(
            request, _fresh(request, case), verdict_form=form, conflict=conflict, status=409
        )
    except CaseConflict as exc:
        return _render_case(
            request, _fresh(request, case), verdict_form=form, conflict=str(exc), status=409
        )
    resolved = ", ".join(str(v.case_id) for v in verdicts)
    messages.success(
        request,
        f"{data['verdict'].capitalize()} verdict recorded on {case.return_request.order_id}"
        + (f" (cases {resolved})" if len(verdicts) > 1 else "")
        + (" and the customer is on hold." if data["hold_customer"] else "."),
    )
    next_case = case_claim_next(actor=request.user)
    if next_case is None:
        messages.info(request, "The queue is empty: no case is waiting for a review.")
        return redirect("casework:queue")
    return redirect(next_case)


def _fresh(request, case):
    """The case as it is now, after another reviewer or a lapsed claim changed it."""
    return case_get_for_reviewer(reviewer=request.user, case_id=case.pk)


@reviewer_required
@require_POST
def case_claim_action(request, case_id: int):
    case = case_get_for_reviewer(reviewer=request.user, case_id=case_id)
    try:
        case_claim(case_id=case.pk, actor=request.user)
    except CaseConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You hold case {case.pk} for the next 15 minutes.")
    return redirect(case)


@reviewer_required
@require_POST
def case_release_action(request, case_id: int):
    """Gives a claim back to the queue: one's own, or, for a lead, anyone's."""
    case = case_get_for_reviewer(reviewer=request.user, case_id=case_id)
    state = _claim_state(case, request.user)
    if state == "other" and not user_is_lead(request.user):
        raise PermissionDenied("Only a lead may release another reviewer's claim.")
    if state not in ("mine", "other"):
        messages.info(request, f"Case {case.pk} was not held by anyone.")
        return redirect(case)
    case_release(case_id=case.pk, actor=request.user)
    messages.success(request, f"Case {case.pk} is back in the queue.")
    return redirect("casework:queue")


@lead_required
@require_POST
def case_reassign_action(request, case_id: int):
    case = case_get_for_reviewer(reviewer=request.user, case_id=case_id)
    form = ReassignForm(request.POST, reviewers=reviewers_for_assignment())
    if not form.is_valid():
        messages.error(request, "Pick a reviewer to reassign the case to.")
        return redirect(case)
    to_user = form.cleaned_data["to_user"]
    try:
        case_reassign(case_id=case.pk, to_user=to_user, actor=request.user)
    except CaseConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Case {case.pk} now belongs to {to_user.get_username()}.")
    return redirect(case)
