"""Review cases, the verdicts that close them, outcome events, labels of ground truth, and the
decisions feed."""

from django.conf import settings
from django.db import models
from django.db.models import BigIntegerField, Func, Q, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from casework.choices import CaseStatus, FeedKind, LabelSource, OutcomeKind, VerdictChoice
from core.models import ApiClient
from intake.models import ReturnRequest


class ReviewCaseQuerySet(models.QuerySet):
    def claim_lapsed(self, now=None):
        """Claimed cases whose claim ran out: anyone's to take, until the sweeper reopens them."""
        return self.filter(status=CaseStatus.CLAIMED, claim_expires_at__lte=now or timezone.now())

    def claimable(self, now=None):
        """Open cases, and claimed ones whose claim lapsed."""
        return self.filter(
            Q(status=CaseStatus.OPEN)
            | Q(status=CaseStatus.CLAIMED, claim_expires_at__lte=now or timezone.now())
        )

    def held_by(self, actor, now=None):
        """Cases `actor` (a user or an API client) holds a live claim on."""
        holder = {"assignee_client": actor} if isinstance(actor, ApiClient) else {"assignee": actor}
        return self.filter(
            status=CaseStatus.CLAIMED, claim_expires_at__gt=now or timezone.now(), **holder
        )


class ReviewCase(models.Model):
    """A return waiting for, or having had, a human look: open → claimed → resolved."""

    return_request = models.OneToOneField(
        ReturnRequest, on_delete=models.PROTECT, related_name="review_case"
    )
    # Returns of the same customer that arrived while the case was open: its verdict decides
    # them too, instead of each buying a review of its own.
    joined_returns = models.ManyToManyField(
        ReturnRequest, through="JoinedReturn", related_name="joined_cases"
    )
    decision = models.OneToOneField(
        "scoring.Decision", on_delete=models.PROTECT, related_name="review_case"
    )
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    # Expected cost a review saves: min(cost of approve, cost of reject) - review cost.
    priority = models.DecimalField(max_digits=14, decimal_places=2)
    reason_codes = models.JSONField(default=list)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_cases",
    )
    assignee_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="claimed_cases"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="claimed") | Q(claim_expires_at__isnull=False),
                name="claimed_case_has_expiry",
            ),
            models.CheckConstraint(
                condition=~(Q(assignee__isnull=False) & Q(assignee_client__isnull=False)),
                name="case_has_one_assignee",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-priority", "created_at", "id"],
                condition=~Q(status="resolved"),
                name="case_queue_idx",
            ),
            models.Index(fields=["status", "claim_expires_at"], name="case_claim_expiry_idx"),
        ]

    def __str__(self):
        return f"Case {self.pk} ({self.return_request_id})"

    def get_absolute_url(self):
        return reverse("casework:case", args=[self.pk])

    def claim_is_live(self, now=None) -> bool:
        """Someone holds the case now; a lapsed claim is anyone's to take."""
        return self.status == CaseStatus.CLAIMED and self.claim_expires_at > (now or timezone.now())

    def is_held_by(self, actor, now=None) -> bool:
        if not self.claim_is_live(now):
            return False
        if isinstance(actor, ApiClient):
            return self.assignee_client_id == actor.pk
        return self.assignee_id == actor.pk


class JoinedReturn(models.Model):
    """A return that joined its customer's open case; at most one case per return."""

    case = models.ForeignKey(ReviewCase, on_delete=models.PROTECT, related_name="joined")
    return_request = models.OneToOneField(
        ReturnRequest, on_delete=models.PROTECT, related_name="joined"
    )

    def __str__(self):
        return f"{self.return_request_id} joined case {self.case_id}"


class Verdict(models.Model):
    """A reviewer's final word on a case."""

    case = models.OneToOneField(ReviewCase, on_delete=models.PROTECT, related_name="verdict")
    verdict = models.CharField(max_length=16, choices=VerdictChoice.choices)
    hold_customer = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reviewer_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.verdict} on case {self.case_id}"


class OutcomeEvent(models.Model):
    """What a retailer's carrier, warehouse, payments or customer service saw become of a
    return, as they sent it: kept whatever it implies, and where it implies fraud or not, the
    source of a label."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="outcome_events")
    event_id = models.CharField(max_length=128)  # the sender's own id, unique per client
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, related_name="outcome_events"
    )
    kind = models.CharField(max_length=32, choices=OutcomeKind.choices)
    # The kind's own fields as sent and validated: status, result and reason, amount, note...
    details = models.JSONField(default=dict)
    observed_at = models.DateTimeField()
    implies_fraud = models.BooleanField(null=True)  # None: implies neither
    body_hash = models.CharField(max_length=64)  # tells a resend from another body under the id
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "event_id"], name="outcome_event_id_per_client"
            )
        ]
        indexes = [
            models.Index(fields=["return_request", "observed_at"], name="outcome_return_idx")
        ]

    def __str__(self):
        return f"{self.kind} {self.event_id}"


class LabelQuerySet(models.QuerySet):
    def newest_per_return(self):
        """Each return's newest label once: the return's truth."""
        return self.order_by("return_request_id", "-observed_at", "-id").distinct(
            "return_request_id"
        )

    def newest_first(self):
        return self.order_by("-observed_at", "-id")

    def newest_of(self, return_request):
        """The newest label of one return; with an OuterRef, a subquery per row."""
        return self.filter(return_request=return_request).newest_first()


class Label(models.Model):
    """Ground truth about a return, from a verdict, an inspection or a chargeback.

    Labels are kept when they conflict; the newest observation is authoritative.
    """

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, related_name="labels"
    )
    is_fraud = models.BooleanField()
    source = models.CharField(max_length=32, choices=LabelSource.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT)
    # Where the label came from, when an outcome event implied it.
    outcome_event = models.OneToOneField(
        OutcomeEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="label"
    )
    observed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LabelQuerySet.as_manager()

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["return_request", "-observed_at"], name="label_newest_idx")]

    def __str__(self):
        return f"{'fraud' if self.is_fraud else 'legitimate'} ({self.source})"


class FeedEvent(models.Model):
    """One entry of the decisions feed: a decision made or an outcome changed.

    `xact_id` is the writing transaction's id (set by the database); the feed is read in
    (xact_id, id) order and only below the oldest running transaction, so a client paging
    with a cursor never skips an event that commits late.
    """

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, related_name="feed_events"
    )
    kind = models.CharField(max_length=16, choices=FeedKind.choices)
    xact_id = models.BigIntegerField(
        editable=False,
        db_default=Cast(Cast(Func(function="pg_current_xact_id"), TextField()), BigIntegerField()),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["xact_id", "id"]
        indexes = [models.Index(fields=["xact_id", "id"], name="feed_cursor_idx")]

    def __str__(self):
        return f"{self.kind} {self.return_request_id}"


class QueueTally(models.Model):
    """Open cases per queue reason, product category and payment method, kept as changes.

    Triggers on the cases table (migration 0002) append a row whenever cases open, resolve or
    change reasons, so writers never wait on a shared counter row; the queue sums the rows
    instead of counting every open case, and the sweeper folds them together
    (casework.services.queue_tallies). `reason` is a QUEUE_REASONS key, or TALLY_ALL.
    """

    reason = models.CharField(max_length=16)
    product_category = models.CharField(max_length=64)
    payment_method = models.CharField(max_length=64)
    open_cases = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["reason", "product_category", "payment_method"], name="queue_tally_idx"
            )
        ]

    def __str__(self):
        return f"{self.reason} {self.product_category} {self.payment_method}: {self.open_cases:+d}"
