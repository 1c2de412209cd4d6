"""The data the first model trains on: the project's own unless DEFAULT_TRAINING_DATA says else."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from insights.services.drift import drift_reference_for
from ml.schema import CLIENT_FEATURES, read_returns_csv
from scoring.selectors import training_data_default
from tests.factories import ModelVersionFactory


@pytest.fixture
def own_data(settings, tmp_path):
    """Settings as on a bare clone: DEFAULT_TRAINING_DATA unset, so it is the own data file."""
    settings.OWN_TRAINING_DATA = tmp_path / "var" / "data" / "returns_normal_generated.csv"
    settings.DEFAULT_TRAINING_DATA = settings.OWN_TRAINING_DATA
    return settings.OWN_TRAINING_DATA


def test_own_data_is_generated_on_first_need(own_data):
    assert not own_data.exists()
    assert training_data_default() == own_data
    assert len(read_returns_csv(own_data)) >= 10_000


def test_drift_finds_the_generated_file_a_model_was_trained_on(own_data, trained_bundle):
    model_version = ModelVersionFactory.build(training_data=training_data_default().name)
    reference = drift_reference_for(model_version, trained_bundle)
    assert set(reference["features"]) == set(CLIENT_FEATURES)


def test_a_missing_override_names_the_setting(settings, tmp_path):
    settings.DEFAULT_TRAINING_DATA = tmp_path / "mine.csv"
    with pytest.raises(ImproperlyConfigured, match="DEFAULT_TRAINING_DATA"):
        training_data_default()


@pytest.mark.django_db
def test_bootstrap_refuses_a_missing_override_naming_the_setting(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.DEFAULT_TRAINING_DATA = tmp_path / "mine.csv"
    with pytest.raises(CommandError, match="DEFAULT_TRAINING_DATA is .*mine.csv"):
        call_command("bootstrap_demo")
