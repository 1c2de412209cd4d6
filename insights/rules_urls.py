"""The rule editor and its test runs, for leads and admins, mounted at /rules/."""

from django.urls import path

from insights import rules_views

urlpatterns = [
    path("", rules_views.rules_page, name="index"),
    path("new", rules_views.rule_page, name="new"),
    path("<int:rule_id>", rules_views.rule_page, name="edit"),
]
