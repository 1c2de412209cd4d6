"""Allow and block lists: creating them, adding, removing and uploading entries, every change
audited. Rules name a list in an `in_list` condition; an expired entry no longer matches."""

import csv
import io
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.services.audit import audit_record
from intake.selectors import attribute_types_declared
from scoring.choices import ListField, ListKind
from scoring.models import ListEntry, RuleList
from scoring.rules import ATTRIBUTE_PREFIX, TEXT, RuleInvalid, field_kind

NAME_LENGTH = RuleList._meta.get_field("name").max_length
VALUE_LENGTH = ListEntry._meta.get_field("value").max_length
REASON_LENGTH = ListEntry._meta.get_field("reason").max_length
CSV_COLUMNS = ("value", "reason", "expires_at")
MAX_UPLOAD_ROWS = 10_000


def _entry_form(entry: ListEntry) -> dict:
    return {
        "list": entry.rule_list.name,
        "value": entry.value,
        "reason": entry.reason,
        "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
    }


def _printable(text, *, field: str, length: int) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > length or not text.isprintable():
        raise RuleInvalid({field: f"1 to {length} printable characters"})
    return text


def list_expiry_parse(text) -> datetime | None:
    """An expiry from a form or a CSV: empty, an ISO date (end of none: midnight UTC) or an ISO
    date and time; RuleInvalid if it is not one or is already past."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        if moment is None and parse_date(text) is not None:
            moment = datetime.combine(parse_date(text), datetime.min.time())
    except ValueError:
        moment = None
    if moment is None:
        raise RuleInvalid({"expires_at": "empty, or a date (2027-01-31) or date and time"})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    if moment <= timezone.now():
        raise RuleInvalid({"expires_at": "a moment in the future"})
    return moment


def list_field_choices() -> list[tuple[str, str]]:
    """The fields a new list may hold values of: customer ids, and each declared attribute a
    rule compares as a text (a category or an identifier)."""
    attribute_types = attribute_types_declared()
    return [
        *ListField.choices,
        *(
            (f"{ATTRIBUTE_PREFIX}{name}", f"Attribute {name} ({kind})")
            for name, kind in sorted(attribute_types.items())
            if field_kind(f"{ATTRIBUTE_PREFIX}{name}", attribute_types) == TEXT
        ),
    ]


@transaction.atomic
def list_create(*, actor, name, kind, field=ListField.CUSTOMER_ID) -> RuleList:
    errors = {}
    try:
        name = _printable(name, field="name", length=NAME_LENGTH)
    except RuleInvalid as exc:
        errors.update(exc.errors)
    if kind not in ListKind.values:
        errors["kind"] = f"one of {', '.join(ListKind.values)}"
    fields = [value for value, _label in list_field_choices()]
    if field not in fields:
        errors["field"] = f"one of {', '.join(fields)}"
    if not errors and RuleList.objects.filter(name=name).exists():
        errors["name"] = "another list has this name"
    if errors:
        raise RuleInvalid(errors)
    rule_list = RuleList.objects.create(name=name, kind=kind, field=field, created_by=actor)
    audit_record(
        actor=actor,
        action="list.create",
        obj=rule_list,
        after={"name": name, "kind": kind, "field": field},
    )
    return rule_list


def _entry_clean(*, value, reason, expires_at) -> dict:
    cleaned, errors = {}, {}
    for name, check in (
        ("value", lambda: _printable(value, field="value", length=VALUE_LENGTH)),
        ("reason", lambda: _printable(reason, field="reason", length=REASON_LENGTH)),
        ("expires_at", lambda: list_expiry_parse(expires_at)),
    ):
        try:
            cleaned[name] = check()
        except RuleInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise RuleInvalid(errors)
    return cleaned


@transaction.atomic
def list_entry_put(*, actor, rule_list: RuleList, value, reason, expires_at="") -> ListEntry:
    """Adds a value to the list, or replaces its reason and expiry; audited with before/after."""
    cleaned = _entry_clean(value=value, reason=reason, expires_at=expires_at)
    entry = (
        ListEntry.objects.select_for_update()
        .filter(rule_list=rule_list, value=cleaned["value"])
        .first()
    )
    before = None if entry is None else _entry_form(entry)
    if entry is None:
        entry = ListEntry(rule_list=rule_list, value=cleaned["value"])
    entry.reason, entry.expires_at, entry.author = (
        cleaned["reason"],
        cleaned["expires_at"],
        actor,
    )
    entry.save()
    audit_record(
        actor=actor,
        action="list.entry_add" if before is None else "list.entry_update",
        obj=entry,
        before=before,
        after=_entry_form(entry),
    )
    return entry


@transaction.atomic
def list_entry_remove(*, actor, entry: ListEntry) -> None:
    before = _entry_form(entry)
    audit_record(actor=actor, action="list.entry_remove", obj=entry, before=before)
    entry.delete()


@transaction.atomic
def list_entries_upload(*, actor, rule_list: RuleList, data: bytes) -> int:
    """Puts every row of a CSV (value, reason[, expires_at]) on the list, all or none.

    RuleInvalid naming the line and column of each wrong row (the first 20)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleInvalid({"file": "not UTF-8 text"}) from exc
    if "\x00" in text:
        raise RuleInvalid({"file": "not a text file"})
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = reader.fieldnames or []
        missing = [name for name in ("value", "reason") if name not in columns]
        if missing:
            raise RuleInvalid({"file": f"missing columns: {', '.join(missing)}"})
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_UPLOAD_ROWS:
                raise RuleInvalid({"file": f"at most {MAX_UPLOAD_ROWS:,} rows"})
    except csv.Error as exc:
        raise RuleInvalid({"file": f"not CSV ({exc})"}) from exc
    cleaned, errors = [], {}
    for line, row in enumerate(rows, start=2):
        try:
            cleaned.append(
                _entry_clean(
                    value=row.get("value"),
                    reason=row.get("reason"),
                    expires_at=row.get("expires_at") or "",
                )
            )
        except RuleInvalid as exc:
            for column, message in exc.errors.items():
                if len(errors) < 20:
                    errors[f"line {line}, {column}"] = message
    if len({row["value"] for row in cleaned}) != len(cleaned) and not errors:
        errors["file"] = "a value appears twice"
    if errors:
        raise RuleInvalid(errors)
    for row in cleaned:
        list_entry_put(actor=actor, rule_list=rule_list, **row)
    return len(cleaned)


def list_entries_csv(*, rule_list: RuleList) -> str:
    """The list as a CSV that list_entries_upload reads back."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in rule_list.entries.order_by("value"):
        writer.writerow(
            [entry.value, entry.reason, entry.expires_at.isoformat() if entry.expires_at else ""]
        )
    return out.getvalue()
