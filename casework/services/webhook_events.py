"""What casework tells webhook endpoints: the events of decisions, cases and outcomes.

The `data` of each has the shape of the API's return representation, so a receiver parses a
webhook and a `GET /api/v1/returns/{id}` alike.
"""

from casework.models import ReviewCase
from intake.models import ReturnRequest
from scoring.models import Decision
from webhooks.choices import EventType
from webhooks.services.events import EventDraft


def decision_data(decision: Decision) -> dict:
    reasons = decision.reasons or []
    return {
        "action": decision.action,
        "reason_code": reasons[0]["code"] if reasons else None,
        "reasons": reasons,
        "fraud_probability": decision.fraud_probability,
        "probability_used": decision.probability_used,
        "ood": decision.ood,
        "expected_cost": {
            "approve": str(decision.cost_approve),
            "reject": str(decision.cost_reject),
            "review": str(decision.cost_review),
        },
        "budget": {
            "booked_loss": str(decision.booked_loss),
            "budget": str(decision.budget),
            "remaining": str(decision.remaining_budget),
        },
        "model_version": decision.model_version.version,
        "policy_version": decision.policy_version_id,
        "decided_at": decision.decided_at.isoformat(),
    }


def return_data(return_request: ReturnRequest, *, case: ReviewCase | None = None) -> dict:
    return {
        "order_id": return_request.order_id,
        "customer_id": return_request.customer.external_id,
        "status": return_request.status,
        "outcome": return_request.outcome,
        "case": (
            {
                "id": case.pk,
                "status": case.status,
                "joined": case.return_request_id != return_request.pk,
            }
            if case is not None
            else None
        ),
    }


def decision_created_draft(decision: Decision, *, case: ReviewCase | None) -> EventDraft:
    return_request = decision.return_request
    return EventDraft(
        event_type=EventType.DECISION_CREATED,
        client_id=return_request.client_id,
        return_request_id=return_request.pk,
        data={
            "return": return_data(return_request, case=case),
            "decision": decision_data(decision),
        },
    )


def case_data(case: ReviewCase, *, returns: list[ReturnRequest]) -> dict:
    return {
        "id": case.pk,
        "status": case.status,
        "priority": str(case.priority),
        "reason_codes": list(case.reason_codes),
        "returns": [r.order_id for r in returns],
    }


def case_opened_draft(case: ReviewCase) -> EventDraft:
    return_request = case.return_request
    return EventDraft(
        event_type=EventType.CASE_OPENED,
        client_id=return_request.client_id,
        return_request_id=return_request.pk,
        data={"case": case_data(case, returns=[return_request])},
    )


def case_resolved_draft(case: ReviewCase, *, verdict: str, returns: list) -> EventDraft:
    return_request = case.return_request
    return EventDraft(
        event_type=EventType.CASE_RESOLVED,
        client_id=return_request.client_id,
        return_request_id=return_request.pk,
        data={"case": {**case_data(case, returns=returns), "verdict": verdict}},
    )


def outcome_changed_draft(
    return_request: ReturnRequest, *, is_fraud: bool, source: str, case: ReviewCase | None = None
) -> EventDraft:
    return EventDraft(
        event_type=EventType.RETURN_OUTCOME_CHANGED,
        client_id=return_request.client_id,
        return_request_id=return_request.pk,
        data={
            "return": return_data(return_request, case=case),
            "label": {"is_fraud": is_fraud, "source": source},
        },
    )
