"""Imports ground-truth labels (inspections, chargebacks, customer service) from a CSV."""

import csv
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from casework.services.labels import LABEL_COLUMNS, label_rows_record
from core.csv_files import CsvFileError, csv_rows_open
from core.selectors import api_clients_retailers


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
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        submitter = api_clients_retailers().filter(name=client).first()
        if submitter is None:
            raise CommandError(f"no retailer client named {client!r}")
        counts, problems, changed = Counter(), [], 0
        try:
            with (
                csv_rows_open(file, required=LABEL_COLUMNS) as (rows, total),
                tqdm(total=total, unit="label", desc="importing") as bar,
            ):
                try:
                    for result in label_rows_record(client=submitter, rows=rows):
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
            f"duplicate {counts['duplicate']:,}, unknown order {counts['unknown_order']:,}, "
            f"invalid {counts['invalid']:,}"
        )
        for result in problems:
            self.stdout.write(f"  line {result.line} {result.order_id}: {result.errors}")
        if counts and not (counts["recorded"] or counts["duplicate"]):
            raise CommandError("no label of the file was recorded")
