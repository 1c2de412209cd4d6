"""The decision pipeline: claim pending returns, score them in one call, decide, book, record.

The database is the queue. A return is stored `pending` by intake; a worker claims a batch with
SELECT … FOR UPDATE SKIP LOCKED and writes every decision, ledger booking, case and feed event
in the same transaction, so a dead worker or a lost Redis message can delay a decision but never
lose or duplicate it (one decision per return is also a unique constraint).
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.utils import timezone

from budgets.choices import EntryKind
from budgets.selectors import budget_for, portfolio_budget_for
from budgets.services.holds import holds_active_for
from budgets.services.ledger import (
    PortfolioMoved,
    PortfolioSeen,
    ledger_accounts_lock,
    ledger_bookings_since,
    ledger_entry_for,
    ledger_portfolio_booked,
    ledger_portfolio_typical_day,
    ledger_post,
    ledger_settle_returns,
)
from casework.choices import FeedKind
from casework.models import FeedEvent, JoinedReturn, ReviewCase
from casework.selectors import cases_open_lock, cases_opened_on, labels_newest_for
from casework.services.wakeups import returns_decided_notify
from casework.services.webhook_events import case_opened_draft, decision_created_draft
from core.db import rows_insert, rows_update
from intake.choices import Outcome, ReturnStatus
from intake.constants import DECIDE_MAX_ATTEMPTS
from intake.models import ReturnRequest
from intake.selectors import returns_desk_view, returns_identifier_sharing
from intake.services.intake import return_decide_failed
from ml.artifacts import TamperedArtifactError
from ml.inference import ScoreBatch, score_returns
from ml.schema import CLIENT_FEATURES, attribute_column
from scoring.choices import Action, ReasonCode
from scoring.constants import (
    AUDIT_MIN_APPROVALS_PER_DAY,
    OOD_RATE_PRIOR_RETURNS,
    OOD_RATE_WINDOW_HOURS,
    SCORING_BATCH_MAX,
    SWEEP_AFTER_SECONDS,
)
from scoring.models import Decision, ModelVersion, PolicyVersion
from scoring.policy import (
    PolicyOutcome,
    PolicySettings,
    ReturnFacts,
    ood_novelty_share,
    policy_decide,
    portfolio_priced_alike_to,
    score_facts,
)
from scoring.rules import RuleEffects, rule_inputs, rules_evaluate
from scoring.selectors import (
    block_lists_in_force,
    customer_mean_values,
    decisions_since,
    lists_of_rules,
)
from scoring.services.decision_hours import decision_hours_add
from scoring.services.models import NoActiveModel, model_active
from scoring.services.policies import policy_settings_from, policy_version_current
from webhooks.services.events import events_record

logger = logging.getLogger(__name__)
decision_log = structlog.get_logger("casework.decisions")

OUTCOME_OF_ACTION = {Action.APPROVE: Outcome.APPROVED, Action.REJECT: Outcome.REJECTED}
# Order ids of 64 characters keep a line of this many under 8 KB, where log shippers that cut
# long lines (Docker's at 16 KB) leave it whole.
DECISIONS_PER_LOG_LINE = 100


def returns_feature_rows(returns: list[ReturnRequest]) -> list[dict]:
    """The model's inputs: the return as the client sent it, its attributes (`attr_<name>`),
    and the desk's own view of its customer (intake.selectors.returns_desk_view)."""
    desk = returns_desk_view(returns=returns)
    return [
        {
            **{name: getattr(r, name) for name in CLIENT_FEATURES},
            **view,
            # The model reads those it was trained with and ignores the rest.
            **{attribute_column(name): value for name, value in r.attributes.items()},
        }
        for r, view in zip(returns, desk, strict=True)
    ]


def returns_score(*, returns: list[ReturnRequest], bundle) -> ScoreBatch:
    rows = returns_feature_rows(returns)
    identifiers = [name for name, kind in bundle.model.attributes if kind == "identifier"]
    if identifiers:
        shared = returns_identifier_sharing(returns=returns, names=identifiers)
        for row, sharing in zip(rows, shared, strict=True):
            row.update(sharing)
    for row in rows:
        row["order_value"] = float(row["order_value"])
    return score_returns(bundle, rows)


