"""Monitoring pages for leads and admins."""

from django.urls import path

from insights import monitoring_views

urlpatterns = [path("", monitoring_views.monitoring_page, name="index")]
