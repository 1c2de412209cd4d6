"""Settings for the test suite; `make test` points the database and Redis at throwaway servers."""

from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, VAR_DIR, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="insecure-test-key")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MODEL_ARTIFACT_DIR = Path(env("MODEL_ARTIFACT_DIR", default=str(VAR_DIR / "test-models")))
# The suite measures against the shared peer files beside the repository (README "Results");
# the product itself never reads them. Drift looks a model's training file up beside this one.
SHARED_DATASETS = BASE_DIR.parent / "shared" / "datasets"
DEFAULT_TRAINING_DATA = SHARED_DATASETS / "returns_normal.csv"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
