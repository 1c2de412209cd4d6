"""The typed client against the OpenAPI schema drf-spectacular generates: every request it makes
is an operation the schema has, with only parameters and body fields the schema names, and every
response field its dataclasses read is one the schema documents."""

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from drf_spectacular.generators import SchemaGenerator

from deskclient import client as deskclient_module
from deskclient.client import DeskClient

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
# Each dataclass and the schema component it reads; a JSON name differs only for "return".
COMPONENTS = {
    deskclient_module.Return: "ReturnOutput",
    deskclient_module.Decision: "Decision",
    deskclient_module.Reason: "Reason",
    deskclient_module.ActionCosts: "ActionCosts",
    deskclient_module.BudgetState: "BudgetState",
    deskclient_module.ReturnCase: "ReturnCase",
    deskclient_module.BatchItemResult: "BatchItemResult",
    deskclient_module.FeedEvent: "DecisionFeedEvent",
    deskclient_module.OutcomeEvent: "OutcomeEventOutput",
    deskclient_module.OutcomeBatchItemResult: "OutcomeBatchItemResult",
    deskclient_module.Label: "LabelOutput",
}
JSON_NAMES = {"return_": "return"}


class Sent(Exception):
    """Stops a call once its request is recorded."""


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(schema, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def body_properties(schema, node: dict, body: dict) -> set[str]:
    """The properties the schema allows for `body`; of a oneOf, those of the variant `body`'s
    discriminator names."""
    node = resolve(schema, node)
    if "oneOf" in node:
        mapping = node["discriminator"]["mapping"]
        key = body[node["discriminator"]["propertyName"]]
        return body_properties(schema, {"$ref": mapping[key]}, body)
    return set(node["properties"])


def operation_for(schema, method: str, path: str) -> dict:
    """The operation whose path template matches `path`, a `{name}` segment matching any one."""
    segments = path.split("/")
    for template, operations in schema["paths"].items():
        parts = template.split("/")
        matches = len(parts) == len(segments) and all(
            part == segment or (part.startswith("{") and segment)
            for part, segment in zip(parts, segments, strict=True)
        )
        if matches and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the schema")


CALLS = {
    "submit_return": lambda desk: desk.submit_return(
        "A-1",
        "C-9",
        Decimal("129.99"),
        "Toys",
        "PayPal",
        3,
        return_ratio=0.1,
        returns_velocity_30d=2,
        currency="USD",
        submitted_at=NOW,
        idempotency_key="k-1",
    ),
    "submit_batch": lambda desk: desk.submit_batch([{"order_id": "A-1"}], idempotency_key="k-2"),
    "get_return": lambda desk: desk.get_return("A-1", wait=2),
    "wait_for_decision": lambda desk: desk.wait_for_decision("A-1", timeout=5),
    "decisions": lambda desk: next(desk.decisions(after="12:34", limit=10)),
    "send_outcome inspection": lambda desk: desk.send_outcome(
        "wh-1", "A-1", "inspection", NOW, result="failed", reason="empty_box"
    ),
    "send_outcome carrier_scan": lambda desk: desk.send_outcome(
        "sc-1", "A-1", "carrier_scan", NOW, status="lost"
    ),
    "send_outcome chargeback": lambda desk: desk.send_outcome(
        "cb-1", "A-1", "chargeback", NOW, amount=Decimal("10.00"), reason_code="10.4"
    ),
    "send_outcome customer_service": lambda desk: desk.send_outcome(
        "cs-1", "A-1", "customer_service", NOW, note="called", fraud_confirmed=True
    ),
    "send_outcomes": lambda desk: desk.send_outcomes([{"event_id": "wh-1"}]),
    "send_label": lambda desk: desk.send_label("A-1", True, "chargeback", NOW),
}


def test_every_public_method_is_checked():
    public = {
        name
        for name, member in vars(DeskClient).items()
        if callable(member) and not name.startswith("_")
    }
    assert public == {name.split()[0] for name in CALLS}


@pytest.mark.parametrize("call", list(CALLS))
def test_each_request_is_an_operation_of_the_schema_with_fields_it_names(schema, monkeypatch, call):
    sent = {}

    def record(request, timeout):
        sent.update(
            method=request.get_method(),
            url=request.full_url,
            headers=dict(request.header_items()),
            body=request.data,
        )
        raise Sent

    monkeypatch.setattr(deskclient_module.urllib.request, "urlopen", record)
    with pytest.raises(Sent):
        CALLS[call](DeskClient("http://desk.test/", "key"))

    url = urlsplit(sent["url"])
    operation = operation_for(schema, sent["method"], url.path)
    named = {(p["in"], p["name"].lower()) for p in operation.get("parameters", [])}
    for name, _ in parse_qsl(url.query):
        assert ("query", name) in named, f"query parameter {name} of {call}"
    for header in sent["headers"]:
        if header.lower() not in ("authorization", "accept", "content-type"):
            assert ("header", header.lower()) in named, f"header {header} of {call}"
    if sent["body"] is not None:
        body = json.loads(sent["body"])
        content = operation["requestBody"]["content"]["application/json"]["schema"]
        allowed = body_properties(schema, content, body)
        assert set(body) <= allowed, f"{call} sends {set(body) - allowed}"
        for name, node in resolve(schema, content).get("properties", {}).items():
            if node.get("type") == "array" and name in body:
                assert isinstance(body[name], list)


@pytest.mark.parametrize("dataclass", list(COMPONENTS), ids=lambda cls: cls.__name__)
def test_each_response_field_the_client_reads_is_in_the_schema(schema, dataclass):
    component = schema["components"]["schemas"][COMPONENTS[dataclass]]
    read = {JSON_NAMES.get(field.name, field.name) for field in dataclasses.fields(dataclass)}
    assert read <= set(component["properties"]), read - set(component["properties"])
