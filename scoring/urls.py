"""Economic reports for leads and admins, mounted at /reports/."""

from django.urls import path

from scoring import views

urlpatterns = [
    path("", views.reports_page, name="economic"),
]
