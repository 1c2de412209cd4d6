"""Imports outcome events (carrier scans, inspections, chargebacks, customer service) from a CSV."""

import csv
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from casework.services.outcomes import (
    OUTCOME_COLUMNS,
    OUTCOME_COMMON_FIELDS,
    outcome_rows_record,
)
from core.csv_files import CsvFileError, csv_rows_open
from core.selectors import api_clients_retailers


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
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        submitter = api_clients_retailers().filter(name=client).first()
        if submitter is None:
            raise CommandError(f"no retailer client named {client!r}")
        counts, problems, changed = Counter(), [], 0
        try:
            with (
                csv_rows_open(file, required=OUTCOME_COMMON_FIELDS) as (rows, total),
                tqdm(total=total, unit="event", desc="importing") as bar,
            ):
                try:
                    for result in outcome_rows_record(client=submitter, rows=rows):
                        counts[result.status] += 1
                        changed += result.truth_changed
                        if result.errors and len(problems) < 20:
                            problems.append(result)
                        bar.update(1)
                except csv.Error as exc:
                    raise CommandError(
                        f"{file}, line {rows.line_num}: {exc}; the rows before it were recorded"
                    ) from exc
        except CsvFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"recorded {counts['recorded']:,} (truth changed on {changed:,} returns), "
            f"duplicate {counts['duplicate']:,}, conflict {counts['conflict']:,}, "
            f"unknown order {counts['unknown_order']:,}, invalid {counts['invalid']:,}"
        )
        for result in problems:
            self.stdout.write(f"  line {result.line} {result.event_id}: {result.errors}")
        if counts and not (counts["recorded"] or counts["duplicate"]):
            raise CommandError("no event of the file was recorded")
