"""`__any`: a list sent as one array parameter finds what `__in` finds."""

import pytest
from django.db import connection

from intake.models import ReturnRequest
from tests.factories import ReturnRequestFactory

pytestmark = pytest.mark.django_db


def test_any_finds_what_in_finds_on_a_column_a_relation_and_across_a_join():
    returns = ReturnRequestFactory.create_batch(4)
    wanted = [returns[0].pk, returns[2].pk]
    customers = [returns[1].customer_id, returns[3].customer_id]

    def found(**lookup):
        return set(ReturnRequest.objects.filter(**lookup).values_list("pk", flat=True))

    assert found(pk__any=wanted) == found(pk__in=wanted) == set(wanted)
    assert found(customer_id__any=customers) == found(customer_id__in=customers)
    assert found(customer__client_id__any=[returns[3].client_id]) == {returns[3].pk}
    assert found(pk__any=[]) == set()


def test_any_sends_the_list_as_one_parameter():
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        list(ReturnRequest.objects.filter(pk__any=list(range(1, 301))))
        list(ReturnRequest.objects.filter(pk__in=list(range(1, 301))))
    assert [len(params) for params in sent] == [1, 300]
