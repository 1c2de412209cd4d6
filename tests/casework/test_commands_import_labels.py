"""manage.py import_labels: a label file for one client's returns, row by row, with a summary."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from casework.models import Label
from tests.factories import ApiClientFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db


def test_import_records_valid_rows_and_reports_the_rest(tmp_path):
    shop = ApiClientFactory(name="csv-import")
    ours = ReturnRequestFactory(client=shop, order_id="A-1", status="decided", outcome="rejected")
    ReturnRequestFactory(client=ApiClientFactory(), order_id="B-1")
    path = tmp_path / "labels.csv"
    path.write_text(
        "order_id,is_fraud,source,observed_at,note\n"
        "A-1,1,chargeback,2025-03-01T10:00:00Z,bank\n"
        "A-1,1,chargeback,2025-03-01T10:00:00Z,same again\n"
        "A-1,false,inspection,2025-03-02T10:00:00+01:00,\n"
        "B-1,1,chargeback,2025-03-01T10:00:00Z,another client's\n"
        "A-1,maybe,inspection,2025-03-02T10:00:00Z,\n"
    )
    out = StringIO()

    call_command("import_labels", str(path), stdout=out)

    text = out.getvalue()
    assert (
        "recorded 2 (truth changed on 2 returns), duplicate 1, unknown order 1, invalid 1" in text
    )
    assert "line 6 A-1: {'is_fraud': ['Expected true or false.']}" in text
    assert [label.is_fraud for label in Label.objects.filter(return_request=ours)] == [False, True]


def test_import_refuses_a_file_without_the_label_columns(tmp_path):
    ApiClientFactory(name="csv-import")
    path = tmp_path / "labels.csv"
    path.write_text("order_id,is_fraud\nA-1,1\n")
    with pytest.raises(CommandError, match="missing required columns: source, observed_at"):
        call_command("import_labels", str(path))


def test_problems_are_reported_at_their_real_line_and_a_bom_is_ignored(tmp_path):
    shop = ApiClientFactory(name="csv-import")
    ReturnRequestFactory(client=shop, order_id="A-1", status="decided", outcome="rejected")
    path = tmp_path / "labels.csv"
    path.write_text(
        "\ufefforder_id,is_fraud,source,observed_at\n"
        "\n"
        "A-1,1,chargeback,2025-03-01T10:00:00Z\n"
        "\n"
        "A-1,maybe,inspection,2025-03-02T10:00:00Z\n"
    )
    out = StringIO()
    call_command("import_labels", str(path), stdout=out)
    assert "line 5 A-1:" in out.getvalue()


def test_a_file_of_which_nothing_is_recorded_is_a_command_error(tmp_path):
    ApiClientFactory(name="csv-import")
    path = tmp_path / "labels.csv"
    path.write_text(
        "order_id,is_fraud,source,observed_at\nNOPE,1,chargeback,2025-03-01T10:00:00Z\n"
    )
    with pytest.raises(CommandError, match="no label of the file was recorded"):
        call_command("import_labels", str(path), stdout=StringIO())
