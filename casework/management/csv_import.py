"""What the CSV import commands share: the file and client checks, the progress bar, the per-row
tally and the summary. Each command says what a row is and how it is recorded."""

import csv
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from core.csv_files import CsvFileError, csv_rows_open
from core.selectors import api_clients_retailers

PROBLEMS_SHOWN = 20


def csv_import(
    *,
    stdout,
    file: Path,
    client: str,
    required,
    record: Callable,
    unit: str,
    row_id: str,
    statuses: tuple[str, ...],
) -> None:
    """Records `file`'s rows for the retailer `client` with `record(client=, rows=)`, which
    yields one result per row (`status`, `truth_changed`, `errors`, `line` and the `row_id`
    attribute that names the row); prints
    how many ended in each of `statuses` besides "recorded", and the first problems by line."""
    if not file.is_file():
        raise CommandError(f"no such file: {file}")
    submitter = api_clients_retailers().filter(name=client).first()
    if submitter is None:
        raise CommandError(f"no retailer client named {client!r}")
    counts, problems, changed = Counter(), [], 0
    try:
        with (
            csv_rows_open(file, required=required) as (rows, total),
            tqdm(total=total, unit=unit, desc="importing") as bar,
        ):
            try:
                for result in record(client=submitter, rows=rows):
                    counts[result.status] += 1
                    changed += result.truth_changed
                    if result.errors and len(problems) < PROBLEMS_SHOWN:
                        problems.append(result)
                    bar.update(1)
            except csv.Error as exc:
                raise CommandError(
                    f"{file}, line {rows.line_num}: {exc}; the rows before it were recorded"
                ) from exc
    except CsvFileError as exc:
        raise CommandError(str(exc)) from exc
    others = ", ".join(f"{status.replace('_', ' ')} {counts[status]:,}" for status in statuses)
    stdout.write(
        f"recorded {counts['recorded']:,} (truth changed on {changed:,} returns), {others}"
    )
    for result in problems:
        stdout.write(f"  line {result.line} {getattr(result, row_id)}: {result.errors}")
    if counts and not (counts["recorded"] or counts["duplicate"]):
        raise CommandError(f"no {unit} of the file was recorded")
