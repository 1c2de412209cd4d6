"""Working review cases: claiming, releasing, reassigning and deciding them.

Claims are taken with SELECT … FOR UPDATE SKIP LOCKED, so two reviewers can never hold the same
case; a claim lapses after CLAIM_DURATION. A verdict settles everything in one transaction.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from budgets.choices import HoldMode
from budgets.services.holds import hold_place
from budgets.services.ledger import ledger_settle_returns
from casework.choices import CaseStatus, FeedKind, LabelSource, VerdictChoice
from casework.constants import CLAIM_DURATION
from casework.models import FeedEvent, Label, ReviewCase, Verdict
from casework.selectors import labels_newest_for
from casework.services.webhook_events import case_resolved_draft, outcome_changed_draft
from core.db import rows_insert, rows_update
from core.models import ApiClient
from core.services.audit import audit_record
from intake.choices import Outcome, ReturnStatus
from intake.models import ReturnRequest
from webhooks.services.events import events_record


class CaseConflict(Exception):
    """The case is not in a state that allows this (held by someone else, already resolved)."""


def _holder_fields(actor) -> dict:
    if isinstance(actor, ApiClient):
        return {"assignee": None, "assignee_client": actor}
    return {"assignee": actor, "assignee_client": None}


def _claim(case: ReviewCase, actor) -> ReviewCase:
    now = timezone.now()
    case.status = CaseStatus.CLAIMED
    case.claimed_at = now
    case.claim_expires_at = now + CLAIM_DURATION
    for name, value in _holder_fields(actor).items():
        setattr(case, name, value)
    case.save(
        update_fields=["status", "claimed_at", "claim_expires_at", "assignee", "assignee_client"]
    )
    audit_record(
        actor=actor,
        action="case.claim",
        obj=case,
        after={"expires_at": case.claim_expires_at.isoformat()},
    )
    return case


@transaction.atomic
def case_claim_next(*, actor, skipping: int | None = None) -> ReviewCase | None:
    """Claims the highest-priority case nobody holds, or None when the queue is empty.

    `skipping` is a case the actor is moving on from: it is released back to the queue if the
    actor holds it, and not handed straight back to them.
    """
    candidates = ReviewCase.objects.select_for_update(skip_locked=True).claimable()
    if skipping is not None:
        candidates = candidates.exclude(pk=skipping)
    case = candidates.order_by("-priority", "created_at", "id").first()
    if skipping is not None:
        skipped = ReviewCase.objects.select_for_update().filter(pk=skipping).first()
        if skipped is not None and skipped.is_held_by(actor):
            case_release(case_id=skipped.pk, actor=actor)
    return _claim(case, actor) if case is not None else None


@transaction.atomic
def case_claim(*, case_id: int, actor) -> ReviewCase:
    """Claims one case; renews the caller's own claim; CaseConflict if another holds it."""
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    if case.status == CaseStatus.RESOLVED:
        raise CaseConflict("This case is already resolved.")
    if case.claim_is_live() and not case.is_held_by(actor):
        raise CaseConflict("Another reviewer holds this case.")
    return _claim(case, actor)


@transaction.atomic
def case_release(*, case_id: int, actor) -> ReviewCase:
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    if case.status != CaseStatus.CLAIMED:
        return case
    before = {"assignee": str(case.assignee or case.assignee_client)}
    case.status = CaseStatus.OPEN
    case.assignee = case.assignee_client = case.claimed_at = case.claim_expires_at = None
    case.save(
        update_fields=["status", "assignee", "assignee_client", "claimed_at", "claim_expires_at"]
    )
    audit_record(actor=actor, action="case.release", obj=case, before=before)
    return case


@transaction.atomic
def case_reassign(*, case_id: int, to_user, actor) -> ReviewCase:
    """A lead hands a case to another reviewer, taking it from whoever held it."""
    case = ReviewCase.objects.select_for_update().get(pk=case_id)
    if case.status == CaseStatus.RESOLVED:
        raise CaseConflict("This case is already resolved.")
    before = {"assignee": str(case.assignee or case.assignee_client or "")}
    case = _claim(case, to_user)
    audit_record(
        actor=actor,
        action="case.reassign",
        obj=case,
        before=before,
        after={"assignee": to_user.get_username()},
    )
    return case


