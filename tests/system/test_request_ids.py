"""An operator follows one API call into the worker: the worker's log line for the returns it
decided carries the request id of the call that submitted them, and each one's action."""

import json

import pytest

from intake.models import ReturnRequest
from tests.system.conftest import WorkerProcess, wait_until

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_workers_decision_log_names_the_submitting_call(
    api, active_model, tmp_path, monkeypatch
):
    monkeypatch.setenv("LOG_FORMAT", "json")
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = WorkerProcess(loglevel="INFO", log=log).start()
        try:
            body = {
                "order_id": "ORD-TRACE-1",
                "customer_id": "CUST-TRACE",
                "order_value": "80.00",
                "product_category": "Clothing",
                "payment_method": "Credit Card",
                "return_ratio": 0.1,
                "returns_velocity_30d": 0,
                "days_since_purchase": 4,
            }
            response = api.post(
                "/api/v1/returns", body, format="json", HTTP_X_REQUEST_ID="trace-7f3a9c"
            )
            assert response.status_code == 202, response.content
            assert ReturnRequest.objects.get(order_id="ORD-TRACE-1").request_id == "trace-7f3a9c"

            def logged():
                lines = [line for line in log_path.read_text().splitlines() if line.startswith("{")]
                return [
                    entry
                    for entry in map(json.loads, lines)
                    if entry.get("event") == "returns decided"
                ]

            assert wait_until(logged, timeout=120), log_path.read_text()[-3000:]
        finally:
            worker.stop()

    (entry,) = logged()
    assert entry["request_id"] == "trace-7f3a9c"
    decision = ReturnRequest.objects.get(order_id="ORD-TRACE-1").decision
    assert entry["decisions"] == {"ORD-TRACE-1": decision.action}
