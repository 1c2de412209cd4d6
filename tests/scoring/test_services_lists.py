"""Allow and block lists: entries with a reason, an author and an expiry, CSV in and out, every
change audited, and rules that name a list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from casework.services.pipeline import returns_decide_pending
from core.models import AuditEvent
from intake.choices import AttributeType
from scoring.models import Decision, ListEntry
from scoring.rules import RuleInvalid
from scoring.services.lists import (
    list_create,
    list_entries_csv,
    list_entries_upload,
    list_entry_put,
    list_entry_remove,
)
from scoring.services.rules import rule_publish, rule_save
from tests.factories import (
    AttributeDefinitionFactory,
    CustomerFactory,
    ReturnRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead():
    return UserFactory(username="lee", role="lead")


@pytest.fixture
def blocked(lead):
    return list_create(actor=lead, name="blocked", kind="block")


def test_every_change_to_a_list_is_audited_with_before_and_after(lead, blocked):
    entry = list_entry_put(actor=lead, rule_list=blocked, value=" C-1 ", reason="chargebacks")
    list_entry_put(
        actor=lead, rule_list=blocked, value="C-1", reason="ring", expires_at="2999-01-31"
    )
    list_entry_remove(actor=lead, entry=ListEntry.objects.get(pk=entry.pk))
    events = list(AuditEvent.objects.filter(action__startswith="list.").order_by("id"))
    assert [e.action for e in events] == [
        "list.create",
        "list.entry_add",
        "list.entry_update",
        "list.entry_remove",
    ]
    assert events[1].after == {
        "list": "blocked",
        "value": "C-1",
        "reason": "chargebacks",
        "expires_at": None,
    }
    assert events[2].before["reason"] == "chargebacks"
    assert events[2].after["expires_at"].startswith("2999-01-31")
    assert events[3].before["reason"] == "ring"
    assert all(e.actor == lead for e in events)
    assert not ListEntry.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "", "reason": "x"}, "value"),
        ({"value": "C-1", "reason": "   "}, "reason"),
        ({"value": "C-1", "reason": "x", "expires_at": "soon"}, "expires_at"),
        ({"value": "C-1", "reason": "x", "expires_at": "2001-01-01"}, "expires_at"),
    ],
)
def test_a_bad_entry_names_its_field(lead, blocked, fields, field):
    with pytest.raises(RuleInvalid) as raised:
        list_entry_put(actor=lead, rule_list=blocked, **fields)
    assert field in raised.value.errors


def test_csv_download_reads_back_as_an_upload(lead, blocked):
    uploaded = b"\xef\xbb\xbfvalue,reason,expires_at\nC-1,ring,\nC-2,chargeback,2999-01-01\n"
    assert list_entries_upload(actor=lead, rule_list=blocked, data=uploaded) == 2
    text = list_entries_csv(rule_list=blocked)
    assert text.splitlines()[0] == "value,reason,expires_at"
    other = list_create(actor=lead, name="copy", kind="allow")
    assert list_entries_upload(actor=lead, rule_list=other, data=text.encode()) == 2
    assert list_entries_csv(rule_list=other) == text


def test_an_upload_with_a_bad_row_puts_nothing_and_names_the_line(lead, blocked):
    with pytest.raises(RuleInvalid) as raised:
        list_entries_upload(actor=lead, rule_list=blocked, data=b"value,reason\nC-1,ring\nC-2,\n")
    assert raised.value.errors == {"line 3, reason": "1 to 500 printable characters"}
    assert not ListEntry.objects.exists()


@given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_any_upload_is_taken_or_refused_with_named_errors(lead, blocked, data):
    try:
        list_entries_upload(actor=lead, rule_list=blocked, data=b"value,reason\n" + data)
    except RuleInvalid as exc:
        errors = exc.errors
    else:
        errors = None
    assert errors is None or all(isinstance(key, str) for key in errors)


def test_a_rule_in_a_block_list_fires_until_the_entry_expires(active_model, lead, blocked):
    customer = CustomerFactory(external_id="C-BAD")
    entry = list_entry_put(
        actor=lead, rule_list=blocked, value="C-BAD", reason="ring", expires_at="2999-01-01"
    )
    rule = rule_save(
        actor=lead,
        name="Blocked customers",
        definition={
            "when": {"all": [{"field": "customer_id", "op": "in_list", "value": "blocked"}]},
            "effect": {"type": "force_reject"},
        },
    )
    rule_publish(actor=lead, rule=rule, mode="live")
    first = ReturnRequestFactory(customer=customer, order_value=Decimal("30.00"))
    returns_decide_pending()
    assert Decision.objects.get(return_request=first).action == "reject"
    decision = Decision.objects.get(return_request=first)
    # The block list itself rejects first; the rule naming it fires too.
    assert decision.reasons[0]["code"] == "on_list"
    assert [fired["name"] for fired in decision.rules_fired] == ["Blocked customers"]

    ListEntry.objects.filter(pk=entry.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    second = ReturnRequestFactory(customer=customer, order_value=Decimal("30.00"))
    returns_decide_pending()
    assert Decision.objects.get(return_request=second).action == "approve"


def test_a_rule_may_name_only_a_list_that_exists(lead):
    with pytest.raises(RuleInvalid) as raised:
        rule_save(
            actor=lead,
            name="Blocked customers",
            definition={
                "when": {"all": [{"field": "customer_id", "op": "in_list", "value": "nope"}]},
                "effect": {"type": "force_reject"},
            },
        )
    assert raised.value.errors == {"when.all[0].value": "the name of an existing list"}


def test_a_block_listed_device_is_rejected_on_list_through_the_api(api, active_model, lead):
    AttributeDefinitionFactory(name="device_id", type=AttributeType.IDENTIFIER)
    devices = list_create(
        actor=lead, name="bad devices", kind="block", field="attributes.device_id"
    )
    list_entry_put(actor=lead, rule_list=devices, value="dev-ring-1", reason="shared by a ring")
    lapsed = list_entry_put(
        actor=lead, rule_list=devices, value="dev-lapsed", reason="was shared", expires_at=""
    )
    ListEntry.objects.filter(pk=lapsed.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    trusted = list_create(
        actor=lead, name="good devices", kind="allow", field="attributes.device_id"
    )
    list_entry_put(actor=lead, rule_list=trusted, value="dev-ring-1", reason="an allow list alone")
    body = {
        "customer_id": "C-NEW",
        "order_value": "30.00",
        "product_category": "Toys",
        "payment_method": "PayPal",
        "days_since_purchase": 3,
    }
    devices_sent = {"D-1": "dev-ring-1", "D-2": "dev-other", "D-3": "dev-lapsed"}
    for order_id, device in devices_sent.items():
        response = api.post(
            "/api/v1/returns",
            {**body, "order_id": order_id, "attributes": {"device_id": device}},
            format="json",
        )
        assert response.status_code == 202

    returns_decide_pending()

    blocked = api.get("/api/v1/returns/D-1").json()["decision"]
    assert blocked["action"] == "reject"
    assert blocked["reasons"][0]["code"] == "on_list"
    assert blocked["reasons"][0]["text"] == (
        "attributes.device_id dev-ring-1 is on the block list bad devices"
    )
    for order_id in ("D-2", "D-3"):  # not listed, or no longer
        assert Decision.objects.get(return_request__order_id=order_id).action == "approve"
    assert (
        AuditEvent.objects.get(action="list.create", after__name="bad devices").after["field"]
        == "attributes.device_id"
    )


def test_a_block_list_outranks_a_rule_that_forces_approval(api, active_model, lead):
    blocked = list_create(actor=lead, name="blocked", kind="block")
    list_entry_put(actor=lead, rule_list=blocked, value="C-BAD", reason="chargebacks")
    rule = rule_save(
        actor=lead,
        name="Small toys pass",
        definition={
            "when": {"all": [{"field": "order_value", "op": "lt", "value": 100}]},
            "effect": {"type": "force_approve"},
        },
    )
    rule_publish(actor=lead, rule=rule, mode="live")
    response = api.post(
        "/api/v1/returns",
        {
            "order_id": "B-1",
            "customer_id": "C-BAD",
            "order_value": "30.00",
            "product_category": "Toys",
            "payment_method": "PayPal",
            "days_since_purchase": 3,
        },
        format="json",
    )
    assert response.status_code == 202

    returns_decide_pending()

    decision = Decision.objects.get(return_request__order_id="B-1")
    assert decision.action == "reject"
    codes = [reason["code"] for reason in decision.reasons]
    assert codes[0] == "on_list"
    assert "rule" in codes


def test_a_list_holds_customer_ids_or_a_text_attribute_only(lead):
    AttributeDefinitionFactory(name="device_id", type=AttributeType.IDENTIFIER)
    AttributeDefinitionFactory(name="account_age_days", type=AttributeType.NUMBER)
    for field in ("attributes.account_age_days", "attributes.nope", "order_value"):
        with pytest.raises(RuleInvalid) as refused:
            list_create(actor=lead, name=f"list of {field}", kind="block", field=field)
        assert refused.value.errors == {"field": "one of customer_id, attributes.device_id"}
