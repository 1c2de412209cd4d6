"""Settings for a developer's machine: `make run` and manage.py in the same checkout."""

from config.logs import logging_settings
from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
# Only a developer's machine has a fallback key; production settings require SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me")
# The demo logins sign in with a password alone; STAFF_TOTP_REQUIRED=1 tries the second step.
STAFF_TOTP_REQUIRED = env.bool("STAFF_TOTP_REQUIRED", default=False)
# Log lines for a person at a terminal; LOG_FORMAT=json gives what a log pipeline reads.
LOGGING = logging_settings(
    env("LOG_FORMAT", default="console"), level=env("LOG_LEVEL", default="INFO")
)
# Receivers on a developer's machine and in the tests are plain-HTTP local servers.
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=False)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True)
