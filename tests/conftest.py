"""Fixtures shared by the whole suite."""

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient

from casework.services.wakeups import listener_stop
from core.choices import ApiRole
from core.services.api_clients import api_client_create, api_key_create

# Generated-input tests are derandomised, so a run is repeatable and a failure reproduces in CI;
# examples share one test's database transaction, which is what the fixtures provide.
settings.register_profile(
    "desk",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("desk")


def iso(moment) -> str:
    """A moment as an API client writes it: ISO 8601 in UTC, with a Z."""
    return moment.isoformat().replace("+00:00", "Z")


def bearer(key: str) -> APIClient:
    """An HTTP client that sends `key` with every request."""
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return http


@pytest.fixture(autouse=True)
def decision_listener_closed():
    """A long-poll listens for decisions on a connection of its own; it is closed after each
    test, since a test database cannot be dropped while it is open."""
    yield
    listener_stop()


@pytest.fixture
def submitter(db):
    client, key = api_client_create(name="shop", role=ApiRole.SUBMITTER)
    client.key = key
    return client


@pytest.fixture
def api(submitter):
    """An HTTP client authenticated as the submitter."""
    return bearer(submitter.key)


@pytest.fixture
def labeler_api(submitter):
    """An HTTP client with a labeler key of the submitter's client: labels need their own key."""
    _, key = api_key_create(client=submitter, name="labels", role=ApiRole.LABELER)
    return bearer(key)


@pytest.fixture
def api_for(db):
    """Opens HTTP clients, each with a new API key: `api_for(ApiRole.REVIEWER, "desk")`."""

    def open_client(role: str, name: str) -> APIClient:
        _, key = api_client_create(name=name, role=role)
        return bearer(key)

    return open_client


@pytest.fixture
def reviewer_api(api_for):
    """An HTTP client authenticated as the desk's reviewer API client."""
    return api_for(ApiRole.REVIEWER, "desk")


@pytest.fixture(scope="session")
def trained_bundle():
    """A model trained once per test session on the shared training data."""
    from django.conf import settings

    from ml.schema import read_returns_csv
    from ml.train import TrainingConfig, train

    return train(read_returns_csv(settings.DEFAULT_TRAINING_DATA), TrainingConfig(random_state=0))


@pytest.fixture
def active_model(db, trained_bundle):
    """The session's model, active, with the audit sample off: the sample draws from order ids,
    so a test's returns would land in it by the luck of their factory sequence. Tests of the
    sample, and the live day, turn it back on."""
    from scoring.services.models import model_version_register
    from scoring.services.tuning import cost_settings_update

    cost_settings_update(actor=None, values={"audit_reviews_per_day": 0})
    return model_version_register(bundle=trained_bundle, training_data="returns_normal.csv")