def audit_draw(return_request: ReturnRequest) -> float:
    """A stable uniform draw in [0, 1) per return, so a replay samples the same returns."""
    digest = hashlib.sha256(f"{return_request.client_id}:{return_request.order_id}".encode())
    return int(digest.hexdigest()[:8], 16) / 0x100000000


def audit_base_rate(*, audit_reviews_per_day: int, approvals: int) -> float:
    """The day's audit reviews spread over about a day's approvals (the last 24 hours')."""
    return audit_reviews_per_day / max(approvals, AUDIT_MIN_APPROVALS_PER_DAY)


@dataclass
class BatchContext:
    """Everything deciding a batch reads besides the returns and their scores: the prices in
    force, and the day's running state (bookings, portfolio totals, open cases, reviews opened),
    locked where workers could race, and advanced as each return is decided."""

    settings: PolicySettings
    budgets: dict
    window: timedelta
    accounts: dict
    bookings: dict
    portfolio_read: dict
    typical: dict
    holds: dict
    open_cases: dict
    opened: int
    audits_left: int
    audit_base_rate: float
    ood_threshold: float
    novelty_share: float
    rules: list
    customer_means: dict
    lists: dict
    blocks: dict
    portfolio: dict = field(init=False)

    def __post_init__(self):
        self.portfolio = dict(self.portfolio_read)

    def portfolio_budget(self, payment_method: str, day) -> Decimal | None:
        return portfolio_budget_for(
            budgets=self.budgets,
            payment_method=payment_method,
            typical_day=self.typical[day][payment_method],
        )

    def portfolio_seen(self) -> dict:
        """The portfolio days as this batch read and priced them, for ledger_post to check."""
        return {
            (method, day): PortfolioSeen(
                booked=booked,
                priced_alike_to=portfolio_priced_alike_to(self.portfolio_budget(method, day)),
            )
            for (method, day), booked in self.portfolio_read.items()
        }

    def rule_effects(self, return_request: ReturnRequest) -> RuleEffects:
        mean = self.customer_means.get(return_request.customer_id)
        inputs = rule_inputs(return_request, customer_mean=mean)
        return rules_evaluate(self.rules, inputs, lists=self.lists, blocks=self.blocks)

    def booked_before(self, return_request: ReturnRequest) -> Decimal:
        """The customer's expected loss booked within the budget window before this return."""
        account = self.accounts[return_request.customer_id]
        since = return_request.received_at - self.window
        return sum(
            (amount for at, amount in self.bookings[account.pk] if at > since), Decimal("0.00")
        )


def _batch_context(
    *,
    returns: list[ReturnRequest],
    policy_version: PolicyVersion,
    ood_threshold: float,
    ood_false_alarm_rate: float,
    now: datetime,
    lock_portfolio: bool,
) -> BatchContext:
    snapshot = policy_version.snapshot
    settings = policy_settings_from(snapshot, day=now.date())
    budgets = snapshot["budgets"]
    window = timedelta(days=budgets["window_days"])
    accounts = ledger_accounts_lock(customer_ids=[r.customer_id for r in returns])
    methods = {r.payment_method for r in returns}
    days = {(r.payment_method, r.received_at.date()) for r in returns}
    earliest = min(r.received_at for r in returns)
    # One window serves both rates: the gate's flags and the approvals the audit spreads over.
    recent = decisions_since(since=now - timedelta(hours=OOD_RATE_WINDOW_HOURS))
    opened, audits_opened = cases_opened_on(day=now.date())
    return BatchContext(
        settings=settings,
        budgets=budgets,
        window=window,
        accounts=accounts,
        bookings=ledger_bookings_since(
            account_ids=[a.pk for a in accounts.values()], since=earliest - window
        ),
        portfolio_read=ledger_portfolio_booked(days=days, lock=lock_portfolio),
        typical={
            day: ledger_portfolio_typical_day(payment_methods=methods, day=day)
            for day in {r.received_at.date() for r in returns}
        },
        holds=holds_active_for(customer_ids=accounts.keys()),
        open_cases=cases_open_lock(customer_ids=accounts.keys()),
        opened=opened,
        audits_left=settings.audit_reviews_per_day - audits_opened,
        audit_base_rate=audit_base_rate(
            audit_reviews_per_day=settings.audit_reviews_per_day, approvals=recent.approved
        ),
        ood_threshold=ood_threshold,
        novelty_share=ood_novelty_share(
            flagged=recent.ood_flagged,
            total=recent.decided,
            false_alarm_rate=ood_false_alarm_rate,
            prior_returns=OOD_RATE_PRIOR_RETURNS,
        ),
        rules=snapshot.get("rules", []),
        customer_means=customer_mean_values(customer_ids=accounts.keys())
        if snapshot.get("rules")
        else {},
        lists=lists_of_rules(rules=snapshot.get("rules", []), now=now),
        blocks=block_lists_in_force(now=now),
    )


