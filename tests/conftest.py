"""Fixtures shared by the whole suite."""

import pytest
from rest_framework.test import APIClient

from casework.choices import ApiRole
from casework.services.api_clients import api_client_create


@pytest.fixture
def submitter(db):
    client, key = api_client_create(name="shop", role=ApiRole.SUBMITTER)
    client.key = key
    return client


@pytest.fixture
def api(submitter):
    """An HTTP client authenticated as the submitter."""
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {submitter.key}")
    return http