@transaction.atomic
def case_resolve(
    *, case_id: int, actor, verdict: str, hold_customer: bool = False, note: str = ""
) -> Verdict:
    """Applies a verdict to the case's return and every return that joined the case: outcome,
    ledger, a training label and a feed event each; a hold; the audit trail.

    The caller must hold the claim; a resolved case cannot be decided twice.
    """
    case = (
        ReviewCase.objects.select_for_update()
        .select_related("return_request__customer")
        .get(pk=case_id)
    )
    if case.status == CaseStatus.RESOLVED:
        raise CaseConflict("This case is already resolved.")
    if not case.is_held_by(actor):
        raise CaseConflict("Claim the case before giving a verdict.")
    is_fraud = verdict == VerdictChoice.FRAUD
    user = actor if isinstance(actor, get_user_model()) else None
    client = actor if isinstance(actor, ApiClient) else None
    now = timezone.now()

    case.status = CaseStatus.RESOLVED
    case.resolved_at = now
    case.save(update_fields=["status", "resolved_at"])
    verdict_row = Verdict.objects.create(
        case=case,
        verdict=verdict,
        hold_customer=hold_customer,
        note=note,
        reviewer=user,
        reviewer_client=client,
    )
    # The case's own return and every return that joined it while it waited.
    joined = case.joined_returns.filter(status=ReturnStatus.IN_REVIEW).order_by("id")
    settled = [case.return_request, *joined]
    newest_labels = labels_newest_for(return_ids=[r.pk for r in settled])
    labels = []
    for return_request in settled:
        return_request.status = ReturnStatus.RESOLVED
        return_request.outcome = Outcome.REJECTED if is_fraud else Outcome.APPROVED
        # The verdict is the newest truth: the reviewer saw every earlier label on the case
        # page, including one an outside source dated a little ahead of our clock.
        newest = newest_labels.get(return_request.pk)
        observed_at = max(now, newest.observed_at + timedelta(microseconds=1)) if newest else now
        labels.append(
            Label(
                return_request=return_request,
                is_fraud=is_fraud,
                source=LabelSource.REVIEW,
                reviewer=user,
                client=client,
                observed_at=observed_at,
            )
        )
    rows_update(
        ReturnRequest,
        pks=[r.pk for r in settled],
        status=[r.status for r in settled],
        outcome=[r.outcome for r in settled],
    )
    rows_insert(labels)
    ledger_settle_returns(truths=[(r, is_fraud) for r in settled])
    rows_insert([FeedEvent(return_request=r, kind=FeedKind.OUTCOME) for r in settled])
    events_record(
        drafts=[
            case_resolved_draft(case, verdict=verdict, returns=settled),
            *(
                outcome_changed_draft(r, is_fraud=is_fraud, source=LabelSource.REVIEW, case=case)
                for r in settled
            ),
        ]
    )
    return_request = case.return_request
    if hold_customer:
        hold_place(
            customer=return_request.customer,
            actor=actor,
            mode=HoldMode.REJECT,
            reason=f"{verdict} verdict on {return_request.order_id}",
            return_request=return_request,
        )
    audit_record(
        actor=actor,
        action="case.verdict",
        obj=case,
        after={
            "verdict": verdict,
            "hold_customer": hold_customer,
            "note": note,
            "returns": [r.order_id for r in settled],
        },
    )
    return verdict_row


def cases_expire_stale_claims() -> int:
    """Reopens cases whose claim lapsed, so the queue shows them as unassigned again."""
    return ReviewCase.objects.claim_lapsed().update(
        status=CaseStatus.OPEN,
        assignee=None,
        assignee_client=None,
        claimed_at=None,
        claim_expires_at=None,
    )
