"""Reading the CSV files people import: UTF-8 (a spreadsheet's byte-order mark is not part of
the first column's name), required columns checked before any row is read, booleans as
spreadsheets write them."""

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

CSV_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


class CsvFileError(ValueError):
    """The file cannot be read as the CSV it should be; the message names the file."""


def csv_boolean(text) -> bool | None:
    """1/0/true/false in any case, with spaces around; None for anything else."""
    return CSV_BOOLEANS.get(str(text).strip().lower())


@contextmanager
def csv_rows_open(path: Path, *, required: Sequence[str]) -> Iterator[tuple[csv.DictReader, int]]:
    """The file's rows as a DictReader (it knows each row's real line), and how many there are.

    CsvFileError if the file is missing, is not UTF-8 text, or lacks a required column.
    """
    if not path.is_file():
        raise CsvFileError(f"no such file: {path}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        try:
            total = sum(1 for _ in handle) - 1
        except UnicodeDecodeError as exc:
            raise CsvFileError(f"{path}: not UTF-8 text ({exc})") from exc
        handle.seek(0)
        rows = csv.DictReader(handle)
        missing = [name for name in required if name not in (rows.fieldnames or [])]
        if missing:
            raise CsvFileError(f"{path}: missing required columns: {', '.join(missing)}")
        yield rows, max(total, 0)
