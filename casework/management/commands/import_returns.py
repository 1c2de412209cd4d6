"""Imports a CSV of returns through the same validation and intake path as the batch API."""

import csv
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from casework.choices import ApiRole
from casework.models import ApiClient
from casework.services.api_clients import api_client_create
from casework.services.csv_intake import csv_rows_submit


class Command(BaseCommand):
    help = "Submit every row of a returns CSV (the shared columns) for decision."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--client", default="csv-import", help="submitting client's name")

    def handle(self, *args, file, client, **options):
        if not file.exists():
            raise CommandError(f"no such file: {file}")
        submitter = ApiClient.objects.filter(name=client).first()
        if submitter is None:
            submitter, _key = api_client_create(
                name=client, role=ApiRole.SUBMITTER, actor_label="manage.py"
            )
        elif submitter.role != ApiRole.SUBMITTER:
            raise CommandError(f"client {client!r} is not a submitter")
        counts, invalid = Counter(), []
        with file.open(newline="") as handle:
            total = sum(1 for _ in handle) - 1
            handle.seek(0)
            rows = csv.DictReader(handle)
            with tqdm(total=total, unit="row", desc="importing") as bar:
                for results in csv_rows_submit(client=submitter, rows=rows):
                    for result in results:
                        counts[result.status] += 1
                        if result.status in ("invalid", "conflict") and len(invalid) < 20:
                            invalid.append(result)
                    bar.update(len(results))
        self.stdout.write(
            f"accepted {counts['accepted']:,}, duplicate {counts['duplicate']:,}, "
            f"invalid {counts['invalid']:,}, conflict {counts['conflict']:,}"
        )
        for result in invalid:
            self.stdout.write(f"  {result.status} {result.order_id}: {result.errors}")
