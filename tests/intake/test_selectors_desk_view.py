from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.models import ReturnRequest
from intake.selectors import returns_desk_view
from tests.factories import ApiClientFactory, CustomerFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db


def received(return_request, at):
    ReturnRequest.objects.filter(pk=return_request.pk).update(received_at=at)
    return_request.refresh_from_db()
    return return_request


def test_the_desk_counts_a_customers_earlier_returns_by_when_it_received_them():
    now = timezone.now()
    shop = ApiClientFactory()
    customer = CustomerFactory(client=shop, external_id="C-1")
    # The same id at another retailer is another person.
    other = CustomerFactory(client=ApiClientFactory(), external_id="C-1")
    for hours, value, who in [(40 * 24, "5.00", customer), (30, "10.00", customer)]:
        received(
            ReturnRequestFactory(client=shop, customer=who, order_value=Decimal(value)),
            now - timedelta(hours=hours),
        )
    received(ReturnRequestFactory(client=other.client, customer=other), now - timedelta(hours=2))
    received(ReturnRequestFactory(client=shop, customer=customer), now - timedelta(hours=3))
    # Backdated by the client to a month ago: the desk goes by its own receipt.
    batch = [
        received(
            ReturnRequestFactory(
                client=shop,
                customer=customer,
                returns_velocity_30d=0,
                submitted_at=now - timedelta(days=29),
            ),
            now,
        )
    ]

    with CaptureQueriesContext(connection) as queries:
        (view,) = returns_desk_view(returns=batch)

    assert len(queries) == 1
    assert view["desk_returns_24h"] == 1
    assert view["desk_returns_30d"] == 2
    assert view["desk_value_30d"] == 130.0
    assert view["desk_hours_since_previous"] == pytest.approx(3.0)
    assert view["desk_velocity_gap"] == 2


def test_returns_of_one_batch_count_for_the_ones_received_after_them():
    now = timezone.now()
    customer = CustomerFactory()
    batch = [
        received(
            ReturnRequestFactory(client=customer.client, customer=customer),
            now + timedelta(minutes=i),
        )
        for i in range(3)
    ]
    views = returns_desk_view(returns=list(reversed(batch)))
    assert [v["desk_returns_24h"] for v in views] == [2, 1, 0]
