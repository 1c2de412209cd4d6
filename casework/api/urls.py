"""REST API v1 routes."""

from django.urls import path

from casework.api.views import cases, labels, outcomes, returns, webhooks

urlpatterns = [
    path("returns", returns.ReturnSubmitView.as_view(), name="return-submit"),
    path("returns/batch", returns.ReturnBatchSubmitView.as_view(), name="return-batch"),
    path("returns/<str:order_id>", returns.ReturnDetailView.as_view(), name="return-detail"),
    path("labels", labels.LabelCreateView.as_view(), name="label-create"),
    path("outcomes", outcomes.OutcomeCreateView.as_view(), name="outcome-create"),
    path("outcomes/batch", outcomes.OutcomeBatchCreateView.as_view(), name="outcome-batch"),
    path("decisions", returns.DecisionFeedView.as_view(), name="decision-feed"),
    path("webhooks", webhooks.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<int:endpoint_id>", webhooks.WebhookDetailView.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:endpoint_id>/rotate",
        webhooks.WebhookRotateView.as_view(),
        name="webhook-rotate",
    ),
    path("cases", cases.CaseListView.as_view(), name="case-list"),
    path("cases/<int:case_id>/claim", cases.CaseClaimView.as_view(), name="case-claim"),
    path("cases/<int:case_id>/verdict", cases.CaseVerdictView.as_view(), name="case-verdict"),
]
