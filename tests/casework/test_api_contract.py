"""The published OpenAPI schema is the API's contract: schemathesis generates requests from it,
for every operation, as each API role, under `make run`'s settings and production's, and every
check must pass — a request the schema allows is accepted, one it forbids is refused, and every
answer (errors included) is one the schema documents, in JSON.

The app runs in this process (WSGI), inside the test's database transaction: the keys and the
cases it works are made through the desk's own services and factories. Each settings profile is
what config.settings.local or config.settings.production sets otherwise than the test settings
(settings_profile), applied with `override_settings` to a fresh WSGI handler, so its middleware
reads them.
"""

import importlib
import os
import uuid
from datetime import timedelta

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from hypothesis import settings

from casework.services.review import case_claim
from core.choices import ApiRole
from core.services.api_clients import api_client_create
from intake.choices import AttributeType
from tests.conftest import iso
from tests.factories import AttributeDefinitionFactory, ReviewCaseFactory

# Per operation, examples and fuzzing each; the coverage phase adds its own boundary cases.
# `make test` tries 25; the deeper pass is
#   CONTRACT_EXAMPLES=60 make test PYTEST_ARGS=tests/casework/test_api_contract.py
EXAMPLES_PER_OPERATION = int(os.environ.get("CONTRACT_EXAMPLES", "25"))

# Where the servers run from, not how the API answers: the test suite's own values stay.
WHERE_IT_RUNS = {"SECRET_KEY", "ALLOWED_HOSTS", "MODEL_ARTIFACT_DIR", "STORAGES", "LOGGING"}
# Production reads these from the environment; a minimal one, as deploy/ sets it.
PRODUCTION_ENVIRONMENT = {"SECRET_KEY": "contract-suite-key", "ALLOWED_HOSTS": "testserver"}


def settings_profile(module_name: str) -> dict:
    """Every setting `module_name` gives otherwise than the test suite's settings, bar those in
    WHERE_IT_RUNS: what `make run` (config.settings.local) or production changes in what the
    API answers, read from the settings modules themselves rather than listed here."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in PRODUCTION_ENVIRONMENT.items():
            env.setenv(name, os.environ.get(name, value))
        module = importlib.import_module(module_name)
    return {
        name: value
        for name in dir(module)
        if name.isupper()
        and name not in WHERE_IT_RUNS
        and getattr(django_settings, name, object()) != (value := getattr(module, name))
    }


SETTINGS_PROFILES = {
    "make-run": settings_profile("config.settings.local"),
    "production": settings_profile("config.settings.production"),
}
FORWARDED_HTTPS = {"X-Forwarded-Proto": "https"}
SEEDED_CASES = 6
NOT_IN_THE_FUTURE = {"submitted_at", "observed_at"}


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32 names each operation's subtest by rewriting `node._nodeid`, an
    # attribute pytest 9 no longer has.
    request.node._nodeid = str(request.node.nodeid)


@pytest.fixture(params=list(SETTINGS_PROFILES))
def app(request, monkeypatch):
    # Requests share the test's connection, inside its transaction, which a finished request or
    # a long-poll must not close as obsolete (Django's test client does the same).
    monkeypatch.setattr(BaseDatabaseWrapper, "close_if_unusable_or_obsolete", lambda self: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with override_settings(**SETTINGS_PROFILES[request.param]):
            yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=ApiRole.values)
def auth_headers(request, db):
    _, key = api_client_create(name=f"contract-{request.param}", role=request.param)
    return {"Authorization": f"Bearer {key}", **FORWARDED_HTTPS}


@pytest.fixture
def seeded_case_ids(db, auth_headers):
    """Open cases, and cases this key holds, so claims and verdicts can succeed."""
    cases = [ReviewCaseFactory() for _ in range(SEEDED_CASES)]
    from core.models import ApiClient

    holder = ApiClient.objects.latest("pk")
    for case in cases[: SEEDED_CASES // 2]:
        case_claim(case_id=case.pk, actor=holder)
    return [case.pk for case in cases]


@pytest.fixture
def declared_attributes(db):
    """One attribute of each type, so the schema states them and generated returns carry them."""
    for kind in AttributeType.values:
        AttributeDefinitionFactory(name=f"signal_{kind}", type=kind)


@pytest.fixture
def api_schema(app, auth_headers, declared_attributes):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=auth_headers)


schema = schemathesis.pytest.from_fixture("api_schema")


def not_in_the_future(body, *, positive: bool):
    """OpenAPI cannot bound a date-time by the server's clock: the fields that refuse a future
    moment (and `submitted_at` one older than the accepted age) say so in their description,
    and this moves a generated moment outside those bounds to yesterday."""
    if not isinstance(body, dict):
        return
    now = timezone.now()
    for name in NOT_IN_THE_FUTURE & body.keys():
        try:
            moment = parse_datetime(body[name]) if isinstance(body[name], str) else None
        except ValueError:
            # Well formed but no moment (minute 60): a valid date-time to the generator only.
            if positive:
                body[name] = iso(now - timedelta(days=1))
            continue
        if moment is None or moment.tzinfo is None:
            continue
        too_old = name == "submitted_at" and moment < now - django_settings.SUBMITTED_AT_MAX_AGE
        if moment > now or too_old:
            body[name] = iso(now - timedelta(days=1))


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION)
def test_api_keeps_its_published_contract(case, auth_headers, seeded_case_ids):
    case_id = (case.path_parameters or {}).get("case_id")
    if isinstance(case_id, int):
        # Most generated ids name no case (a 404); send most of them to a seeded case instead.
        slots = [*seeded_case_ids, case_id]
        case.path_parameters["case_id"] = slots[case_id % len(slots)]
    if case.query and "after" in case.query and case.meta.generation.mode.is_positive:
        # A cursor is valid only if the list gave it out, which a schema cannot describe.
        del case.query["after"]
    positive = case.meta.generation.mode.is_positive
    not_in_the_future(case.body, positive=positive)
    if case.headers and "Idempotency-Key" in case.headers:
        # A key names one request; generated cases would reuse it with other bodies, which is
        # the documented 422, not a request a client means.
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    if positive and isinstance(case.body, dict) and case.body.get("kind") == "inspection":
        # A failed inspection needs a reason and a passed one has none: again a rule between
        # two fields that the reason's description states.
        if case.body.get("result") == "passed":
            case.body.pop("reason", None)
        elif case.body.get("result") == "failed":
            case.body.setdefault("reason", "empty_box")
    if isinstance(case.body, dict) and case.body.get("verdict") == "legitimate":
        # Holding the customer needs a fraud verdict: a rule between two fields, which the
        # field's description states and OpenAPI 3.0 cannot.
        case.body.pop("hold_customer", None)
    case.call_and_validate(headers=auth_headers)
