"""One-statement inserts store what Django's bulk_create would, keys included."""

from decimal import Decimal

import numpy as np
import pytest
from django.forms.models import model_to_dict

from casework.models import FeedEvent, ReviewCase
from core.db import rows_insert, rows_insert_values
from intake.models import ReturnRequest
from scoring.models import Decision
from tests.factories import (
    DecisionFactory,
    ModelVersionFactory,
    PolicyVersionFactory,
    ReturnRequestFactory,
)

pytestmark = pytest.mark.django_db


def decision_and_case():
    """A review decision as the pipeline builds it (numpy scalars, JSON, Decimals) and the
    case it opens, which refers to the decision before the decision has a key."""
    ret = ReturnRequestFactory(status="in_review")
    decision = DecisionFactory.build(
        return_request=ret,
        model_version=ModelVersionFactory(),
        policy_version=PolicyVersionFactory(),
        fraud_probability=np.float64(0.31),
        ood=np.bool_(True),
        cost_approve=Decimal("37.20"),
        prices={"portfolio_lambda": "0.0000", "capacity": None},
        contributions=[{"feature": "order_value", "value": 0.12}],
    )
    case = ReviewCase(return_request=ret, decision=decision, priority=Decimal("-12.80"))
    return decision, case, FeedEvent(return_request=ret, kind="decision")


def stored(obj) -> dict:
    row = model_to_dict(type(obj).objects.get(pk=obj.pk))
    return {k: v for k, v in row.items() if k not in {"id", "return_request", "decision"}}


def test_rows_insert_stores_what_bulk_create_does_and_sets_keys():
    inserted = decision_and_case()
    rows_insert([inserted[0]])
    rows_insert([inserted[1]])
    rows_insert([inserted[2]])
    created = decision_and_case()
    for obj in created:
        type(obj).objects.bulk_create([obj])

    for ours, django in zip(inserted, created, strict=True):
        assert ours.pk is not None
        assert not ours._state.adding
        assert stored(ours).keys() == stored(django).keys()
        differing = {
            name
            for name, value in stored(ours).items()
            if name not in {"created_at", "decided_at", "model_version", "policy_version"}
            and value != stored(django)[name]
        }
        assert not differing
    decision, case, event = inserted
    assert ReviewCase.objects.get(pk=case.pk).decision_id == decision.pk
    assert Decision.objects.get(pk=decision.pk).ood is True
    # A column left to its database default gets it: the transaction's id.
    assert FeedEvent.objects.get(pk=event.pk).xact_id > 0


def test_rows_insert_of_nothing_writes_nothing():
    rows_insert([])
    assert not Decision.objects.exists()


def test_rows_insert_stores_values_json_cannot_write_as_numbers():
    decision, _case, _event = decision_and_case()
    decision.ood_score = float("inf")
    decision.cost_review = Decimal("50.10")
    rows_insert([decision])

    stored_decision = Decision.objects.get(pk=decision.pk)
    assert stored_decision.ood_score == float("inf")
    assert stored_decision.cost_review == Decimal("50.10")
    assert stored_decision.fraud_probability == 0.31


def test_rows_insert_values_stores_what_an_instance_would_with_its_defaults():
    ret = ReturnRequestFactory.build(attributes={"store": "Lyon"}, order_value=Decimal("19.99"))
    ret.client.save()
    ret.customer.client = ret.client
    ret.customer.save()
    given = {
        name: getattr(ret, name)
        for name in ("order_value", "product_category", "payment_method", "return_ratio")
        + ("returns_velocity_30d", "days_since_purchase", "submitted_at", "payload_hash")
        + ("attributes",)
    }

    first, second = rows_insert_values(
        ReturnRequest,
        [
            {"client_id": ret.client.pk, "customer_id": ret.customer.pk, "order_id": "A", **given},
            {"client_id": ret.client.pk, "customer_id": ret.customer.pk, "order_id": "B", **given},
        ],
    )
    saved = ReturnRequest(client=ret.client, customer=ret.customer, order_id="C", **given)
    saved.save()

    assert [ReturnRequest.objects.get(pk=pk).order_id for pk in (first, second)] == ["A", "B"]
    ours, django = stored(ReturnRequest.objects.get(pk=second)), stored(saved)
    assert {name for name in ours if ours[name] != django[name]} == {"order_id", "received_at"}
    assert ours["order_value"] == Decimal("19.99")
    assert ours["currency"] == "USD"
    assert ours["status"] == "pending"
    assert ours["derived_fields"] == []
    assert ours["attributes"] == {"store": "Lyon"}


def test_rows_insert_values_of_nothing_writes_nothing():
    assert rows_insert_values(ReturnRequest, []) == []
    assert not ReturnRequest.objects.exists()


def test_rows_insert_values_refuses_a_value_for_no_field():
    with pytest.raises(TypeError, match="no field customer, order_ref"):
        rows_insert_values(ReturnRequest, [{"order_ref": "A"}, {"customer": 1}])
    assert not ReturnRequest.objects.exists()
