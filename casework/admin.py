"""Admin for cases, verdicts, outcome events, labels and the decisions feed: evidence, so
read-only."""

from django.contrib import admin

from casework.models import FeedEvent, Label, OutcomeEvent, ReviewCase, Verdict
from core.admin import ReadOnlyAdmin


@admin.register(ReviewCase)
class ReviewCaseAdmin(ReadOnlyAdmin):
    list_display = ["id", "return_request", "status", "priority", "assignee", "created_at"]
    list_filter = ["status"]
    search_fields = ["return_request__order_id", "return_request__customer__external_id"]
    list_select_related = ["return_request", "assignee"]


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = ["case", "verdict", "hold_customer", "reviewer", "reviewer_client", "created_at"]
    list_filter = ["verdict", "hold_customer"]
    search_fields = ["case__return_request__order_id"]
    list_select_related = ["case", "reviewer", "reviewer_client"]


@admin.register(OutcomeEvent)
class OutcomeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "client", "return_request", "kind", "implies_fraud", "observed_at"]
    list_filter = ["kind", "implies_fraud"]
    search_fields = ["event_id", "return_request__order_id"]
    list_select_related = ["client", "return_request"]


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = [
        "return_request",
        "is_fraud",
        "source",
        "outcome_event",
        "observed_at",
        "reviewer",
        "client",
    ]
    list_filter = ["source", "is_fraud"]
    search_fields = ["return_request__order_id"]
    list_select_related = ["return_request", "reviewer", "client", "outcome_event"]


@admin.register(FeedEvent)
class FeedEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "xact_id", "kind", "return_request", "created_at"]
    list_filter = ["kind"]
    search_fields = ["return_request__order_id"]
    list_select_related = ["return_request"]
