"""Times single returns from submission to a visible decision, through a running desk's API."""

import json
import time
import urllib.error
import urllib.request
import uuid

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

HTTP_TIMEOUT_SECONDS = 30


class Command(BaseCommand):
    help = (
        "Submit single returns one after another to a running desk (POST /api/v1/returns, then "
        "GET /api/v1/returns/{id}?wait=) and print the p50 / p90 / p99 time from the POST to "
        "the decision in hand, as a retailer's checkout would wait for it. Every return is a "
        "new customer's ordinary one, so each is decided, none joins a case. The key comes "
        "from `manage.py create_api_client NAME --role submitter`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the desk's base URL")
        parser.add_argument("--submitter-key", required=True)
        parser.add_argument("--count", type=int, default=200, help="returns to time, in a row")

    def handle(self, *args, url, submitter_key, count, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        headers = {"Authorization": f"Bearer {submitter_key}", "Content-Type": "application/json"}
        run = uuid.uuid4().hex[:8]
        timings, undecided = [], 0
        for n in tqdm(range(count), desc="returns", unit="return", disable=None):
            order_id = f"LAT-{run}-{n}"
            body = {
                "order_id": order_id,
                "customer_id": f"LAT-{run}-{n}",
                "order_value": "64.00",
                "product_category": "Clothing",
                "payment_method": "Credit Card",
                "return_ratio": 0.1,
                "returns_velocity_30d": 0,
                "days_since_purchase": 6,
            }
            began = time.perf_counter()
            self._call(f"{url}/api/v1/returns", headers, json.dumps(body).encode())
            answer = self._call(f"{url}/api/v1/returns/{order_id}?wait=10000", headers)
            timings.append((time.perf_counter() - began) * 1000)
            undecided += answer["decision"] is None
        p50, p90, p99 = np.percentile(timings, [50, 90, 99])
        self.stdout.write(
            f"{count} returns, one at a time: submit → decision p50 {p50:.0f} ms, "
            f"p90 {p90:.0f} ms, p99 {p99:.0f} ms, max {max(timings):.0f} ms"
            + (f"; {undecided} not decided within the wait" if undecided else "")
        )

    def _call(self, url, headers, data=None):
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                return json.load(response)
        except (urllib.error.URLError, TimeoutError) as exc:
            raise CommandError(f"{url}: {exc}") from exc
