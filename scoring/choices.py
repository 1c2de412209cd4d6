"""Choice sets for decisions."""

from django.db import models


class Action(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    REVIEW = "review", "Review"


class ReasonCode(models.TextChoices):
    """Why a decision went the way it did: the stable `code` of each of its reasons.

    The OOD gate (ml.ood) writes the ood_* codes of what it saw; the policy writes the rest.
    """

    EXPECTED_COST = "expected_cost", "Cheapest at the model's probability"
    UNCERTAIN = "uncertain", "Uncertain: a review is worth its price"
    BUDGET_EXCEEDED = "budget_exceeded", "Customer budget exceeded"
    ACCOUNT_EXPOSURE = "account_exposure", "Frequent returner's open budget"
    PORTFOLIO_BUDGET_EXCEEDED = "portfolio_budget_exceeded", "Portfolio budget"
    REVIEW_CAPACITY = "review_capacity", "Review capacity"
    CUSTOMER_HOLD = "customer_hold", "Customer on hold"
    OPEN_CASE = "open_case", "Joined the customer's open case"
    AUDIT_SAMPLE = "audit_sample", "Audit sample"
    RULE = "rule", "A fraud team's rule"
    ON_LIST = "on_list", "On a block list"
    OOD_PESSIMISTIC = "ood_pessimistic", "Out of distribution: priced pessimistically"
    OOD_UNSEEN_VALUE = "ood_unseen_value", "Out of distribution: unseen value"
    OOD_OUT_OF_RANGE = "ood_out_of_range", "Out of distribution: out of range"
    OOD_ANOMALY = "ood_anomaly", "Out of distribution: unusual combination"


class RuleMode(models.TextChoices):
    """How a published rule takes part in decisions."""

    LIVE = "live", "Live: acts on decisions"
    SHADOW = "shadow", "Shadow: recorded on decisions, does not act"
    OFF = "off", "Off"


class ListKind(models.TextChoices):
    """What a list is for. A block list rejects a return whose field is on it at once (reason
    `on_list`); either kind also acts through the rules that name it (`in_list`)."""

    ALLOW = "allow", "Allow list"
    BLOCK = "block", "Block list"


class ListField(models.TextChoices):
    """The field of a return a list's entries are matched against (scoring.rules.FIELDS): these,
    or a text attribute of the return, `attributes.<name>` (scoring.services.lists)."""

    CUSTOMER_ID = "customer_id", "Customer id"
