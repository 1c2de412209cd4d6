"""The second sign-in step for staff: entering a code, and enrolling an authenticator app."""

from django.urls import path

from core import two_factor_views

urlpatterns = [
    path("", two_factor_views.verify, name="verify"),
    path("enroll/", two_factor_views.enroll, name="enroll"),
]
