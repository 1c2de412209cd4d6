"""ASGI entry point for gunicorn's uvicorn workers (config.devstack.web_command, deploy/).

Under ASGI a request that waits for a decision (GET /api/v1/returns/{id}?wait=) waits on the
event loop and holds no thread; every other view runs in a thread of its own, with its database
connection lent from a pool.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("DATABASE_POOL_SIZE", "16")

from django.core.asgi import get_asgi_application  # noqa: E402  (after the environment)

application = get_asgi_application()

from config.db_bounds import bound_database_waits  # noqa: E402  (needs the settings loaded)

bound_database_waits("web")
