"""API key authentication: `Authorization: Bearer <key>`, checked against a stored hash."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from casework.services.api_clients import api_client_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0] != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization header must be 'Bearer <key>'."))
        client = api_client_authenticate(key=parts[1])
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return (client, None)

    def authenticate_header(self, request):
        return self.keyword