def _return_facts(
    return_request: ReturnRequest,
    index: int,
    *,
    scores: ScoreBatch,
    context: BatchContext,
    rules: RuleEffects,
) -> ReturnFacts:
    day = (return_request.payment_method, return_request.received_at.date())
    return ReturnFacts(
        **score_facts(
            scores,
            index,
            ood_threshold=context.ood_threshold,
            ood_novelty_share=context.novelty_share,
        ),
        order_value=return_request.order_value,
        returns_velocity_30d=return_request.returns_velocity_30d,
        booked_loss=context.booked_before(return_request),
        budget=budget_for(
            budgets=context.budgets,
            client_name=return_request.client.name,
            customer_id=return_request.customer.external_id,
            payment_method=return_request.payment_method,
            product_category=return_request.product_category,
        ),
        portfolio_booked=context.portfolio[day],
        portfolio_budget=context.portfolio_budget(*day),
        payment_method=return_request.payment_method,
        hold_mode=context.holds.get(return_request.customer_id),
        audit_base_rate=context.audit_base_rate,
        audit_draw=audit_draw(return_request),
        audits_left=context.audits_left,
        reviews_opened=context.opened,
        open_case=return_request.customer_id in context.open_cases,
        probability_floor=rules.probability_floor,
        approve_floor=rules.cost_floor,
        forced_action=rules.forced_action,
        rule_reasons=rules.reasons,
    )


@dataclass
class BatchWrites:
    """The rows a batch writes, gathered as it is decided and written in bulk at the end."""

    decisions: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    cases: list = field(default_factory=list)
    joins: list = field(default_factory=list)
    events: list = field(default_factory=list)


def _record(
    return_request: ReturnRequest,
    decision: Decision,
    outcome: PolicyOutcome,
    *,
    context: BatchContext,
    writes: BatchWrites,
) -> None:
    """What follows from one decision: a booking, a case or a place in one, the return's new
    state, a feed event; and the batch's running state moves on, for the returns after it."""
    writes.decisions.append(decision)
    if outcome.action == Action.APPROVE and outcome.expected_loss > 0:
        account = context.accounts[return_request.customer_id]
        writes.entries.append(
            ledger_entry_for(
                account=account,
                return_request=return_request,
                kind=EntryKind.EXPECTED_LOSS,
                amount=outcome.expected_loss,
            )
        )
        context.bookings[account.pk].append((return_request.received_at, outcome.expected_loss))
        day = (return_request.payment_method, return_request.received_at.date())
        context.portfolio[day] += outcome.expected_loss
    if outcome.action == Action.REVIEW:
        return_request.status = ReturnStatus.IN_REVIEW
        if outcome.joins_case:
            open_case = context.open_cases[return_request.customer_id]
            writes.joins.append(JoinedReturn(case=open_case, return_request=return_request))
        else:
            return_request.is_audit_sample = outcome.reasons[0]["code"] == ReasonCode.AUDIT_SAMPLE
            context.audits_left -= return_request.is_audit_sample
            case = ReviewCase(
                return_request=return_request,
                decision=decision,
                priority=outcome.priority,
                reason_codes=[reason["code"] for reason in outcome.reasons],
            )
            writes.cases.append(case)
            context.open_cases[return_request.customer_id] = case
            context.opened += 1
    else:
        return_request.status = ReturnStatus.DECIDED
        return_request.outcome = OUTCOME_OF_ACTION[outcome.action]
    writes.events.append(FeedEvent(return_request=return_request, kind=FeedKind.DECISION))


def _webhook_drafts(writes: BatchWrites) -> list:
    """Each decision's event, then the case it opened: the order a receiver gets them in."""
    cases = {case.return_request_id: case for case in writes.cases}
    joined = {join.return_request_id: join.case for join in writes.joins}
    drafts = []
    for decision in writes.decisions:
        return_id = decision.return_request_id
        opened = cases.get(return_id)
        drafts.append(decision_created_draft(decision, case=opened or joined.get(return_id)))
        if opened is not None:
            drafts.append(case_opened_draft(opened))
    return drafts


