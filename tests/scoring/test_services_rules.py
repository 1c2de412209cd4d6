"""Saving and publishing rules: audited, carried by a policy version, and fired by the worker."""

from decimal import Decimal

import pytest

from casework.services.pipeline import returns_decide_pending
from core.models import AuditEvent
from scoring.models import Decision, Rule
from scoring.rules import RuleInvalid
from scoring.services.policies import policy_version_current
from scoring.services.rules import rule_publish, rule_save
from tests.factories import ReturnRequestFactory, UserFactory

ELECTRONICS_OVER_500 = {
    "when": {
        "all": [
            {"field": "product_category", "op": "eq", "value": "Electronics"},
            {"field": "order_value", "op": "gt", "value": "500"},
        ]
    },
    "effect": {"type": "probability_floor", "value": "0.25"},
}


@pytest.fixture
def lead(db):
    return UserFactory(username="lead-rules", role="lead")


@pytest.mark.django_db
def test_saving_a_rule_is_audited_and_changes_no_decision(lead):
    rule = rule_save(actor=lead, name=" Electronics over $500 ", definition=ELECTRONICS_OVER_500)
    assert rule.name == "Electronics over $500"
    assert rule.definition["when"]["all"][1]["value"] == 500.0
    assert rule.published is None
    assert rule.has_draft
    event = AuditEvent.objects.get(action="rule.create")
    assert (event.actor, event.before, event.after["name"]) == (lead, None, rule.name)
    assert policy_version_current().snapshot["rules"] == []

    edited = {**ELECTRONICS_OVER_500, "effect": {"type": "force_review"}}
    rule_save(actor=lead, rule=rule, name=rule.name, definition=edited)
    update = AuditEvent.objects.get(action="rule.update")
    assert update.before["definition"]["effect"]["type"] == "probability_floor"
    assert update.after["definition"]["effect"] == {"type": "force_review"}


@pytest.mark.django_db
def test_an_invalid_rule_names_each_field_and_saves_nothing(lead):
    rule_save(actor=lead, name="Taken", definition=ELECTRONICS_OVER_500)
    with pytest.raises(RuleInvalid) as raised:
        rule_save(actor=lead, name="", definition={"when": {"all": []}, "effect": {}})
    assert {"name", "when.all", "effect.type"} <= set(raised.value.errors)
    with pytest.raises(RuleInvalid) as raised:
        rule_save(actor=lead, name="Taken", definition=ELECTRONICS_OVER_500)
    assert raised.value.errors == {"name": "another rule has this name"}
    assert Rule.objects.count() == 1


@pytest.mark.django_db
def test_publishing_puts_the_rule_version_in_a_new_policy_version_with_an_audit(lead):
    rule = rule_save(actor=lead, name="Electronics over $500", definition=ELECTRONICS_OVER_500)
    version = rule_publish(actor=lead, rule=rule, mode="live")
    rule.refresh_from_db()
    assert version == policy_version_current()
    assert version.snapshot["rules"] == [
        {
            "id": rule.pk,
            "version": 1,
            "mode": "live",
            "name": "Electronics over $500",
            "definition": rule.definition,
        }
    ]
    event = AuditEvent.objects.get(action="rule.publish")
    assert (event.before["published"], event.after["published"]["version"]) == (None, 1)
    assert (
        AuditEvent.objects.get(action="policy.publish", object_id=str(version.pk)).after["rules"]
        == version.snapshot["rules"]
    )
    assert not rule.has_draft

    rule_publish(actor=lead, rule=rule, mode="off")
    assert policy_version_current().snapshot["rules"] == []


@pytest.mark.django_db
def test_a_live_rule_fires_on_the_workers_decision(active_model, lead):
    rule = rule_save(actor=lead, name="Electronics over $500", definition=ELECTRONICS_OVER_500)
    hit = ReturnRequestFactory(product_category="Electronics", order_value=Decimal("600.00"))
    miss = ReturnRequestFactory(product_category="Electronics", order_value=Decimal("400.00"))
    rule_publish(actor=lead, rule=rule, mode="live")
    returns_decide_pending()
    decision = Decision.objects.get(return_request=hit)
    assert decision.rules_fired == [
        {"rule": rule.pk, "version": 1, "name": "Electronics over $500", "shadow": False}
    ]
    assert decision.probability_used >= 0.25
    assert decision.cost_approve >= Decimal("150.00")
    assert decision.action != "approve"
    assert {
        "code": "rule",
        "rule": "Electronics over $500",
        "text": "Electronics over $500: fraud probability priced at no less than 0.25",
    } in decision.reasons
    assert Decision.objects.get(return_request=miss).rules_fired == []


@pytest.mark.django_db
def test_a_shadow_rule_records_its_hits_without_changing_the_action(active_model, lead):
    forced = {**ELECTRONICS_OVER_500, "effect": {"type": "force_reject"}}
    rule = rule_save(actor=lead, name="Reject big electronics", definition=forced)
    rule_publish(actor=lead, rule=rule, mode="shadow")
    hit = ReturnRequestFactory(product_category="Electronics", order_value=Decimal("520.00"))
    returns_decide_pending()
    decision = Decision.objects.get(return_request=hit)
    assert decision.rules_fired == [
        {"rule": rule.pk, "version": 1, "name": "Reject big electronics", "shadow": True}
    ]
    assert decision.action != "reject"
    assert all(reason["code"] != "rule" for reason in decision.reasons)

    rule_publish(actor=lead, rule=rule, mode="live")
    again = ReturnRequestFactory(product_category="Electronics", order_value=Decimal("520.00"))
    returns_decide_pending()
    assert Decision.objects.get(return_request=again).action == "reject"


@pytest.mark.django_db
def test_the_api_shows_the_rule_among_the_reasons(active_model, api, lead):
    rule = rule_save(actor=lead, name="Electronics over $500", definition=ELECTRONICS_OVER_500)
    rule_publish(actor=lead, rule=rule, mode="live")
    body = {
        "order_id": "ORD-RULE-1",
        "customer_id": "C-1",
        "order_value": "650.00",
        "product_category": "Electronics",
        "payment_method": "Credit Card",
        "return_ratio": 0.2,
        "returns_velocity_30d": 0,
        "days_since_purchase": 10,
    }
    assert api.post("/api/v1/returns", body, format="json").status_code == 202
    returns_decide_pending()
    reasons = api.get("/api/v1/returns/ORD-RULE-1").json()["decision"]["reasons"]
    assert {
        "code": "rule",
        "rule": "Electronics over $500",
        "text": "Electronics over $500: fraud probability priced at no less than 0.25",
    } in reasons
    assert all("rule" in reason for reason in reasons if reason["code"] == "rule")
    assert all("rule" not in reason for reason in reasons if reason["code"] != "rule")
