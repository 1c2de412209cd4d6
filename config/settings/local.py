"""Settings for a developer's machine: `make run` and manage.py in the same checkout."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
# Only a developer's machine has a fallback key; production settings require SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-change-me")
