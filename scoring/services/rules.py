"""Writing rules: saving a draft, publishing it into a new policy version, every change audited.

A rule's working copy is saved without touching decisions; publishing copies it, with its mode
(live, shadow or off), into the rule's `published` version and publishes a policy version that
carries every live and shadow rule, so each decision names the rule versions it was made with.
"""

from django.db import IntegrityError, transaction

from core.services.audit import audit_record
from intake.selectors import attribute_types_declared
from scoring.choices import RuleMode
from scoring.models import PolicyVersion, Rule
from scoring.rules import RuleInvalid, rule_definition_clean
from scoring.selectors import list_fields
from scoring.services.policies import policy_version_publish

NAME_LENGTH = Rule._meta.get_field("name").max_length


def _audit_form(rule: Rule) -> dict:
    return {"name": rule.name, "definition": rule.definition, "published": rule.published}


def rule_name_clean(name) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_LENGTH or not name.isprintable():
        raise RuleInvalid({"name": f"1 to {NAME_LENGTH} printable characters"})
    return name


@transaction.atomic
def rule_save(*, actor, name, definition, rule: Rule | None = None) -> Rule:
    """Creates a rule, or saves `rule`'s working copy; decisions do not change until it is
    published. RuleInvalid names each field that is wrong."""
    errors = {}
    try:
        name = rule_name_clean(name)
    except RuleInvalid as exc:
        errors.update(exc.errors)
    try:
        definition = rule_definition_clean(
            definition, lists=list_fields(), attribute_types=attribute_types_declared()
        )
    except RuleInvalid as exc:
        errors.update(exc.errors)
    if not errors and Rule.objects.filter(name=name).exclude(pk=getattr(rule, "pk", None)).exists():
        errors["name"] = "another rule has this name"
    if errors:
        raise RuleInvalid(errors)
    before = None if rule is None else _audit_form(rule)
    if rule is None:
        rule = Rule(created_by=actor)
    rule.name, rule.definition = name, definition
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:  # a rule of the same name saved at the same moment
        raise RuleInvalid({"name": "another rule has this name"}) from exc
    audit_record(
        actor=actor,
        action="rule.create" if before is None else "rule.update",
        obj=rule,
        before=before,
        after=_audit_form(rule),
    )
    return rule


@transaction.atomic
def rule_publish(*, actor, rule: Rule, mode: str) -> PolicyVersion:
    """Publishes the rule's working copy as its next version in `mode` and a policy version
    that carries it; new decisions use it."""
    if mode not in RuleMode.values:
        raise RuleInvalid({"mode": f"one of {', '.join(RuleMode.values)}"})
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    before = _audit_form(rule)
    rule.version += 1
    rule.published = {
        "version": rule.version,
        "mode": mode,
        "name": rule.name,
        "definition": rule.definition,
    }
    rule.save(update_fields=["version", "published", "updated_at"])
    audit_record(
        actor=actor, action="rule.publish", obj=rule, before=before, after=_audit_form(rule)
    )
    return policy_version_publish(actor=actor, note=f"rule {rule.name} v{rule.version} {mode}")