def _persist(returns: list[ReturnRequest], writes: BatchWrites, *, context: BatchContext) -> None:
    rows_insert(writes.decisions)
    rows_insert(writes.cases)
    rows_insert(writes.joins)
    rows_update(
        ReturnRequest,
        pks=[r.pk for r in returns],
        status=[r.status for r in returns],
        outcome=[r.outcome for r in returns],
        is_audit_sample=[r.is_audit_sample for r in returns],
    )
    rows_insert(writes.events)
    events_record(drafts=_webhook_drafts(writes))
    # A label can arrive before its return is decided (a chargeback overtaking the queue); an
    # approval is then settled to it at once, as it would be had the label come after.
    approved = {r.pk: r for r in returns if r.outcome == Outcome.APPROVED}
    labelled = labels_newest_for(return_ids=list(approved))
    # The counters last: every other worker's batch moves them too, so their rows are held
    # from here to the commit only. The hour's first, then the payment methods' days.
    decision_hours_add(
        decisions=writes.decisions,
        opened=[(case.decision, case.return_request.is_audit_sample) for case in writes.cases],
    )
    ledger_post(entries=writes.entries, seen=context.portfolio_seen())
    ledger_settle_returns(
        truths=[(approved[return_id], label.is_fraud) for return_id, label in labelled.items()]
    )
    # Waiting requests answer on commit (casework.services.wakeups).
    returns_decided_notify([r.pk for r in returns])


def decisions_make(
    *,
    returns: list[ReturnRequest],
    scores: ScoreBatch,
    ood_threshold: float,
    ood_false_alarm_rate: float,
    model_version: ModelVersion,
    policy_version: PolicyVersion,
    now: datetime | None = None,
    lock_portfolio: bool = False,
) -> list[Decision]:
    """Decides locked pending returns in order and writes everything that follows from it:
    context → facts → prices → persist.

    Must run inside a transaction. Customer accounts are row-locked, so budget checks and
    bookings for one customer are serialised across workers, and so are the open cases a
    return may join. The day's portfolio totals are read unlocked and checked as the batch
    books on them: PortfolioMoved when another batch moved them meanwhile enough to change
    the prices; `lock_portfolio` locks them from the start instead, so that cannot happen.
    """
    now = now or timezone.now()
    context = _batch_context(
        returns=returns,
        policy_version=policy_version,
        ood_threshold=ood_threshold,
        ood_false_alarm_rate=ood_false_alarm_rate,
        now=now,
        lock_portfolio=lock_portfolio,
    )
    writes = BatchWrites()
    for index, return_request in enumerate(returns):
        rules = context.rule_effects(return_request)
        facts = _return_facts(return_request, index, scores=scores, context=context, rules=rules)
        outcome = policy_decide(facts, context.settings)
        decision = Decision(
            return_request=return_request,
            action=outcome.action,
            fraud_probability=facts.fraud_probability,
            probability_used=outcome.probability_used,
            ood_score=facts.ood_score,
            ood_threshold=ood_threshold,
            ood=facts.ood,
            ood_novelty_share=context.novelty_share,
            cost_approve=outcome.costs[Action.APPROVE],
            cost_reject=outcome.costs[Action.REJECT],
            cost_review=outcome.costs[Action.REVIEW],
            reasons=outcome.reasons,
            contributions=scores.contributions[index],
            booked_loss=facts.booked_loss,
            budget=facts.budget,
            portfolio_booked=facts.portfolio_booked,
            prices=outcome.prices,
            model_version=model_version,
            policy_version=policy_version,
            rules_fired=rules.fired,
            decided_at=now,
        )
        _record(return_request, decision, outcome, context=context, writes=writes)
    _persist(returns, writes, context=context)
    return writes.decisions


