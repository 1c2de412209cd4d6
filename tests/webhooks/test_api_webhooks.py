"""The webhook endpoints API with a client's key: its own endpoints only, the secret once,
errors by field, every change audited, and no secret in a log line or the audit trail."""

import logging

import pytest

from core.choices import ApiRole
from core.models import AuditEvent
from core.services.api_clients import api_client_create
from tests.conftest import bearer
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "https://shop.example/hooks"


def create(api, **body):
    return api.post(
        "/api/v1/webhooks",
        {"url": URL, "event_types": ["decision.created"], **body},
        format="json",
    )


def test_an_endpoint_is_made_with_a_secret_shown_once(api):
    made = create(api, description="returns system")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["decision.created"]
    assert body["is_enabled"] is True
    listed = api.get("/api/v1/webhooks").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"/api/v1/webhooks/{body['id']}").json()
    assert AuditEvent.objects.filter(action="webhook.create", object_id=str(body["id"])).exists()


def test_a_client_sees_and_changes_only_its_own_endpoints(api):
    endpoint_id = create(api).json()["id"]
    _, other_key = api_client_create(name="other", role=ApiRole.SUBMITTER)
    other = bearer(other_key)
    assert other.get("/api/v1/webhooks").json() == []
    path = f"/api/v1/webhooks/{endpoint_id}"
    assert other.get(path).status_code == 404
    assert other.patch(path, {"is_enabled": False}, format="json").status_code == 404
    assert other.delete(path).status_code == 404
    assert other.post(f"{path}/rotate").status_code == 404
    assert WebhookEndpoint.objects.get().is_enabled


def test_changes_are_validated_by_field_and_audited(api, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    refused = create(api, url="http://shop.example/hooks")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"url": ["The URL must use https."]}
    refused = create(api, event_types=["model.activated"])
    assert list(refused.json()["errors"]) == ["event_types"]
    assert create(api, secret="mine").json()["errors"] == {"secret": ["Unknown field."]}
    assert list(create(api, url="not a url").json()["errors"]) == ["url"]
    endpoint_id = create(api).json()["id"]
    path = f"/api/v1/webhooks/{endpoint_id}"
    changed = api.patch(
        path, {"event_types": ["case.opened", "case.resolved"], "is_enabled": False}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["event_types"] == ["case.opened", "case.resolved"]
    audit = AuditEvent.objects.get(action="webhook.update")
    assert audit.before["event_types"] == ["decision.created"]
    assert audit.after["is_enabled"] is False
    assert api.patch(path, {"url": "ftp://x"}, format="json").json()["errors"].keys() == {"url"}


def test_removing_an_endpoint_keeps_it_out_of_reach(api):
    endpoint_id = create(api).json()["id"]
    assert api.delete(f"/api/v1/webhooks/{endpoint_id}").status_code == 204
    assert api.get(f"/api/v1/webhooks/{endpoint_id}").status_code == 404
    assert api.get("/api/v1/webhooks").json() == []
    assert AuditEvent.objects.filter(action="webhook.delete").count() == 1


def test_rotation_gives_a_new_secret_and_keeps_the_old_one_signing_a_while(api):
    made = create(api).json()
    rotated = api.post(f"/api/v1/webhooks/{made['id']}/rotate")
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["secret"] != made["secret"]
    assert body["previous_secret_expires_at"] is not None
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.secret, endpoint.previous_secret) == (body["secret"], made["secret"])


def test_secrets_never_reach_the_logs_or_the_audit_trail(api, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    made = create(api).json()
    rotated = api.post(f"/api/v1/webhooks/{made['id']}/rotate").json()
    api.patch(f"/api/v1/webhooks/{made['id']}", {"description": "x"}, format="json")
    logged = caplog.text + "".join(capsys.readouterr())
    audit = str(list(AuditEvent.objects.values_list("before", "after")))
    for secret in (made["secret"], rotated["secret"]):
        assert secret not in logged
        assert secret not in audit


def test_other_keys_may_not_manage_webhooks(labeler_api, reviewer_api):
    for http in (labeler_api, reviewer_api):
        assert http.get("/api/v1/webhooks").status_code == 403
        assert create(http).status_code == 403
