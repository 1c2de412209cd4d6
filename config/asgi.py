"""ASGI entry point for gunicorn's uvicorn workers (config.devstack.web_command, deploy/).

A request runs its middleware and view synchronously, on one thread, as under WSGI: Django's
own ASGI handler would hop to a thread for each synchronous middleware (about 20 hops, 7 ms a
request on our machines). What a response waits for before it is sent (a long-poll waiting for
its decision, core.awaiting) is then awaited on the event loop, with no thread working for
it; requests borrow their database connections from a pool and give them back before they wait.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
os.environ.setdefault("DATABASE_POOL_SIZE", "16")

import django  # noqa: E402  (after the environment)
from asgiref.sync import sync_to_async  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.handlers.base import BaseHandler  # noqa: E402

django.setup(set_prefix=False)

from config.db_bounds import bound_database_waits  # noqa: E402  (needs the settings loaded)
from core.awaiting import request_awaits_on_loop, response_awaited  # noqa: E402


class DeskASGIHandler(ASGIHandler):
    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request):
        request_awaits_on_loop(request)
        response = await sync_to_async(self.get_response)(request)
        await response_awaited(response)
        if response.streaming and not response.is_async:
            # A file (a static asset) is read on a thread, a block at a time.
            response.streaming_content = _read_on_a_thread(response.streaming_content)
        return response


async def _read_on_a_thread(blocks):
    blocks = iter(blocks)
    read_next = sync_to_async(next, thread_sensitive=False)
    while (block := await read_next(blocks, None)) is not None:
        yield block


application = DeskASGIHandler()
bound_database_waits("web")
