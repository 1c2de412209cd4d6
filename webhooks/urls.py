"""The webhook delivery log, for leads and admins, mounted at /webhooks/."""

from django.urls import path

from webhooks import views

urlpatterns = [
    path("", views.delivery_log_page, name="log"),
    path("resend", views.deliveries_resend_range, name="resend-range"),
    path("deliveries/<int:delivery_id>/resend", views.delivery_resend, name="resend"),
]
