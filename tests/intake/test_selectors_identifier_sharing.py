"""How many other customers the desk saw with a return's identifier: the same numbers over stored
returns (live scoring, the replay) as over a training file (ml.history)."""

from datetime import timedelta

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.models import ReturnRequest
from intake.selectors import returns_identifier_sharing
from ml.history import identifier_sharing, with_shared_identifiers
from tests.factories import ApiClientFactory, CustomerFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db


def test_identifier_sharing_counts_other_customers_in_the_window_before_each_row():
    day = 86_400.0
    shared = identifier_sharing(
        customer=["A", "B", "A", "C", "D", "B", "E"],
        at=[0, 10, 20, 30, 31 * day, 31 * day + 1, 31 * day + 2],
        identifier=["d1", "d1", "d1", None, "d1", "d1", ""],
    )
    # A's second return: B before it; D, a month on, sees no one; B's return then sees D.
    assert shared.tolist() == [0, 1, 1, 0, 0, 1, 0]


def test_stored_returns_give_the_numbers_a_training_file_gives():
    now = timezone.now()
    shop = ApiClientFactory()
    rows = [
        ("A", "dev-1", 50),
        ("B", "dev-1", 40),
        ("B", "dev-2", 30),
        ("C", None, 20),
        ("C", "dev-1", 10),
        ("A", "dev-1", 0),
    ]
    stored = []
    for who, device, hours_ago in rows:
        r = ReturnRequestFactory(
            client=shop,
            customer=CustomerFactory(client=shop, external_id=who),
            attributes={"device_id": device} if device else {},
        )
        ReturnRequest.objects.filter(pk=r.pk).update(received_at=now - timedelta(hours=hours_ago))
        r.refresh_from_db()
        stored.append(r)
    # Another retailer's equal device id is not this retailer's device.
    ReturnRequestFactory(attributes={"device_id": "dev-1"})

    with CaptureQueriesContext(connection) as queries:
        live = returns_identifier_sharing(returns=stored, names=["device_id"])
    assert len(queries) == 1
    frame = pd.DataFrame(
        {
            "customer_id": [who for who, _, _ in rows],
            "attr_device_id": [device or "" for _, device, _ in rows],
            "submitted_at": [(now - timedelta(hours=h)).isoformat() for _, _, h in rows],
        }
    )
    trained = with_shared_identifiers(frame, ["device_id"])["desk_shared_device_id"].tolist()
    assert [row["desk_shared_device_id"] for row in live] == trained == [0, 1, 0, 0, 2, 2]
