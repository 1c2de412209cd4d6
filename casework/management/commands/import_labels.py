"""Imports ground-truth labels (inspections, chargebacks, customer service) from a CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand

from casework.management.csv_import import csv_import
from casework.services.labels import LABEL_COLUMNS, label_rows_record


class Command(BaseCommand):
    help = (
        "Record labels from a CSV with columns order_id,is_fraud,source,observed_at for the "
        "returns a client submitted; the newest label per return is its truth."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--client", default="csv-import", help="the client that submitted the returns"
        )

    def handle(self, *args, file, client, **options):
        csv_import(
            stdout=self.stdout,
            file=file,
            client=client,
            required=LABEL_COLUMNS,
            record=label_rows_record,
            unit="label",
            row_id="order_id",
            statuses=("duplicate", "unknown_order", "invalid"),
        )
