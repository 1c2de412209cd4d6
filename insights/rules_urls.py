"""The rule editor, its test runs and the allow and block lists, for leads and admins, mounted
at /rules/."""

from django.urls import path

from insights import rules_views

urlpatterns = [
    path("", rules_views.rules_page, name="index"),
    path("new", rules_views.rule_page, name="new"),
    path("<int:rule_id>", rules_views.rule_page, name="edit"),
    path("lists/", rules_views.lists_page, name="lists"),
    path("lists/<int:list_id>", rules_views.list_page, name="list"),
    path("lists/<int:list_id>/csv", rules_views.list_download, name="list-csv"),
    path(
        "lists/<int:list_id>/entries/<int:entry_id>/remove",
        rules_views.list_entry_remove_view,
        name="list-entry-remove",
    ),
]
