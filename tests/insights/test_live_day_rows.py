"""A live day's rows become API bodies: retailer attributes typed as the desk declares them."""

from insights.live_day import live_day_rows_read

HEADER = (
    "order_id,customer_id,order_value,product_category,return_ratio,returns_velocity_30d,"
    "days_since_purchase,payment_method,is_fraud,attr_account_age_days,attr_mismatch,"
    "attr_device_id\n"
)


def test_attribute_columns_become_typed_attributes(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(HEADER + "O-1,C-1,120.50,Toys,0.1,1,3,PayPal,0,12,true,dev-7\n")
    types = {"account_age_days": "number", "mismatch": "boolean", "device_id": "identifier"}

    (row,) = live_day_rows_read(path=path, attribute_types=types)

    assert row.payload["attributes"] == {
        "account_age_days": 12,
        "mismatch": True,
        "device_id": "dev-7",
    }
    assert row.is_fraud is False


def test_without_declarations_attribute_values_stay_text_for_the_desk_to_refuse(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(HEADER + "O-1,C-1,120.50,Toys,0.1,1,3,PayPal,1,12,true,dev-7\n")

    (row,) = live_day_rows_read(path=path)

    assert row.payload["attributes"]["account_age_days"] == "12"
