"""API clients and CSV import from the command line."""

from io import StringIO

import pytest
from django.core.management import call_command

from casework.models import ApiClient, ReturnRequest
from casework.services.api_clients import api_client_authenticate

pytestmark = pytest.mark.django_db


def test_create_api_client_prints_the_key_once_on_the_last_line():
    out = StringIO()
    call_command("create_api_client", "shop-a", "--role", "submitter", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    client = ApiClient.objects.get(name="shop-a")
    assert key not in (client.key_hash, client.key_prefix)
    assert api_client_authenticate(key=key) == client


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
