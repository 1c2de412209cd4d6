"""Reading returns, the decisions feed and review cases."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BooleanField, Count, F, Func, Prefetch, Q, Sum, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime

from budgets.models import CustomerHold
from budgets.selectors import budget_for, budget_snapshot, ledger_running_balance
from casework.choices import CaseStatus
from casework.constants import QUEUE_COUNT_CAP, QUEUE_PAGE_SIZE, TALLY_ALL
from casework.models import FeedEvent, Label, OutcomeEvent, QueueTally, ReviewCase
from core.constants import GROUP_ADMIN, GROUP_LEAD, GROUP_REVIEWER
from core.keyset import InvalidCursor, cursor_decode, cursor_encode, keyset_after
from core.models import ApiClient, AuditEvent
from core.roles import user_is_reviewer
from intake.choices import ReturnStatus
from intake.models import Customer, ReturnRequest
from scoring.models import Decision, DecisionHour

RETURN_RELATED = ("customer", "decision__model_version", "review_case", "joined__case")


def labels_newest_for(*, return_ids) -> dict[int, Label]:
    """Each return's newest label (its truth), by return id; returns without labels are absent."""
    newest = Label.objects.filter(return_request_id__any=list(return_ids)).newest_per_return()
    return {label.return_request_id: label for label in newest}


def cases_open_lock(*, customer_ids) -> dict[int, ReviewCase]:
    """Each customer's oldest case still waiting for a verdict, row-locked so that a verdict and
    a return joining the case cannot cross. A case being resolved right now is skipped: its
    customer's next return is decided on its own."""
    cases = (
        ReviewCase.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            return_request__customer_id__any=list(customer_ids),
            status__in=[CaseStatus.OPEN, CaseStatus.CLAIMED],
        )
        .select_related("return_request")
        .order_by("-id")
    )
    return {case.return_request.customer_id: case for case in cases}


def cases_opened_on(*, day: date) -> tuple[int, int]:
    """Review cases opened by decisions of `day` (UTC), against the day's review capacity, and
    how many of them are the audit sample, against its daily budget: from the day's counters."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    counts = DecisionHour.objects.filter(
        hour__gte=start, hour__lt=start + timedelta(days=1)
    ).aggregate(opened=Sum("cases_opened", default=0), audits=Sum("audit_cases_opened", default=0))
    return counts["opened"], counts["audits"]


# Each hour's counters as counted from its decisions and cases: what DecisionHour must hold.
DECISION_HOURS_COUNTED_SQL = f"""
    SELECT date_trunc('hour', d.decided_at, 'UTC') AS hour,
           count(*) AS decided,
           count(*) FILTER (WHERE d.action = 'approve') AS approved,
           count(*) FILTER (WHERE d.ood) AS ood_flagged,
           count(c.id) AS cases_opened,
           count(c.id) FILTER (WHERE r.is_audit_sample) AS audit_cases_opened
    FROM {Decision._meta.db_table} d
    LEFT JOIN {ReviewCase._meta.db_table} c ON c.decision_id = d.id
    JOIN {ReturnRequest._meta.db_table} r ON r.id = d.return_request_id
    GROUP BY 1
"""
DECISION_HOURS_UNBALANCED_SQL = f"""
    SELECT hour, (d.decided, d.approved, d.ood_flagged, d.cases_opened, d.audit_cases_opened),
           (h.decided, h.approved, h.ood_flagged, h.cases_opened, h.audit_cases_opened)
    FROM ({DECISION_HOURS_COUNTED_SQL}) AS d
    FULL JOIN {DecisionHour._meta.db_table} AS h USING (hour)
    WHERE (d.decided, d.approved, d.ood_flagged, d.cases_opened, d.audit_cases_opened)
        IS DISTINCT FROM (h.decided, h.approved, h.ood_flagged, h.cases_opened,
                          h.audit_cases_opened)
    ORDER BY hour
"""


def decision_hours_unbalanced() -> list[tuple]:
    """The hours, earliest first, whose counters differ from a count of their decisions and
    cases: none, unless something wrote decisions behind the pipeline's back."""
    with connection.cursor() as cursor:
        cursor.execute(DECISION_HOURS_UNBALANCED_SQL)
        return cursor.fetchall()


def return_get_for_client(*, client: ApiClient, order_id: str) -> ReturnRequest:
    """A client's own return by order id; another client's returns do not exist for it."""
    if "\x00" in order_id:  # PostgreSQL text cannot hold NUL, so no order id has one
        raise Http404
    queryset = ReturnRequest.objects.select_related(*RETURN_RELATED)
    return get_object_or_404(queryset, client=client, order_id=order_id)


