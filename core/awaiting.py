"""Responses that wait for something before they are sent (a long-poll waiting for its decision)
without a thread working for them while they wait.

A view answers as usual, then hands what its response waits for to `response_await`. Under the
web server (config/asgi.py) the handler awaits it on the event loop once the view and every
middleware are done, so a waiting request holds no database connection and no thread another
request needs (Django keeps one idle thread per request in flight). Anywhere else (runserver,
Django's test client: WSGI) it is awaited at once, on the request's thread.
"""

from collections.abc import Awaitable, Callable

from asgiref.sync import async_to_sync

_ON_LOOP = "_awaits_on_event_loop"


def request_awaits_on_loop(request) -> None:
    """Marks a request whose handler awaits its response's wait (config/asgi.py)."""
    setattr(request, _ON_LOOP, True)


def response_await(request, response, wait: Callable[[], Awaitable[None]]) -> None:
    """Has `wait()` awaited before `response` is sent: later on the event loop, or now."""
    if getattr(request, _ON_LOOP, False):
        response.awaiting = wait
    else:
        async_to_sync(wait)()


async def response_awaited(response) -> None:
    """Awaits what `response` waits for, if anything (the handler, after the middleware)."""
    wait = getattr(response, "awaiting", None)
    if wait is None:
        return
    await wait()
    if response.has_header("Content-Length"):  # the wait may have changed the body
        response["Content-Length"] = str(len(response.content))
