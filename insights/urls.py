"""Economic reports for leads and admins, mounted at /reports/."""

from django.urls import path

from insights import views

urlpatterns = [
    path("", views.reports_page, name="economic"),
]
