"""manage.py import_outcomes: an outcome file for one client's returns, row by row, with a
summary; importing it again records nothing twice."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from budgets.models import LedgerEntry
from casework.models import Label, OutcomeEvent
from tests.factories import ApiClientFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "event_id,order_id,kind,observed_at,"
    "status,result,reason,amount,reason_code,note,fraud_confirmed,extra\n"
)


def test_import_records_each_kind_and_reports_the_rest_by_line(tmp_path):
    shop = ApiClientFactory(name="csv-import")
    ours = ReturnRequestFactory(client=shop, order_id="A-1", status="decided", outcome="rejected")
    ReturnRequestFactory(client=ApiClientFactory(), order_id="B-1")
    path = tmp_path / "outcomes.csv"
    path.write_text(
        HEADER
        + "scan-1,A-1,carrier_scan,2025-03-01T10:00:00Z,delivered_to_warehouse,,,,,,,x\n"
        + "wh-1,A-1,inspection,2025-03-02T10:00:00Z,,failed,empty_box,,,,,\n"
        + "wh-1,A-1,inspection,2025-03-02T10:00:00Z,,failed,empty_box,,,,,\n"
        + "wh-1,A-1,inspection,2025-03-02T10:00:00Z,,failed,damaged,,,,,\n"
        + "pay-1,B-1,chargeback,2025-03-03T10:00:00Z,,,,50.00,10.4,,,\n"
        + "cs-1,A-1,customer_service,2025-03-04T10:00:00Z,,,,,,Called,maybe,\n"
        + "wh-2,A-1,inspection,2025-03-05T10:00:00Z,lost,failed,,,,,,\n"
        + "cs-2,A-1,customer_service,2025-03-06T10:00:00Z,,,,,,Admitted it,TRUE,\n"
    )
    out = StringIO()

    call_command("import_outcomes", str(path), stdout=out)

    text = out.getvalue()
    assert (
        "recorded 3 (truth changed on 1 returns), duplicate 1, conflict 1, unknown order 1, "
        "invalid 2" in text
    )
    assert "line 5 wh-1: {'event_id': ['Already sent with a different body.']}" in text
    assert "line 6 pay-1: {'order_id': ['No such return for this client.']}" in text
    assert "line 7 cs-1: {'fraud_confirmed': ['Expected true or false.']}" in text
    assert "line 8 wh-2: {'status': ['Unknown field.']}" in text
    assert sorted(OutcomeEvent.objects.values_list("event_id", flat=True)) == [
        "cs-2",
        "scan-1",
        "wh-1",
    ]
    assert [(label.source, label.outcome_event.event_id) for label in ours.labels.all()] == [
        ("customer_service", "cs-2"),
        ("inspection", "wh-1"),
    ]

    again = StringIO()
    call_command("import_outcomes", str(path), stdout=again)
    assert "recorded 0 (truth changed on 0 returns), duplicate 4," in again.getvalue()
    assert OutcomeEvent.objects.count() == 3
    assert Label.objects.count() == 2


def test_an_imported_empty_box_on_an_approved_return_books_the_realized_loss(tmp_path):
    shop = ApiClientFactory(name="warehouse-shop")
    approved = ReturnRequestFactory(
        client=shop, order_id="A-9", status="decided", outcome="approved", order_value="64.00"
    )
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "event_id,order_id,kind,observed_at,result,reason\n"
        "wh-9,A-9,inspection,2025-03-02T10:00:00Z,failed,empty_box\n"
    )
    call_command("import_outcomes", str(path), "--client", "warehouse-shop", stdout=StringIO())
    total = LedgerEntry.objects.filter(return_request=approved).aggregate(total=Sum("amount"))
    assert total["total"] == Decimal("64.00")


def test_import_refuses_a_file_without_the_common_columns(tmp_path):
    ApiClientFactory(name="csv-import")
    path = tmp_path / "outcomes.csv"
    path.write_text("event_id,order_id,result\nwh-1,A-1,passed\n")
    with pytest.raises(CommandError, match="missing required columns: kind, observed_at"):
        call_command("import_outcomes", str(path))


def test_a_file_of_which_nothing_is_recorded_is_a_command_error(tmp_path):
    ApiClientFactory(name="csv-import")
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "event_id,order_id,kind,observed_at,result\nwh-1,NOPE,inspection,2025-03-01T10:00:00Z,passed\n"
    )
    with pytest.raises(CommandError, match="no event of the file was recorded"):
        call_command("import_outcomes", str(path), stdout=StringIO())
