"""Feeds a stream of synthetic returns through intake so the demo queue has live cases."""

import time

from django.core.management.base import BaseCommand

from casework.management.commands.bootstrap_demo import DEMO_CLIENT
from core.models import ApiClient
from intake.services.csv_intake import csv_rows_submit
from ml.generate import generate_returns


class Command(BaseCommand):
    help = "Submit synthetic returns every few seconds (Ctrl-C to stop)."

    def add_arguments(self, parser):
        # About a small shop's pace, so the demo queue fills at a rate a person can follow.
        parser.add_argument("--every", type=float, default=10.0, help="seconds between batches")
        parser.add_argument("--batch", type=int, default=2)
        parser.add_argument("--backlog", type=int, default=1000, help="returns sent at start")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, every, batch, backlog, seed, **options):
        client = ApiClient.objects.get(name=DEMO_CLIENT)
        seed = seed if seed is not None else int(time.time())
        run = f"D{seed}"
        frame = generate_returns(rows=backlog + batch * 10_000, scenario="severe_drift", seed=seed)
        # The generator appends the mimicry ring at the end; shuffled, its accounts bleed
        # among ordinary customers as a real ring would, and reach the queue early.
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
        frame["order_id"] = run + "-" + frame["order_id"].astype(str)
        rows = frame.drop(columns=["is_fraud", "pattern"], errors="ignore").to_dict("records")
        rows = [{k: str(v) for k, v in row.items()} for row in rows]
        position = self._send(client, rows, 0, backlog)
        while position < len(rows):
            time.sleep(every)
            position = self._send(client, rows, position, batch)

    def _send(self, client, rows, start, count):
        chunk = rows[start : start + count]
        accepted = sum(
            result.status == "accepted"
            for results in csv_rows_submit(client=client, rows=chunk)
            for result in results
        )
        self.stdout.write(f"submitted {accepted} returns")
        self.stdout.flush()
        return start + count
