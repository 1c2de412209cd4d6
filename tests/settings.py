"""The suite's settings: the test settings, plus the shared peer files beside the repository
that the suite measures against (README "Results"); the product itself never reads them."""

from config.settings.base import BASE_DIR
from config.settings.test import *  # noqa: F403

SHARED_DATASETS = BASE_DIR.parent / "shared" / "datasets"
# Drift looks a model's training file up beside this one.
DEFAULT_TRAINING_DATA = SHARED_DATASETS / "returns_normal.csv"
