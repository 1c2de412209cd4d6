"""A fraud team's rules: validating a rule's definition and evaluating rules on one return.

Pure functions, no database. A definition is JSON:

    {"when": {"all": [{"field": "product_category", "op": "eq", "value": "electronics"},
                      {"field": "order_value", "op": "gt", "value": 500}]},
     "effect": {"type": "probability_floor", "value": 0.25}}

`when` is a group, {"all": [...]} (AND) or {"any": [...]} (OR), of conditions and groups. A
condition names a `field` of the return (FIELDS) or one of its declared attributes,
`attributes.<name>`, typed by the declaration: a number compares as a number, a category or an
identifier as a text, a boolean only with eq / ne true or false. A return without the attribute
meets no condition on it. `in_list` names a list of the condition's field (customer ids, or the
values of a text attribute such as a device id).
`order_value_to_customer_mean` is the return's value over the mean order value of the customer's
stored returns (this one included, so a first return is 1).

Effects: a probability floor (the policy prices the return at no less than it) or an approval
cost floor (approving is priced at no less than it) keep the economics; force_review,
force_reject and force_approve act regardless of the prices. A shadow rule is evaluated and
recorded but has no effect.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from scoring.choices import Action, ReasonCode
from scoring.constants import CENT

NUMBER, TEXT, BOOLEAN = "number", "text", "boolean"
ATTRIBUTE_PREFIX = "attributes."
# An attribute's declared type (intake.choices.AttributeType) as a rule compares it.
ATTRIBUTE_KINDS = {"number": NUMBER, "category": TEXT, "identifier": TEXT, "boolean": BOOLEAN}
FIELDS = {
    "order_value": NUMBER,
    "order_value_to_customer_mean": NUMBER,
    "return_ratio": NUMBER,
    "returns_velocity_30d": NUMBER,
    "days_since_purchase": NUMBER,
    "product_category": TEXT,
    "payment_method": TEXT,
    "customer_id": TEXT,
}
COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
ORDERED = frozenset({"gt", "gte", "lt", "lte"})
MEMBERSHIP = {"in": True, "not_in": False}
LIST_MEMBERSHIP = {"in_list": True, "not_in_list": False}
OPERATORS = frozenset(COMPARISONS) | frozenset(MEMBERSHIP) | frozenset(LIST_MEMBERSHIP)
FORCED = {
    "force_reject": Action.REJECT,
    "force_review": Action.REVIEW,
    "force_approve": Action.APPROVE,
}
EFFECTS = frozenset({"probability_floor", "cost_floor"}) | frozenset(FORCED)
# When several live rules force an action, the most cautious wins.
FORCE_PRECEDENCE = (Action.REJECT, Action.REVIEW, Action.APPROVE)
MAX_CONDITIONS = 50
MAX_DEPTH = 5
MAX_TEXT = 200
MAX_COST_FLOOR = Decimal("1000000")


class RuleInvalid(ValueError):
    """A definition that cannot be a rule; `errors` maps a path in it to what is wrong."""

    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{path}: {message}" for path, message in errors.items()))
        self.errors = errors


def _number(value):
    """A finite number from JSON (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _text(value) -> bool:
    # Printable only: PostgreSQL's jsonb refuses a NUL, and a control character is a typo.
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT and value.isprintable()


def field_kind(name, attribute_types: dict) -> str | None:
    """How a rule compares the field `name` (NUMBER, TEXT, BOOLEAN), None if it is no field."""
    if not isinstance(name, str):
        return None
    if name.startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE_KINDS.get(attribute_types.get(name[len(ATTRIBUTE_PREFIX) :]))
    return FIELDS.get(name)


def _condition_errors(condition, path: str, errors: dict, vocabulary) -> None:
    name, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    unknown = set(condition) - {"field", "op", "value"}
    if unknown:
        errors[path] = f"unknown keys {', '.join(sorted(map(str, unknown)))}"
    kind = field_kind(name, vocabulary.attribute_types)
    if kind is None:
        errors[f"{path}.field"] = (
            f"{name}: not a declared attribute"
            if isinstance(name, str) and name.startswith(ATTRIBUTE_PREFIX)
            else f"one of {', '.join(FIELDS)}, or attributes.<a declared attribute>"
        )
    if op not in OPERATORS:
        errors[f"{path}.op"] = f"one of {', '.join(sorted(OPERATORS))}"
        return
    if kind == BOOLEAN:
        if op not in ("eq", "ne"):
            errors[f"{path}.op"] = "eq or ne for a boolean attribute"
        elif not isinstance(value, bool):
            errors[f"{path}.value"] = "true or false"
        return
    if op in LIST_MEMBERSHIP:
        if not isinstance(value, str) or value not in vocabulary.list_fields:
            errors[f"{path}.value"] = "the name of an existing list"
        elif kind is not None and vocabulary.list_fields[value] != name:
            errors[f"{path}.value"] = (
                f"a list of {name} values ({value} holds {vocabulary.list_fields[value]} values)"
            )
        return
    if op in MEMBERSHIP:
        if not isinstance(value, list) or not 0 < len(value) <= MAX_CONDITIONS:
            errors[f"{path}.value"] = f"a list of 1 to {MAX_CONDITIONS} values"
            return
        for index, item in enumerate(value):
            if (kind == NUMBER and _number(item) is None) or (kind == TEXT and not _text(item)):
                errors[f"{path}.value[{index}]"] = "a number" if kind == NUMBER else "a text"
        return
    if kind == NUMBER and _number(value) is None:
        errors[f"{path}.value"] = "a number"
    elif kind == TEXT and (op in ORDERED or not _text(value)):
        errors[f"{path}.value" if op not in ORDERED else f"{path}.op"] = (
            "eq, ne, in or not_in for a text field" if op in ORDERED else "a text"
        )


def _group_errors(group, path: str, errors: dict, vocabulary, depth: int, count: list) -> None:
    if not isinstance(group, dict) or len(group) != 1 or next(iter(group)) not in ("all", "any"):
        errors[path] = 'a group: {"all": [...]} or {"any": [...]}'
        return
    joiner, members = next(iter(group.items()))
    if not isinstance(members, list) or not members:
        errors[f"{path}.{joiner}"] = "a list of at least one condition"
        return
    for index, member in enumerate(members):
        where = f"{path}.{joiner}[{index}]"
        count[0] += 1
        if count[0] > MAX_CONDITIONS:
            errors[where] = f"a rule has at most {MAX_CONDITIONS} conditions"
            return
        if isinstance(member, dict) and ("all" in member or "any" in member):
            if depth >= MAX_DEPTH:
                errors[where] = f"groups nest at most {MAX_DEPTH} deep"
            else:
                _group_errors(member, where, errors, vocabulary, depth + 1, count)
        elif isinstance(member, dict):
            _condition_errors(member, where, errors, vocabulary)
        else:
            errors[where] = "a condition or a group"


def _effect_errors(effect, errors: dict) -> None:
    if not isinstance(effect, dict) or effect.get("type") not in EFFECTS:
        errors["effect.type"] = f"one of {', '.join(sorted(EFFECTS))}"
        return
    unknown = set(effect) - {"type", "value"}
    if unknown:
        errors["effect"] = f"unknown keys {', '.join(sorted(map(str, unknown)))}"
    value = _number(effect.get("value"))
    if effect["type"] == "probability_floor" and (value is None or not 0 < value <= 1):
        errors["effect.value"] = "a probability above 0 and at most 1"
    elif effect["type"] == "cost_floor" and (value is None or not 0 < value <= MAX_COST_FLOOR):
        errors["effect.value"] = f"an amount above 0 and at most {MAX_COST_FLOOR}"


@dataclass(frozen=True)
class _Vocabulary:
    list_fields: dict  # list name -> the field its values are of
    attribute_types: dict  # declared attribute name -> its type


def rule_definition_clean(definition, *, lists=None, attribute_types=None) -> dict:
    """The definition in its stored form; RuleInvalid naming each wrong part if it is not one.

    `lists` maps each list's name to the field its values are of (scoring.selectors.list_fields);
    `attribute_types` the declared attributes to their types (intake.selectors).
    """
    errors = {}
    vocabulary = _Vocabulary(
        list_fields=dict(lists or {}), attribute_types=dict(attribute_types or {})
    )
    if not isinstance(definition, dict):
        raise RuleInvalid({"definition": 'an object with "when" and "effect"'})
    unknown = set(definition) - {"when", "effect"}
    if unknown:
        errors["definition"] = f"unknown keys {', '.join(sorted(map(str, unknown)))}"
    _group_errors(definition.get("when"), "when", errors, vocabulary, 1, [0])
    _effect_errors(definition.get("effect"), errors)
    if errors:
        raise RuleInvalid(errors)
    effect = definition["effect"]
    if effect["type"] in FORCED:
        effect = {"type": effect["type"]}
    elif effect["type"] == "probability_floor":
        effect = {"type": effect["type"], "value": float(_number(effect["value"]))}
    else:
        effect = {"type": effect["type"], "value": str(_number(effect["value"]).quantize(CENT))}
    return {"when": _stored(definition["when"], vocabulary), "effect": effect}


def _stored(node, vocabulary: _Vocabulary):
    """Numbers as JSON numbers, whatever text the editor sent them as."""
    if "all" in node or "any" in node:
        joiner = "all" if "all" in node else "any"
        return {joiner: [_stored(member, vocabulary) for member in node[joiner]]}
    kind, value = field_kind(node["field"], vocabulary.attribute_types), node["value"]
    if kind == NUMBER and node["op"] not in LIST_MEMBERSHIP:
        value = (
            [float(_number(v)) for v in value] if isinstance(value, list) else float(_number(value))
        )
    return {"field": node["field"], "op": node["op"], "value": value}


def rule_inputs(return_request, *, customer_mean: Decimal | None) -> dict:
    """The fields rules read from a return (an intake ReturnRequest or anything shaped like it)."""
    value = return_request.order_value
    return {
        "order_value": float(value),
        "order_value_to_customer_mean": float(value / customer_mean) if customer_mean else 1.0,
        "return_ratio": float(return_request.return_ratio),
        "returns_velocity_30d": float(return_request.returns_velocity_30d),
        "days_since_purchase": float(return_request.days_since_purchase),
        "product_category": return_request.product_category,
        "payment_method": return_request.payment_method,
        "customer_id": return_request.customer.external_id,
        **{
            f"{ATTRIBUTE_PREFIX}{name}": float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else value
            for name, value in (getattr(return_request, "attributes", None) or {}).items()
        },
    }


def _holds(node, inputs: dict, lists: dict) -> bool:
    if "all" in node:
        return all(_holds(member, inputs, lists) for member in node["all"])
    if "any" in node:
        return any(_holds(member, inputs, lists) for member in node["any"])
    actual, op, value = inputs.get(node["field"]), node["op"], node["value"]
    if actual is None:
        return False
    if op in LIST_MEMBERSHIP:
        return (actual in lists.get(value, ())) == LIST_MEMBERSHIP[op]
    if op in MEMBERSHIP:
        return (actual in value) == MEMBERSHIP[op]
    try:
        return COMPARISONS[op](actual, value)
    except TypeError:  # a stored value of another type than the rule's, which meets nothing
        return False


@dataclass(frozen=True)
class RuleEffects:
    """What the rules that hold say about one return, as the policy takes it."""

    probability_floor: float = 0.0
    cost_floor: Decimal = Decimal("0.00")
    forced_action: str | None = None
    # One reason per acting rule, {"code": "rule", "rule": name, "text": ...}; the forcing
    # rule's first.
    reasons: list = field(default_factory=list)
    # Every rule that held, shadow ones too: {"rule": id, "version", "name", "shadow"}.
    fired: list = field(default_factory=list)


def _effect_text(effect: dict) -> str:
    kind = effect["type"]
    if kind == "probability_floor":
        return f"fraud probability priced at no less than {effect['value']:g}"
    if kind == "cost_floor":
        return f"approving priced at no less than ${Decimal(effect['value']):,.2f}"
    return f"{FORCED[kind]} regardless of the prices"


def _blocked(inputs: dict, blocks: dict) -> dict | None:
    """The on_list reason of the first block list holding one of the return's fields."""
    for field_name, values in sorted(blocks.items()):
        name = values.get(inputs.get(field_name))
        if name is not None:
            return {
                "code": ReasonCode.ON_LIST,
                "list": name,
                "text": f"{field_name} {inputs[field_name]} is on the block list {name}",
            }
    return None


def rules_evaluate(
    rules: list[dict], inputs: dict, *, lists: dict | None = None, blocks: dict | None = None
) -> RuleEffects:
    """The effects of `rules` (published form: id, version, name, mode, definition) on a return
    whose fields are `inputs` (see rule_inputs); `lists` maps a list's name to its entries.
    `blocks` (scoring.selectors.block_lists_in_force) reject a listed return before any rule."""
    lists = lists or {}
    floor, cost_floor, forced, reasons, fired = 0.0, Decimal("0.00"), {}, [], []
    for rule in rules:
        definition = rule["definition"]
        if not _holds(definition["when"], inputs, lists):
            continue
        shadow = rule.get("mode") == "shadow"
        fired.append(
            {"rule": rule["id"], "version": rule["version"], "name": rule["name"], "shadow": shadow}
        )
        if shadow:
            continue
        effect = definition["effect"]
        reason = {
            "code": ReasonCode.RULE,
            "rule": rule["name"],
            "text": f"{rule['name']}: {_effect_text(effect)}",
        }
        if effect["type"] == "probability_floor":
            floor = max(floor, effect["value"])
        elif effect["type"] == "cost_floor":
            cost_floor = max(cost_floor, Decimal(effect["value"]))
        else:
            forced.setdefault(FORCED[effect["type"]], reason)
        reasons.append(reason)
    blocked = _blocked(inputs, blocks or {})
    if blocked is not None:
        forced[Action.REJECT] = blocked
        reasons.append(blocked)
    action = next((a for a in FORCE_PRECEDENCE if a in forced), None)
    if action is not None:
        reasons.remove(forced[action])
        reasons.insert(0, forced[action])
    return RuleEffects(
        probability_floor=floor,
        cost_floor=cost_floor,
        forced_action=action,
        reasons=reasons,
        fired=fired,
    )
