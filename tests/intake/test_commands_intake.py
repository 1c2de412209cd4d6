"""API clients and CSV import from the command line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import ApiKey
from core.services.api_clients import api_key_authenticate
from intake.models import ReturnRequest

pytestmark = pytest.mark.django_db


def test_create_api_client_prints_the_key_once_on_the_last_line():
    out = StringIO()
    call_command("create_api_client", "shop-a", "--role", "submitter", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    stored = ApiKey.objects.get(client__name="shop-a")
    assert (stored.name, stored.role) == ("default", "submitter")
    assert key not in (stored.hash, stored.prefix)
    assert api_key_authenticate(secret=key) == stored


def test_import_returns_reports_accepted_duplicate_and_invalid(tmp_path):
    data = tmp_path / "returns.csv"
    data.write_text(
        "order_id,customer_id,order_value,product_category,return_ratio,returns_velocity_30d,"
        "days_since_purchase,payment_method,is_fraud\n"
        "A-1,C-1,79.53399999999999,Clothing,0.1,0,3,Credit Card,0\n"
        "A-2,C-1,12.00,Toys,0.1,1,5,Crypto,1\n"
        "A-1,C-1,79.53399999999999,Clothing,0.1,0,3,Credit Card,0\n"
        "A-3,C-2,-4,Toys,0.1,1,5,PayPal,0\n"
    )
    out = StringIO()
    call_command("import_returns", str(data), stdout=out)
    assert "accepted 2, duplicate 1, invalid 1, conflict 0" in out.getvalue()
    assert "order_value" in out.getvalue()
    assert str(ReturnRequest.objects.get(order_id="A-1").order_value) == "79.53"


RETURNS_HEADER = (
    "order_id,customer_id,order_value,product_category,return_ratio,returns_velocity_30d,"
    "days_since_purchase,payment_method,is_fraud\n"
)


def test_a_spreadsheets_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    data = tmp_path / "returns.csv"
    data.write_text("\ufeff" + RETURNS_HEADER + "B-1,C-1,12.00,Toys,0.1,1,5,PayPal,0\n")
    call_command("import_returns", str(data), stdout=StringIO())
    assert ReturnRequest.objects.filter(order_id="B-1").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"order_id,price\nB-1,12\n", "missing required columns: customer_id"),
        ((RETURNS_HEADER + "B-é,C-1,12.00,Toys,0.1,1,5,PayPal,0\n").encode("latin-1"), "UTF-8"),
        ((RETURNS_HEADER + "B-1,C-1,-4,Toys,0.1,1,5,PayPal,0\n").encode(), "no row"),
    ],
    ids=["columns", "encoding", "nothing-accepted"],
)
def test_an_unusable_returns_file_is_a_command_error(tmp_path, content, message):
    data = tmp_path / "returns.csv"
    data.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_returns", str(data), stdout=StringIO())
