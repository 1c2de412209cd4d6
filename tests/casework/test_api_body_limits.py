"""Bodies the API cannot take: too large, or nested too deep. A clear 4xx in the API's error
shape, never a 500."""

import json

import pytest
from django.conf import settings

from casework.api.parsers import MAX_JSON_DEPTH, json_depth
from intake.models import ReturnRequest

pytestmark = pytest.mark.django_db


def test_a_body_over_the_upload_limit_gets_413_and_stores_nothing(api):
    item = {"order_id": "BIG", "pad": "y" * 3000}
    body = json.dumps({"returns": [item] * 1000})
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = api.post("/api/v1/returns/batch", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"Request body too large: at most "
        f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.",
        "errors": {},
    }
    assert not ReturnRequest.objects.exists()


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_json_nested_too_deep_gets_400(api, depth):
    body = "[" * depth + "]" * depth

    response = api.post("/api/v1/returns", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"JSON nested more than {MAX_JSON_DEPTH} levels deep.",
        "errors": {},
    }


@pytest.mark.parametrize(
    ("value", "depth"),
    [(1, 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ([[[[]]]], 4)],
)
def test_json_depth_counts_lists_and_objects(value, depth):
    assert json_depth(value) == depth
