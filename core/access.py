"""Deny by default: every page needs a login and the reviewer role; some actions a lead."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from core.roles import user_is_lead, user_is_reviewer


def reviewer_required(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not user_is_reviewer(request.user):
            raise PermissionDenied("The reviewer role is needed here.")
        return view(request, *args, **kwargs)

    return login_required(checked)


def lead_required(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not user_is_lead(request.user):
            raise PermissionDenied("Only a lead may do this.")
        return view(request, *args, **kwargs)

    return reviewer_required(checked)
