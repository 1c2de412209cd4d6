"""A test run of draft rules: what they would have done to the returns decided lately.

Nothing changes: the what-if (insights.services.whatif) decides the period again under the
live settings and under the live settings with the drafts in force, and prices both alike,
with labels where known and expected cost otherwise.
"""

from datetime import datetime

from insights.services.whatif import DEFAULT_DAYS, WhatIf, policy_snapshot_live, whatif_compare
from scoring.choices import RuleMode
from scoring.models import Rule
from scoring.selectors import rule_published_form


def snapshot_with_drafts(snapshot: dict, *, drafts: list[Rule]) -> dict:
    """The snapshot with each draft's working copy live in place of its published version."""
    replaced = {rule.pk for rule in drafts}
    rules = [rule for rule in snapshot.get("rules", []) if rule["id"] not in replaced]
    for rule in drafts:
        working = {
            "version": rule.version + 1,
            "mode": RuleMode.LIVE,
            "name": rule.name,
            "definition": rule.definition,
        }
        rules.append(rule_published_form(rule, working))
    return {**snapshot, "rules": sorted(rules, key=lambda rule: rule["id"])}


def rules_test_run(
    *, drafts: list[Rule], days: int = DEFAULT_DAYS, now: datetime | None = None
) -> WhatIf:
    """Live rules against live rules with `drafts` in force, over the last `days` days."""
    proposed = snapshot_with_drafts(policy_snapshot_live(), drafts=drafts)
    return whatif_compare(proposed_snapshot=proposed, days=days, now=now)
