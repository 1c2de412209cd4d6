"""bench_queue's seed SQL writes the desk's current tables, with every column they require."""

import io

import pytest

from casework.management.commands.bench_queue import Command
from casework.models import ReviewCase
from intake.models import Customer


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bench_queue_seeds_customers_of_its_client_and_times_the_queue():
    out = io.StringIO()
    command = Command(stdout=out)

    command._run(returns=40, case_every=4, repeat=1)

    assert set(Customer.objects.values_list("client__name", flat=True)) == {"bench"}
    assert ReviewCase.objects.exclude(status="resolved").count() == 10
    assert "next case (claim)" in out.getvalue()
