"""Imports outcome events (carrier scans, inspections, chargebacks, customer service) from a CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand

from casework.management.csv_import import csv_import
from casework.services.outcomes import (
    OUTCOME_COLUMNS,
    OUTCOME_COMMON_FIELDS,
    outcome_rows_record,
)


class Command(BaseCommand):
    help = (
        "Record outcome events from a CSV with columns "
        f"{','.join(OUTCOME_COMMON_FIELDS)} and, as each kind needs them, "
        f"{','.join(OUTCOME_COLUMNS[len(OUTCOME_COMMON_FIELDS) :])}, for the returns a client "
        "submitted. Each row is recorded on its own; an event id already recorded with the same "
        "fields is a duplicate, so a file can be imported again."
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
            required=OUTCOME_COMMON_FIELDS,
            record=outcome_rows_record,
            unit="event",
            row_id="event_id",
            statuses=("duplicate", "conflict", "unknown_order", "invalid"),
        )
