"""Who may call what. Everything is denied unless a class here allows it."""

from rest_framework.permissions import BasePermission

from core.choices import ApiRole
from core.models import ApiClient, ApiKey
from core.roles import user_is_reviewer


def _key_role(request) -> str | None:
    """The role of the API key the request came with; None for a person or no key."""
    if isinstance(request.user, ApiClient) and isinstance(request.auth, ApiKey):
        return request.auth.role
    return None


class IsSubmitter(BasePermission):
    message = "This endpoint needs a submitter API key."

    def has_permission(self, request, view):
        return _key_role(request) == ApiRole.SUBMITTER


class IsLabeler(BasePermission):
    """Labels reverse ledger losses and feed retraining, so they need a key made for that."""

    message = "This endpoint needs a labeler API key."

    def has_permission(self, request, view):
        return _key_role(request) == ApiRole.LABELER


class CanReadApiDocs(BasePermission):
    """Any API key, or a signed-in reviewer, lead or admin: the schema is not public."""

    message = "The API schema needs an API key or a reviewer account."

    def has_permission(self, request, view):
        if _key_role(request) is not None:
            return True
        principal = request.user
        return not isinstance(principal, ApiClient) and user_is_reviewer(principal)


class IsReviewer(BasePermission):
    """A signed-in reviewer, lead or admin, or a reviewer API key."""

    message = "This endpoint needs a reviewer account or a reviewer API key."

    def has_permission(self, request, view):
        if isinstance(request.user, ApiClient):
            return _key_role(request) == ApiRole.REVIEWER
        return user_is_reviewer(request.user)
