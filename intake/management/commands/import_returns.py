"""Imports a CSV of returns through the same validation and intake path as the batch API."""

import csv
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.choices import ApiRole
from core.csv_files import CsvFileError, csv_rows_open
from core.models import ApiClient
from core.selectors import api_clients_retailers
from core.services.api_clients import api_client_create
from intake.services.csv_intake import csv_rows_submit

# The fields a return cannot do without; the rest are optional or derived.
REQUIRED_COLUMNS = (
    "order_id",
    "customer_id",
    "order_value",
    "product_category",
    "payment_method",
    "days_since_purchase",
)


class Command(BaseCommand):
    help = (
        "Submit every row of a returns CSV (the shared columns) for decision, as history: a row's "
        "submitted_at, of any past time, is when the return counts as received for its budgets "
        "and portfolio day (a row without one is received now)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--client", default="csv-import", help="submitting client's name")

    def handle(self, *args, file, client, **options):
        try:
            with csv_rows_open(file, required=REQUIRED_COLUMNS) as (rows, total):
                counts, invalid = self._import(rows, total, file=file, client=client)
        except CsvFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"accepted {counts['accepted']:,}, duplicate {counts['duplicate']:,}, "
            f"invalid {counts['invalid']:,}, conflict {counts['conflict']:,}"
        )
        for result in invalid:
            self.stdout.write(f"  {result.status} {result.order_id}: {result.errors}")
        if counts and not (counts["accepted"] or counts["duplicate"]):
            raise CommandError("no row of the file was accepted")

    def _import(self, rows, total: int, *, file: Path, client: str):
        submitter = ApiClient.objects.filter(name=client).first()
        if submitter is None:
            submitter, _key = api_client_create(
                name=client, role=ApiRole.SUBMITTER, actor_label="manage.py"
            )
        elif not api_clients_retailers().filter(pk=submitter.pk).exists():
            raise CommandError(f"client {client!r} is not a retailer: it holds reviewer keys")
        counts, invalid = Counter(), []
        with tqdm(total=total, unit="row", desc="importing") as bar:
            try:
                for results in csv_rows_submit(client=submitter, rows=rows, history=True):
                    for result in results:
                        counts[result.status] += 1
                        if result.status in ("invalid", "conflict") and len(invalid) < 20:
                            invalid.append(result)
                    bar.update(len(results))
            except csv.Error as exc:
                raise CommandError(
                    f"{file}, line {rows.line_num}: {exc}; the "
                    f"{sum(counts.values()):,} rows before its batch were imported"
                ) from exc
        return counts, invalid