FEED_ORDER = ("xact_id", "id")
CASE_ORDER = ("-priority", "created_at", "id")


def feed_cursor_encode(event: FeedEvent) -> str:
    return cursor_encode((event.xact_id, event.pk), separator=":")


def feed_events_after(
    *, client: ApiClient | None, cursor: str | None, limit: int
) -> tuple[list[FeedEvent], str | None]:
    """Feed events after `cursor` in commit order, and the cursor to continue from.

    Only events of transactions older than every transaction still running are returned, so an
    event that commits late can never land behind a cursor a client already holds.
    """
    with connection.cursor() as db:
        db.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        horizon = db.fetchone()[0]
    events = FeedEvent.objects.filter(xact_id__lt=horizon).select_related(
        *(f"return_request__{name}" for name in RETURN_RELATED)
    )
    if client is not None:
        events = events.filter(return_request__client=client)
    if cursor:
        key = cursor_decode(cursor, types=(int, int), separator=":")
        events = keyset_after(events, ordering=FEED_ORDER, key=key)
    page = list(events.order_by(*FEED_ORDER)[:limit])
    next_cursor = feed_cursor_encode(page[-1]) if page else cursor
    return page, next_cursor


def _parse_datetime_strictly(text: str):
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(text)
    return parsed


def _cases_page(cases, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One keyset page of `cases` in CASE_ORDER after `cursor`, and the cursor of the next."""
    if cursor:
        key = cursor_decode(cursor, types=(Decimal, _parse_datetime_strictly, int))
        cases = keyset_after(cases, ordering=CASE_ORDER, key=key)
    page = list(cases.order_by(*CASE_ORDER)[: limit + 1])
    last = page[limit - 1] if len(page) > limit else None
    next_cursor = cursor_encode((last.priority, last.created_at, last.pk)) if last else None
    return page[:limit], next_cursor


def cases_in_priority_order(*, status: str | None, cursor: str | None, limit: int):
    """Cases by the value of a review (then age), keyset-paginated. Returns (page, next)."""
    cases = ReviewCase.objects.select_related(
        "return_request__customer", "assignee", "assignee_client", "decision"
    )
    if status:
        cases = cases.filter(status=status)
    return _cases_page(cases, cursor=cursor, limit=limit)


def case_get(*, case_id: int) -> ReviewCase:
    return get_object_or_404(
        ReviewCase.objects.select_related("return_request__customer"), pk=case_id
    )


# --- Reviewer workspace ----------------------------------------------------------------------


class InQueueReason(Func):
    """True where a case's reason codes put it under the queue reason `key`: the database's
    casework_queue_reasons (casework migration 0002), which the queue tally counts by too."""

    output_field = BooleanField()

    def __init__(self, key: str):
        super().__init__(Value(key), F("reason_codes"))

    def as_sql(self, compiler, connection, **extra_context):
        key_sql, key_params = compiler.compile(self.source_expressions[0])
        codes_sql, codes_params = compiler.compile(self.source_expressions[1])
        return f"{key_sql} = ANY(casework_queue_reasons({codes_sql}))", [
            *key_params,
            *codes_params,
        ]


# Reason filters of the queue: a short key, its label, and which cases it matches.
QUEUE_REASONS = {
    key: (label, Q(InQueueReason(key)))
    for key, label in {
        "ood": "Out of distribution",
        "budget": "Budget",
        "uncertain": "Uncertain",
        "hold": "Customer hold",
        "audit": "Audit sample",
    }.items()
}
ROLE_GROUPS = (GROUP_REVIEWER, GROUP_LEAD, GROUP_ADMIN)


@dataclass(frozen=True)
class QueueFilters:
    """What a reviewer narrowed the queue to; empty values do not filter."""

    reason: str = ""
    category: str = ""
    payment: str = ""
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    assignee: str = ""  # "mine", "unassigned" or ""
    q: str = ""


@dataclass
class QueuePage:
    cases: list
    next_cursor: str | None
    reason_counts: dict
    total: int
    # Counts past QUEUE_COUNT_CAP: the page shows them as "at least" (TALLY_ALL for the total).
    counts_at_least: frozenset = frozenset()
    categories: list = field(default_factory=list)
    payment_methods: list = field(default_factory=list)


def _tallied(filters: QueueFilters) -> bool:
    """Whether the tally can count for these filters: it knows reasons, categories and payment
    methods, not values, assignees or searches."""
    return (
        filters.value_min is None
        and filters.value_max is None
        and not (filters.assignee or filters.q)
    )


def queue_tallies() -> dict[tuple[str, str, str], int]:
    """Open cases by (queue reason or TALLY_ALL, product category, payment method)."""
    rows = (
        QueueTally.objects.values_list("reason", "product_category", "payment_method")
        .annotate(open_cases=Sum("open_cases"))
        .order_by()
    )
    return {(reason, category, method): n for reason, category, method, n in rows if n}


def _counts_tallied(filters: QueueFilters, tallies: dict) -> dict[str, int]:
    counts = dict.fromkeys([TALLY_ALL, *QUEUE_REASONS], 0)
    for (reason, category, method), n in tallies.items():
        if filters.category and category != filters.category:
            continue
        if filters.payment and method != filters.payment:
            continue
        counts[reason] = counts.get(reason, 0) + n
    return counts


def _counts_capped(counted) -> tuple[dict[str, int], frozenset]:
    """Counts in one pass over at most QUEUE_COUNT_CAP + 1 of the cases: exact when no more
    match; otherwise every count is a floor, and all of them come back as "at least"."""
    counts = counted.order_by()[: QUEUE_COUNT_CAP + 1].aggregate(
        **{TALLY_ALL: Count("id")},
        **{key: Count("id", filter=q) for key, (_, q) in QUEUE_REASONS.items()},
    )
    if counts[TALLY_ALL] <= QUEUE_COUNT_CAP:
        return counts, frozenset()
    return {**counts, TALLY_ALL: QUEUE_COUNT_CAP}, frozenset(counts)


def _queue_filtered(*, reviewer, filters: QueueFilters, with_reason: bool):
    cases = ReviewCase.objects.exclude(status=CaseStatus.RESOLVED)
    if with_reason and filters.reason in QUEUE_REASONS:
        cases = cases.filter(QUEUE_REASONS[filters.reason][1])
    if filters.category or filters.payment or filters.value_min or filters.value_max:
        # True of every unresolved case's return (its verdict moves both); saying so lets
        # PostgreSQL read only the returns in review (return_in_review_idx), not every return.
        cases = cases.filter(return_request__status=ReturnStatus.IN_REVIEW)
    if filters.category:
        cases = cases.filter(return_request__product_category=filters.category)
    if filters.payment:
        cases = cases.filter(return_request__payment_method=filters.payment)
    if filters.value_min is not None:
        cases = cases.filter(return_request__order_value__gte=filters.value_min)
    if filters.value_max is not None:
        cases = cases.filter(return_request__order_value__lte=filters.value_max)
    if filters.assignee == "mine":
        cases = cases.held_by(reviewer)
    elif filters.assignee == "unassigned":
        cases = cases.claimable()
    if filters.q:
        # Two indexed lookups; an OR across the joined tables would scan every open case.
        by_order = ReturnRequest.objects.filter(order_id=filters.q).values("id")
        by_customer = ReturnRequest.objects.filter(customer__external_id=filters.q).values("id")
        cases = cases.filter(
            Q(return_request_id__in=by_order) | Q(return_request_id__in=by_customer)
        )
    return cases


def case_queue_for(*, reviewer, filters: QueueFilters, cursor: str | None) -> QueuePage:
    """Unresolved cases, most valuable review first, then oldest; one keyset page of them.

    Reason counts are over the other filters, so each count says what picking it would show.
    They come from the queue tally when the filters are ones it knows, and otherwise are
    counted up to QUEUE_COUNT_CAP. An unreadable cursor starts from the top rather than failing
    the page.
    """
    tallies = queue_tallies()
    if _tallied(filters):
        counts, at_least = _counts_tallied(filters, tallies), frozenset()
    else:
        counted = _queue_filtered(reviewer=reviewer, filters=filters, with_reason=False)
        counts, at_least = _counts_capped(counted)
    cases = _queue_filtered(reviewer=reviewer, filters=filters, with_reason=True).select_related(
        "return_request__customer", "decision", "assignee", "assignee_client"
    )
    try:
        page, next_cursor = _cases_page(cases, cursor=cursor, limit=QUEUE_PAGE_SIZE)
    except InvalidCursor:
        page, next_cursor = _cases_page(cases, cursor=None, limit=QUEUE_PAGE_SIZE)
    open_anywhere = [key for key in tallies if key[0] == TALLY_ALL]
    return QueuePage(
        cases=page,
        next_cursor=next_cursor,
        reason_counts={key: counts[key] for key in QUEUE_REASONS},
        total=counts[TALLY_ALL],
        counts_at_least=at_least,
        categories=sorted({category for _, category, _ in open_anywhere}),
        payment_methods=sorted({method for _, _, method in open_anywhere}),
    )


def case_get_for_reviewer(*, reviewer, case_id: int) -> ReviewCase:
    """A case for a reviewer's eyes: 403 for anyone without the role, 404 for unknown ids.

    The role is checked first, so someone without it cannot probe which ids exist.
    """
    if not user_is_reviewer(reviewer):
        raise PermissionDenied("Reviewers only.")
    queryset = ReviewCase.objects.select_related(
        "return_request__customer",
        "decision__model_version",
        "assignee",
        "assignee_client",
        "verdict__reviewer",
    )
    return get_object_or_404(queryset, pk=case_id)


def customer_get_for_reviewer(*, reviewer, customer_pk: int) -> Customer:
    """Reviewers are the desk's staff and see every retailer's customers."""
    if not user_is_reviewer(reviewer):
        raise PermissionDenied("Reviewers only.")
    return get_object_or_404(Customer.objects.select_related("client"), pk=customer_pk)


@dataclass
class CustomerHistory:
    """What the desk knows about a customer: earlier returns, the ledger, holds, open cases."""

    returns: list
    ledger: list  # [{"entry", "balance"}], oldest first
    budget: Decimal
    balance: Decimal
    active_hold: CustomerHold | None
    open_cases: list


def customer_history_for(
    *, customer: Customer, exclude_case: ReviewCase | None = None, budget: Decimal | None = None
) -> CustomerHistory:
    """The customer's history; `exclude_case` (the one on screen) is left out of the lists.

    `budget` is what the ledger is drawn against: the case's decision's budget on a case page,
    otherwise the most recent decision's, else what the current policy would give.
    """
    returns = (
        ReturnRequest.objects.filter(customer=customer)
        .select_related("decision", "review_case__verdict__reviewer")
        .prefetch_related(Prefetch("labels", queryset=Label.objects.newest_first()))
        .order_by("-received_at", "-id")
    )
    if exclude_case is not None:
        returns = returns.exclude(pk=exclude_case.return_request_id)
    returns = list(returns[:50])
    if budget is None:
        latest = next((r.decision for r in returns if hasattr(r, "decision")), None)
        budget = (
            latest.budget
            if latest is not None
            else budget_for(
                budgets=budget_snapshot(),
                client_name=customer.client.name,
                customer_id=customer.external_id,
                payment_method="",
                product_category="",
            )
        )
    ledger = ledger_running_balance(customer=customer)
    return CustomerHistory(
        returns=returns,
        ledger=ledger,
        budget=budget,
        balance=ledger[-1]["balance"] if ledger else Decimal("0.00"),
        active_hold=customer_active_hold(customer=customer),
        open_cases=customer_open_cases(customer=customer, exclude_case=exclude_case),
    )


def customer_active_hold(*, customer: Customer) -> CustomerHold | None:
    return CustomerHold.objects.filter(customer=customer, released_at__isnull=True).first()


def customer_open_cases(*, customer: Customer, exclude_case: ReviewCase | None = None) -> list:
    """The customer's unresolved cases, most valuable first, without the one on screen."""
    cases = (
        ReviewCase.objects.filter(return_request__customer=customer)
        .exclude(status=CaseStatus.RESOLVED)
        .select_related("return_request", "assignee", "assignee_client")
        .order_by("-priority", "created_at", "id")
    )
    if exclude_case is not None:
        cases = cases.exclude(pk=exclude_case.pk)
    return list(cases)


def case_audit_trail(*, case: ReviewCase) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(
        object_type=ReviewCase._meta.label_lower, object_id=str(case.pk)
    ).select_related("actor", "actor_client")
    return list(events.order_by("-created_at", "-id"))


def return_labels_newest_first(*, return_request: ReturnRequest) -> tuple[list[Label], bool]:
    """The return's labels, newest first, and whether they disagree."""
    labels = list(
        Label.objects.newest_of(return_request).select_related(
            "reviewer", "client", "outcome_event"
        )
    )
    return labels, len({label.is_fraud for label in labels}) > 1


def return_outcome_events(*, return_request: ReturnRequest) -> list[OutcomeEvent]:
    """What the return's carrier, warehouse, payments and customer service reported, oldest
    first."""
    return list(return_request.outcome_events.order_by("observed_at", "id"))


def reviewers_for_assignment():
    """Active users holding a role, for a lead's reassign menu."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ROLE_GROUPS)
        .distinct()
        .order_by("username")
    )
