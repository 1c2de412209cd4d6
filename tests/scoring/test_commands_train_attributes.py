"""train_model with declared attributes: the model version records its input schema, and the
worker scores returns with and without attributes through either kind of model."""

from io import StringIO

import pytest
from django.core.management import call_command

from casework.services.pipeline import returns_decide_pending
from intake.choices import AttributeType
from ml.generate import ATTRIBUTE_TYPES, generate_returns
from scoring.models import Decision, ModelVersion
from tests.factories import AttributeDefinitionFactory, ReturnRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def training_file(tmp_path):
    path = tmp_path / "signals.csv"
    generate_returns(rows=3_000, scenario="normal", seed=2, attributes=True).to_csv(
        path, index=False
    )
    return path


def train(path) -> tuple[ModelVersion, str]:
    out = StringIO()
    call_command("train_model", "--data", str(path), stdout=out)
    return ModelVersion.objects.get(is_active=True), out.getvalue()


def test_train_model_learns_the_declared_attributes_the_file_has(training_file):
    for name, kind in ATTRIBUTE_TYPES.items():
        AttributeDefinitionFactory(name=name, type=kind, active=name != "order_hour")
    AttributeDefinitionFactory(name="not_in_the_file", type=AttributeType.NUMBER)
    version, out = train(training_file)
    assert version.feature_schema["attributes"] == {
        "account_age_days": "number",
        "billing_shipping_mismatch": "boolean",
        # As the count of other customers sharing it, never its value.
        "device_id": "identifier",
        "email_domain_class": "category",
        "items_in_order": "number",
        "return_reason": "category",
    }
    assert "attributes: account_age_days (number)" in out

    fresh = ReturnRequestFactory(attributes={"account_age_days": 2, "device_id": "dev-1"})
    bare = ReturnRequestFactory()
    returns_decide_pending()
    assert Decision.objects.filter(return_request__in=[fresh, bare]).count() == 2


def test_without_declarations_the_model_has_no_attributes_and_ignores_them(training_file):
    version, out = train(training_file)
    assert version.feature_schema["attributes"] == {}
    assert "attributes: none" in out
    AttributeDefinitionFactory(name="account_age_days", type=AttributeType.NUMBER)
    scored = ReturnRequestFactory(attributes={"account_age_days": 2})
    returns_decide_pending()
    assert Decision.objects.filter(return_request=scored).exists()
