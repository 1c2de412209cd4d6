"""Who may call what. Everything is denied unless a class here allows it."""

from rest_framework.permissions import BasePermission

from core.choices import ApiRole
from core.models import ApiClient
from core.roles import user_is_reviewer


class IsSubmitter(BasePermission):
    message = "This endpoint needs a submitter API key."

    def has_permission(self, request, view):
        return isinstance(request.user, ApiClient) and request.user.role == ApiRole.SUBMITTER


class CanReadApiDocs(BasePermission):
    """Any API client, or a signed-in reviewer, lead or admin: the schema is not public."""

    message = "The API schema needs an API key or a reviewer account."

    def has_permission(self, request, view):
        principal = request.user
        if isinstance(principal, ApiClient):
            return True
        return principal is not None and user_is_reviewer(principal)


class IsReviewer(BasePermission):
    """A signed-in reviewer, lead or admin, or an API client with the reviewer role."""

    message = "This endpoint needs a reviewer account or a reviewer API key."

    def has_permission(self, request, view):
        principal = request.user
        if isinstance(principal, ApiClient):
            return principal.role == ApiRole.REVIEWER
        return principal is not None and user_is_reviewer(principal)
