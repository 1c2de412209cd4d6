"""Settings for the test suite; `make test` points the database and Redis at throwaway servers."""

from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR, env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="insecure-test-key")
# Tests of the second step turn it on for themselves.
STAFF_TOTP_REQUIRED = env.bool("STAFF_TOTP_REQUIRED", default=False)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MODEL_ARTIFACT_DIR = Path(env("MODEL_ARTIFACT_DIR", default=str(VAR_DIR / "test-models")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Receivers on a developer's machine and in the tests are plain-HTTP local servers.
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=False)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)