def returns_decide_pending(*, limit: int = SCORING_BATCH_MAX) -> int:
    """Claims up to `limit` pending returns, oldest first, and decides them. Returns how many.

    A batch is all or nothing, so one return that cannot be decided would hold back every
    batch it is in: when a batch fails, its returns are decided one at a time, and the one
    that fails alone while others succeed is logged by order id and counted; after
    DECIDE_MAX_ATTEMPTS failures it is set aside as failed (the pipeline check alarms, and an
    admin can retry it). When none succeeds, the fault is the desk's and nothing is counted.
    """
    try:
        return _returns_decide(limit=limit)
    except (NoActiveModel, TamperedArtifactError, SoftTimeLimitExceeded):
        raise  # nothing can be decided, or the task is out of time: the task reports it
    except Exception:
        logger.exception("deciding a batch failed; deciding its returns one at a time")
    pending = ReturnRequest.objects.filter(status=ReturnStatus.PENDING).order_by(
        "received_at", "id"
    )
    decided, failures = 0, []
    for return_id, order_id in pending.values_list("id", "order_id")[:limit]:
        try:
            decided += _returns_decide(limit=1, return_id=return_id)
        except (NoActiveModel, TamperedArtifactError, SoftTimeLimitExceeded):
            raise
        except Exception as exc:
            logger.exception("return %s cannot be decided", order_id)
            failures.append((return_id, order_id, exc))
    if failures and not decided:
        # Nothing could be decided, even alone: the fault is the desk's (a model that cannot
        # score, a bug), not the returns'. They wait, uncounted, until it is fixed.
        logger.error("no return of the batch could be decided; none is set aside")
        return 0
    for return_id, order_id, exc in failures:
        attempts = return_decide_failed(return_id=return_id, error=exc)
        logger.warning(
            "return %s failed to be decided (attempt %d of %d)",
            order_id,
            attempts,
            DECIDE_MAX_ATTEMPTS,
        )
    return decided


def _returns_decide(*, limit: int, return_id: int | None = None) -> int:
    """Decides a batch with the portfolio read unlocked, as workers mostly can; when another
    batch moved a day's total by enough to change this batch's prices, decides again locked."""
    try:
        return _returns_decide_batch(limit=limit, return_id=return_id, lock_portfolio=False)
    except PortfolioMoved as moved:
        logger.info("portfolio moved while deciding (%s); deciding again, locked", moved)
        return _returns_decide_batch(limit=limit, return_id=return_id, lock_portfolio=True)


def returns_claim(*, limit: int, return_id: int | None = None):
    """Up to `limit` pending returns, oldest first, row-locked for this transaction; those other
    workers hold are skipped. Read in the order of return_pending_claim_idx, so the claim stops
    at its batch however many returns are pending."""
    pending = ReturnRequest.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        status=ReturnStatus.PENDING
    )
    if return_id is not None:
        pending = pending.filter(pk=return_id)
    # A batch has a few clients among hundreds of returns: one of each is read, not one a return.
    pending = pending.select_related("customer").prefetch_related("client")
    return pending.order_by("received_at", "id")[:limit]


def _returns_decide_batch(*, limit: int, return_id: int | None, lock_portfolio: bool) -> int:
    with transaction.atomic():
        returns = list(returns_claim(limit=limit, return_id=return_id))
        if not returns:
            return 0
        model_version, bundle = model_active()
        scores = returns_score(returns=returns, bundle=bundle)
        decisions = decisions_make(
            returns=returns,
            scores=scores,
            ood_threshold=float(bundle.ood_gate.threshold_),
            ood_false_alarm_rate=bundle.ood_gate.target_false_alarm_rate,
            model_version=model_version,
            policy_version=policy_version_current(),
            lock_portfolio=lock_portfolio,
        )
    logger.info("decided %d returns with model %s", len(returns), model_version.version)
    # A line per API call whose returns the batch decided, under that call's request id, with
    # each of its returns' action by order id: a grep on either finds it. (A line per return
    # cost a tenth of the worker's time per return.)
    actions = defaultdict(list)
    for decision in decisions:
        return_request = decision.return_request
        call = (return_request.request_id, return_request.client.name)
        actions[call].append((return_request.order_id, decision.action))
    for (request_id, client), decided in actions.items():
        for start in range(0, len(decided), DECISIONS_PER_LOG_LINE):
            decision_log.info(
                "returns decided",
                request_id=request_id,
                client=client,
                model_version=model_version.version,
                decisions=dict(decided[start : start + DECISIONS_PER_LOG_LINE]),
            )
    return len(returns)


def returns_pending_overdue() -> bool:
    cutoff = timezone.now() - timedelta(seconds=SWEEP_AFTER_SECONDS)
    return ReturnRequest.objects.filter(
        status=ReturnStatus.PENDING, received_at__lt=cutoff
    ).exists()
