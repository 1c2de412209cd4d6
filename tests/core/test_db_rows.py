"""One-statement inserts store what Django's bulk_create would, keys included."""

from decimal import Decimal

import numpy as np
import pytest
from django.forms.models import model_to_dict

from casework.models import FeedEvent, ReviewCase
from core.db import rows_insert
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
