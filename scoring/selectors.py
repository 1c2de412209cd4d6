"""Reading what the workers price with: the default training data, the OOD gate's recent flag
rate, the day's approvals, the published rules and the customer history they read."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from intake.models import ReturnRequest
from ml.generate import own_returns_csv
from scoring.choices import Action, ListKind, RuleMode
from scoring.models import Decision, DecisionHour, ListEntry, Rule, RuleList


@dataclass(frozen=True)
class DecisionCounts:
    decided: int
    approved: int
    ood_flagged: int


def decisions_since(*, since: datetime) -> DecisionCounts:
    """How many returns were decided since `since`, approved, and flagged by the OOD gate:
    exactly, in two reads of at most an hour's rows, whatever the day's volume. The whole hours
    after `since` come from their counters, the rest of `since`'s own hour from its decisions."""
    next_hour = DecisionHour.hour_of(since) + timedelta(hours=1)
    whole = DecisionHour.objects.filter(hour__gte=next_hour).aggregate(
        decided=Sum("decided", default=0),
        approved=Sum("approved", default=0),
        ood_flagged=Sum("ood_flagged", default=0),
    )
    edge = Decision.objects.filter(decided_at__gte=since, decided_at__lt=next_hour).aggregate(
        decided=Count("id"),
        approved=Count("id", filter=Q(action=Action.APPROVE)),
        ood_flagged=Count("id", filter=Q(ood=True)),
    )
    return DecisionCounts(**{name: whole[name] + edge[name] for name in whole})


def training_data_default() -> Path:
    """The file the first model trains on and retraining starts from: DEFAULT_TRAINING_DATA,
    which unless set is the project's own data, generated the first time it is needed."""
    path = Path(settings.DEFAULT_TRAINING_DATA)
    if path == Path(settings.OWN_TRAINING_DATA):
        return own_returns_csv(path=path, scenario="normal")
    if not path.is_file():
        raise ImproperlyConfigured(
            f"DEFAULT_TRAINING_DATA is {path}, which is not a file; point it at a returns CSV, "
            "or unset it to train on the project's own generated data"
        )
    return path


def rule_published_form(rule: Rule, published: dict) -> dict:
    """A rule as policy versions carry it and scoring.rules evaluates it."""
    return {"id": rule.pk, **published}


def rules_all() -> list[Rule]:
    return list(Rule.objects.order_by("name"))


def rules_published() -> list[dict]:
    """The rules that take part in decisions (live or shadow), in their published versions."""
    return [
        rule_published_form(rule, rule.published)
        for rule in Rule.objects.filter(published__isnull=False).order_by("id")
        if rule.published["mode"] in (RuleMode.LIVE, RuleMode.SHADOW)
    ]


def customer_mean_values(*, customer_ids) -> dict:
    """Customer pk -> the mean order value of the customer's stored returns."""
    rows = (
        ReturnRequest.objects.filter(customer_id__any=list(set(customer_ids)))
        .values("customer_id")
        .annotate(mean=Avg("order_value"))
    )
    return {row["customer_id"]: row["mean"] for row in rows}


def list_fields() -> dict[str, str]:
    """Each list's name -> the field its values are of, as rules name it."""
    return dict(RuleList.objects.values_list("name", "field"))


def block_lists_in_force(*, now=None) -> dict[str, dict[str, str]]:
    """Field (`customer_id`, `attributes.<name>`) -> value -> the block list holding it, for
    the entries in force at `now`: every block list rejects its values at once."""
    now = now or timezone.now()
    entries = ListEntry.objects.filter(rule_list__kind=ListKind.BLOCK).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    blocks = defaultdict(dict)
    rows = entries.order_by("rule_list__name").values_list(
        "rule_list__field", "value", "rule_list__name"
    )
    for field, value, name in rows:
        blocks[field].setdefault(value, name)
    return dict(blocks)


def lists_of_rules(*, rules: list[dict], now=None) -> dict[str, set[str]]:
    """List name -> its values in force at `now`, for the lists the rules name."""
    names = set()

    def collect(node):
        for member in node.get("all", node.get("any", [])):
            collect(member)
        if node.get("op") in ("in_list", "not_in_list"):
            names.add(node["value"])

    for rule in rules:
        collect(rule["definition"]["when"])
    if not names:
        return {}
    now = now or timezone.now()
    entries = ListEntry.objects.filter(rule_list__name__in=names).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    lists = {name: set() for name in names}
    for name, value in entries.values_list("rule_list__name", "value"):
        lists[name].add(value)
    return lists
