"""DRF authentication by per-organisation API token: `Authorization: Bearer <token>` (or
`Token <token>`). The request's organisation is `request.auth.organization`; every API
queryset is filtered by it."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from meetings.models import OrganizationApiToken
from meetings.tokens import api_token_resolve

SCHEMES = (b"bearer", b"token")


class ApiClient:
    """`request.user` of an API call: the client holding an organisation's token (not a person)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, token: OrganizationApiToken) -> None:
        self.token = token
        self.organization = token.organization
        self.pk = None

    def __str__(self) -> str:
        return f"API client {self.token}"


class OrganizationTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in SCHEMES:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Malformed token.") from None
        token = api_token_resolve(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return ApiClient(token), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class OrganizationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "meetings.authentication.OrganizationTokenAuthentication"
    name = "organizationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API token (admin → API tokens). "
            "`Token <token>` is accepted too.",
        }
