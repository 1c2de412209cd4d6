"""Shared generated data and a trained bundle, built once per test session."""

import pytest

from ml.generate import generate_returns
from ml.history import with_desk_view
from ml.train import TrainingConfig, train


@pytest.fixture(scope="session")
def normal_returns():
    return with_desk_view(generate_returns(rows=6_000, scenario="normal", seed=11))


@pytest.fixture(scope="session")
def bundle(normal_returns):
    return train(normal_returns, TrainingConfig(random_state=0))
