"""The rule editor: leads and admins only, CSRF, field-named errors, and no input gives a 500."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.models import AuditEvent
from intake.choices import AttributeType
from scoring.models import ListEntry, Rule, RuleList
from scoring.services.policies import policy_version_current
from tests.factories import AttributeDefinitionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_costs")]

ELECTRONICS_OVER_500 = {
    "when": {
        "all": [
            {"field": "product_category", "op": "eq", "value": "Electronics"},
            {"field": "order_value", "op": "gt", "value": 500},
        ]
    },
    "effect": {"type": "probability_floor", "value": 0.25},
}


def form(name="Electronics over $500", definition=ELECTRONICS_OVER_500, **buttons):
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return {"name": name, "definition": text, "days": "30", **buttons}


@pytest.fixture
def lead_client(client):
    client.force_login(UserFactory(username="lee", role="lead"))
    return client


def test_reviewers_are_refused_and_visitors_sent_to_log_in(client):
    for url in (reverse("rules:index"), reverse("rules:new")):
        assert client.get(url).status_code == 302
    client.force_login(UserFactory(role="reviewer"))
    assert client.get(reverse("rules:index")).status_code == 403
    assert client.post(reverse("rules:new"), form(_save="")).status_code == 403
    assert not Rule.objects.exists()


def test_a_post_without_the_csrf_token_is_refused():
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(UserFactory(role="lead"))
    assert strict.post(reverse("rules:new"), form(_save="")).status_code == 403


def test_save_then_publish_live_from_the_editor(lead_client):
    response = lead_client.post(reverse("rules:new"), form(_save=""))
    rule = Rule.objects.get()
    assert response["Location"] == reverse("rules:edit", args=[rule.pk])
    assert rule.published is None

    response = lead_client.post(reverse("rules:edit", args=[rule.pk]), form(_live=""), follow=True)
    assert "is live in policy v" in response.content.decode()
    assert policy_version_current().snapshot["rules"][0]["name"] == "Electronics over $500"
    assert AuditEvent.objects.filter(action="rule.publish", actor__username="lee").exists()
    assert "v1, live" in lead_client.get(reverse("rules:index")).content.decode()


def test_a_test_run_saves_nothing_and_shows_the_figures(lead_client):
    html = lead_client.post(reverse("rules:new"), form(_test_run="")).content.decode()
    assert 'id="test-run-result"' in html
    assert 'id="test-run-hits">0<' in html
    assert not Rule.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (form(definition="{oops"), "definition", "Not JSON"),
        (form(definition={"when": {"all": []}}), "definition", "when.all: a list of at least"),
        (form(name=""), "name", "This field is required"),
        (form(name="x" * 121), "name", "at most 120"),
    ],
)
def test_errors_are_shown_by_the_field_they_belong_to(lead_client, data, field, message):
    response = lead_client.post(reverse("rules:new"), {**data, "_save": ""})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Rule.objects.exists()


TEXT = st.text(max_size=60)
# Rules that are nearly right, so that saving and publishing are reached, with any text in them.
SKELETONS = st.builds(
    lambda field, op, value, effect, amount: {
        "when": {"any": [{"field": field, "op": op, "value": value}]},
        "effect": {"type": effect, "value": amount},
    },
    st.sampled_from(["order_value", "product_category", "customer_id"]),
    st.sampled_from(["eq", "gt", "in"]),
    st.one_of(TEXT, st.integers(), st.floats(), st.lists(TEXT, max_size=3)),
    st.sampled_from(["probability_floor", "cost_floor", "force_review"]),
    st.one_of(TEXT, st.floats(), st.integers()),
).map(json.dumps)
BUTTONS = st.sampled_from(["_save", "_test_run", "_live", "_shadow", "_off", "_other"])


@given(
    name=TEXT,
    definition=st.one_of(
        SKELETONS,
        TEXT,
        st.recursive(st.none() | st.integers() | TEXT, st.lists, max_leaves=5).map(json.dumps),
    ),
    days=st.one_of(TEXT, st.integers().map(str)),
    button=BUTTONS,
)
def test_no_input_to_the_editor_is_a_server_error(lead_client, name, definition, days, button):
    response = lead_client.post(
        reverse("rules:new"), {"name": name, "definition": definition, "days": days, button: ""}
    )
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert Rule.objects.filter(name=name.strip()).exists()


def test_lists_pages_are_for_leads_and_admins(client):
    client.force_login(UserFactory(role="reviewer"))
    assert client.get(reverse("rules:lists")).status_code == 403
    assert client.post(reverse("rules:lists"), {"name": "x", "kind": "block"}).status_code == 403


def test_a_lead_makes_a_list_adds_uploads_downloads_and_removes(lead_client):
    response = lead_client.post(reverse("rules:lists"), {"name": "blocked", "kind": "block"})
    url = response["Location"]
    lead_client.post(url, {"value": "C-1", "reason": "ring", "expires_at": "", "_add": ""})
    upload = SimpleUploadedFile("list.csv", b"value,reason\nC-2,chargeback\n")
    response = lead_client.post(url, {"file": upload, "_upload": ""}, follow=True)
    assert "1 entries put on blocked" in response.content.decode()
    csv_text = lead_client.get(url + "/csv").content.decode()
    assert csv_text.splitlines() == ["value,reason,expires_at", "C-1,ring,", "C-2,chargeback,"]
    entry = ListEntry.objects.get(value="C-1")
    lead_client.post(
        reverse("rules:list-entry-remove", args=[entry.rule_list_id, entry.pk]), follow=True
    )
    assert list(ListEntry.objects.values_list("value", flat=True)) == ["C-2"]
    assert AuditEvent.objects.filter(action__startswith="list.", actor__username="lee").count() == 4


def test_a_bad_upload_shows_the_line_on_the_form(lead_client):
    url = lead_client.post(reverse("rules:lists"), {"name": "b", "kind": "block"})["Location"]
    upload = SimpleUploadedFile("list.csv", b"value,reason\nC-2,\n")
    response = lead_client.post(url, {"file": upload, "_upload": ""})
    assert "line 2, reason" in " ".join(response.context["upload_form"].errors["file"])


@given(data=st.binary(max_size=200), value=TEXT, reason=TEXT, expires=TEXT)
def test_no_input_to_the_lists_is_a_server_error(lead_client, data, value, reason, expires):
    url = reverse("rules:lists")
    assert lead_client.post(url, {"name": value, "kind": reason}).status_code in (200, 302)
    rule_list = RuleList.objects.first() or RuleList.objects.create(name="l", kind="block")
    url = reverse("rules:list", args=[rule_list.pk])
    upload = SimpleUploadedFile("list.csv", data)
    assert lead_client.post(url, {"file": upload, "_upload": ""}).status_code in (200, 302)
    entry = {"value": value, "reason": reason, "expires_at": expires, "_add": ""}
    assert lead_client.post(url, entry).status_code in (200, 302)


def test_a_lead_makes_a_device_list_and_a_rule_on_it_and_test_runs_it(lead_client):
    AttributeDefinitionFactory(name="device_id", type=AttributeType.IDENTIFIER)
    page = lead_client.get(reverse("rules:lists")).content.decode()
    assert 'value="attributes.device_id"' in page
    response = lead_client.post(
        reverse("rules:lists"),
        {"name": "bad devices", "kind": "block", "field": "attributes.device_id"},
    )
    assert RuleList.objects.get().field == "attributes.device_id"
    lead_client.post(response["Location"], {"value": "dev-9", "reason": "ring", "_add": ""})
    definition = {
        "when": {
            "all": [{"field": "attributes.device_id", "op": "in_list", "value": "bad devices"}]
        },
        "effect": {"type": "force_review"},
    }
    response = lead_client.post(reverse("rules:new"), form("Bad devices", definition, _test_run=""))
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert response.context["test_run"] is not None
    lead_client.post(reverse("rules:new"), form("Bad devices", definition, _save=""))
    assert Rule.objects.get().definition["when"]["all"][0]["field"] == "attributes.device_id"


def test_the_editor_names_an_undeclared_attribute(lead_client):
    definition = {
        "when": {"all": [{"field": "attributes.device_id", "op": "eq", "value": "x"}]},
        "effect": {"type": "force_review"},
    }
    response = lead_client.post(reverse("rules:new"), form("Devices", definition, _save=""))
    assert "attributes.device_id: not a declared attribute" in " ".join(
        response.context["form"].errors["definition"]
    )
    assert not Rule.objects.exists()
