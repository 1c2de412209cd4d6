"""Rules: a definition is validated with errors named by where they are, and evaluated purely."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.rules import RuleInvalid, rule_definition_clean, rule_inputs, rules_evaluate

ELECTRONICS_OVER_500 = {
    "when": {
        "all": [
            {"field": "product_category", "op": "eq", "value": "Electronics"},
            {"field": "order_value", "op": "gt", "value": 500},
        ]
    },
    "effect": {"type": "probability_floor", "value": 0.25},
}


def published(definition, *, name="Electronics over $500", mode="live", rule_id=1, version=1):
    return {
        "id": rule_id,
        "version": version,
        "mode": mode,
        "name": name,
        "definition": rule_definition_clean(definition),
    }


def inputs(**overrides):
    r = SimpleNamespace(
        order_value=Decimal("600.00"),
        return_ratio=0.2,
        returns_velocity_30d=1,
        days_since_purchase=10,
        product_category="Electronics",
        payment_method="Credit Card",
        customer=SimpleNamespace(external_id="C-1"),
    )
    for name, value in overrides.items():
        setattr(r, name, value)
    return rule_inputs(r, customer_mean=overrides.get("mean", Decimal("200.00")))


ATTRIBUTE_TYPES = {
    "account_age_days": "number",
    "email_domain_class": "category",
    "billing_shipping_mismatch": "boolean",
    "device_id": "identifier",
}
ATTRIBUTES = {
    "account_age_days": 3,
    "email_domain_class": "disposable",
    "billing_shipping_mismatch": True,
    "device_id": "dev-1",
}

INVALID = [
    # (definition, the path named in the errors)
    ([], "definition"),
    ({"when": {"all": []}, "effect": {"type": "force_review"}}, "when.all"),
    ({"when": {"either": []}, "effect": {"type": "force_review"}}, "when"),
    (
        {"when": {"all": [{"field": "colour", "op": "eq", "value": "red"}]}, "effect": {}},
        "when.all[0].field",
    ),
    (
        {"when": {"any": [{"field": "order_value", "op": "gt", "value": "lots"}]}},
        "when.any[0].value",
    ),
    (
        {"when": {"any": [{"field": "payment_method", "op": "gt", "value": "Card"}]}},
        "when.any[0].op",
    ),
    (
        {"when": {"any": [{"field": "payment_method", "op": "in", "value": ["a", 3]}]}},
        "when.any[0].value[1]",
    ),
    (
        {"when": {"any": [{"field": "customer_id", "op": "in_list", "value": "nope"}]}},
        "when.any[0].value",
    ),
    ({**ELECTRONICS_OVER_500, "effect": {"type": "probability_floor", "value": 2}}, "effect.value"),
    ({**ELECTRONICS_OVER_500, "effect": {"type": "cost_floor", "value": "NaN"}}, "effect.value"),
    ({**ELECTRONICS_OVER_500, "effect": {"type": "ban"}}, "effect.type"),
]


@pytest.mark.parametrize(("definition", "path"), INVALID)
def test_invalid_definition_names_the_wrong_part(definition, path):
    with pytest.raises(RuleInvalid) as raised:
        rule_definition_clean(definition)
    assert path in raised.value.errors


def test_numbers_sent_as_text_are_stored_as_numbers():
    definition = {
        "when": {"any": [{"field": "order_value", "op": "gte", "value": " 500 "}]},
        "effect": {"type": "cost_floor", "value": "40"},
    }
    assert rule_definition_clean(definition) == {
        "when": {"any": [{"field": "order_value", "op": "gte", "value": 500.0}]},
        "effect": {"type": "cost_floor", "value": "40.00"},
    }


@pytest.mark.parametrize(
    ("overrides", "fires"),
    [
        ({}, True),
        ({"order_value": Decimal("500.00")}, False),
        ({"product_category": "Apparel"}, False),
    ],
)
def test_electronics_over_500_sets_the_probability_floor(overrides, fires):
    effects = rules_evaluate([published(ELECTRONICS_OVER_500)], inputs(**overrides))
    assert effects.probability_floor == (0.25 if fires else 0.0)
    assert [hit["name"] for hit in effects.fired] == (["Electronics over $500"] if fires else [])
    if fires:
        assert effects.reasons == [
            {
                "code": "rule",
                "rule": "Electronics over $500",
                "text": "Electronics over $500: fraud probability priced at no less than 0.25",
            }
        ]


def test_any_group_and_ratio_to_the_customers_mean():
    definition = {
        "when": {
            "any": [
                {"field": "order_value_to_customer_mean", "op": "gte", "value": 3},
                {"field": "customer_id", "op": "in", "value": ["C-9"]},
            ]
        },
        "effect": {"type": "force_review"},
    }
    rules = [published(definition, name="Far above their usual")]
    assert rules_evaluate(rules, inputs(mean=Decimal("200.00"))).forced_action == "review"
    assert rules_evaluate(rules, inputs(mean=Decimal("600.00"))).forced_action is None


def test_most_cautious_forced_action_wins_and_its_reason_leads():
    anything = {"all": [{"field": "order_value", "op": "gt", "value": 0}]}
    rules = [
        published({"when": anything, "effect": {"type": "force_approve"}}, name="A", rule_id=1),
        published({"when": anything, "effect": {"type": "force_reject"}}, name="B", rule_id=2),
    ]
    effects = rules_evaluate(rules, inputs())
    assert effects.forced_action == "reject"
    assert [reason["rule"] for reason in effects.reasons] == ["B", "A"]


def test_shadow_rule_is_recorded_but_has_no_effect():
    effects = rules_evaluate([published(ELECTRONICS_OVER_500, mode="shadow")], inputs())
    assert effects.fired == [
        {"rule": 1, "version": 1, "name": "Electronics over $500", "shadow": True}
    ]
    assert (effects.probability_floor, effects.reasons) == (0.0, [])


def test_in_list_reads_the_named_list():
    definition = {
        "when": {"all": [{"field": "customer_id", "op": "in_list", "value": "blocked"}]},
        "effect": {"type": "force_reject"},
    }
    rule = {
        "id": 1,
        "version": 1,
        "mode": "live",
        "name": "Blocked customers",
        "definition": rule_definition_clean(definition, lists={"blocked": "customer_id"}),
    }
    assert rules_evaluate([rule], inputs(), lists={"blocked": {"C-1"}}).forced_action == "reject"
    assert rules_evaluate([rule], inputs(), lists={"blocked": {"C-2"}}).forced_action is None


JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["when", "effect", "all", "any", "field", "op", "value", "type"])
            | st.text(max_size=4),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


def _outcome(definition):
    try:
        return (
            rule_definition_clean(
                definition,
                lists={"blocked": "customer_id", "devices": "attributes.device_id"},
                attribute_types=ATTRIBUTE_TYPES,
            ),
            None,
        )
    except RuleInvalid as exc:
        return None, exc.errors


def _rule_or_named_error(definition):
    cleaned, errors = _outcome(definition)
    if errors is not None:
        assert errors
        assert all(isinstance(path, str) for path in errors)
    else:
        rule = {"id": 1, "version": 1, "mode": "live", "name": "x", "definition": cleaned}
        rules_evaluate([rule], inputs(), lists={"blocked": {"C-1"}})
        rules_evaluate([rule], inputs(attributes=ATTRIBUTES), lists={"devices": {"dev-1"}})


@given(definition=JSON)
def test_any_json_is_a_rule_or_a_named_error(definition):
    _rule_or_named_error(definition)


CONDITIONS = st.fixed_dictionaries(
    {
        "field": st.sampled_from(
            [
                "order_value",
                "product_category",
                "customer_id",
                "colour",
                *(f"attributes.{name}" for name in [*ATTRIBUTE_TYPES, "undeclared"]),
            ]
        ),
        "op": st.sampled_from(["eq", "ne", "gt", "lte", "in", "not_in", "in_list", "is"]),
        "value": st.one_of(
            st.integers(),
            st.floats(),
            st.booleans(),
            st.sampled_from(["blocked", "devices"]),
            st.text(max_size=5),
            st.lists(st.text(max_size=3)),
        ),
    }
)
DEFINITIONS = st.fixed_dictionaries(
    {
        "when": st.dictionaries(
            st.sampled_from(["all", "any"]),
            st.lists(CONDITIONS, max_size=3),
            min_size=1,
            max_size=1,
        ),
        "effect": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["probability_floor", "cost_floor", "force_review", "x"]),
                "value": st.one_of(st.floats(), st.text(max_size=6), st.integers()),
            }
        ),
    }
)


@given(definition=DEFINITIONS)
def test_near_valid_definitions_are_rules_or_named_errors(definition):
    _rule_or_named_error(definition)


def attribute_rule(*conditions, lists=None):
    definition = {"when": {"all": list(conditions)}, "effect": {"type": "force_review"}}
    cleaned = rule_definition_clean(definition, lists=lists, attribute_types=ATTRIBUTE_TYPES)
    return {"id": 1, "version": 1, "mode": "live", "name": "signals", "definition": cleaned}


def test_rules_compare_attributes_by_their_declared_type():
    rule = attribute_rule(
        {"field": "attributes.account_age_days", "op": "lt", "value": "7"},
        {"field": "attributes.email_domain_class", "op": "in", "value": ["disposable"]},
        {"field": "attributes.billing_shipping_mismatch", "op": "eq", "value": True},
    )
    assert rule["definition"]["when"]["all"][0]["value"] == 7.0
    assert rules_evaluate([rule], inputs(attributes=ATTRIBUTES)).forced_action == "review"
    older = {**ATTRIBUTES, "account_age_days": 30}
    assert rules_evaluate([rule], inputs(attributes=older)).forced_action is None


def test_a_return_without_the_attribute_meets_no_condition_on_it():
    rule = attribute_rule({"field": "attributes.account_age_days", "op": "lt", "value": 7})
    assert rules_evaluate([rule], inputs(attributes={})).forced_action is None
    assert rules_evaluate([rule], inputs()).forced_action is None


def test_an_identifier_list_blocks_a_device():
    rule = attribute_rule(
        {"field": "attributes.device_id", "op": "in_list", "value": "devices"},
        lists={"devices": "attributes.device_id"},
    )
    blocked = rules_evaluate([rule], inputs(attributes=ATTRIBUTES), lists={"devices": {"dev-1"}})
    assert blocked.forced_action == "review"
    other = rules_evaluate([rule], inputs(attributes=ATTRIBUTES), lists={"devices": {"dev-2"}})
    assert other.forced_action is None


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        (
            {"field": "attributes.foo", "op": "eq", "value": "x"},
            "when.all[0].field",
            "attributes.foo: not a declared attribute",
        ),
        (
            {"field": "attributes.account_age_days", "op": "gt", "value": "young"},
            "when.all[0].value",
            "a number",
        ),
        (
            {"field": "attributes.device_id", "op": "gt", "value": "a"},
            "when.all[0].op",
            "eq, ne, in or not_in for a text field",
        ),
        (
            {"field": "attributes.billing_shipping_mismatch", "op": "eq", "value": "yes"},
            "when.all[0].value",
            "true or false",
        ),
        (
            {"field": "attributes.billing_shipping_mismatch", "op": "gt", "value": True},
            "when.all[0].op",
            "eq or ne for a boolean attribute",
        ),
        (
            {"field": "attributes.device_id", "op": "in_list", "value": "blocked"},
            "when.all[0].value",
            "a list of attributes.device_id values (blocked holds customer_id values)",
        ),
        (
            {"field": "customer_id", "op": "in_list", "value": "devices"},
            "when.all[0].value",
            "a list of customer_id values (devices holds attributes.device_id values)",
        ),
    ],
)
def test_conditions_on_attributes_are_checked_against_the_declaration(condition, path, message):
    with pytest.raises(RuleInvalid) as refused:
        attribute_rule(
            condition, lists={"blocked": "customer_id", "devices": "attributes.device_id"}
        )
    assert refused.value.errors == {path: message}
