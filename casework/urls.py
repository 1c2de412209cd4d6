"""Reviewer workspace pages."""

urlpatterns = []
