"""Reviewer workspace pages."""

from django.urls import path

from casework.views import cases, customers, queue

urlpatterns = [
    path("", queue.queue_page, name="queue"),
    path("next/", queue.case_next, name="next"),
    path("cases/<int:case_id>/", cases.case_page, name="case"),
    path("cases/<int:case_id>/verdict/", cases.case_verdict, name="case-verdict"),
    path("cases/<int:case_id>/claim/", cases.case_claim_action, name="case-claim"),
    path("cases/<int:case_id>/release/", cases.case_release_action, name="case-release"),
    path("cases/<int:case_id>/reassign/", cases.case_reassign_action, name="case-reassign"),
    # By pk: a customer id is the retailer's own, and two retailers may use the same one.
    path("customers/<int:customer_pk>/", customers.customer_page, name="customer"),
    path("customers/<int:customer_pk>/hold/", customers.customer_hold_place, name="customer-hold"),
    path(
        "customers/<int:customer_pk>/hold/release/",
        customers.customer_hold_release,
        name="customer-hold-release",
    ),
]
