"""Per-key limits of the API, counted in Redis so that they hold across every web process: how
many requests a key may make in each period, by scope, and how many long-polls it may hold open
at once. Without Redis the API keeps answering: rates go unchecked and long-polls answer at once,
with a warning in the log, and leave a Redis that failed to answer alone for a few seconds, so a
hung one costs a request its short socket timeout now and then, not every request."""

import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from redis.commands.core import Script
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from casework.constants import LONG_POLL_MAX_MS
from core.models import ApiClient

logger = logging.getLogger(__name__)

LIMITS_CACHE = "api_limits"
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

LONG_POLL_SKIPPED_HEADER = "Long-Poll-Skipped"
SKIPPED_AT_LIMIT = "limit"
SKIPPED_WITHOUT_REDIS = "unavailable"
# A slot outlives the longest wait: one left by a killed process frees itself after this.
SLOT_SECONDS = LONG_POLL_MAX_MS / 1000 + 5
REDIS_REST_SECONDS = 5.0
# Per process, by the Redis's location: when each may be asked again after failing to answer.
_redis_resting_until: dict[str, float] = {}
RESTING = f"it failed to answer under {REDIS_REST_SECONDS:.0f}s ago"


def _limits_location() -> str:
    return settings.CACHES[LIMITS_CACHE]["LOCATION"]


def _redis_resting() -> bool:
    return time.monotonic() < _redis_resting_until.get(_limits_location(), 0.0)


def _redis_failed() -> None:
    _redis_resting_until[_limits_location()] = time.monotonic() + REDIS_REST_SECONDS


def _principal_id(user) -> str:
    return f"client:{user.pk}" if isinstance(user, ApiClient) else f"user:{user.pk}"


class ApiKeyRateThrottle(BaseThrottle):
    """At most the scope's rate of requests per API key (or signed-in user) in each period.

    The view names its scope (`throttle_scope`); rates are "count/period" as DRF writes them.
    The count is one Redis counter per key and period, so it is exact across processes and
    costs no more for a high rate than a low one; it starts again at each period's edge,
    which is when Retry-After says to come back.
    """

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        if scope is None or request.user is None:
            return True
        count, period = api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")
        limit, seconds = int(count), PERIOD_SECONDS[period[0]]
        if _redis_resting():
            logger.warning("API rate limits unchecked: Redis unreachable (%s)", RESTING)
            return True
        now = time.time()
        window = int(now // seconds)
        key = f"rate:{scope}:{_principal_id(request.user)}:{window}"
        cache = caches[LIMITS_CACHE]
        try:
            cache.add(key, 0, timeout=seconds + 1)
            used = cache.incr(key)
        except ValueError:  # the counter expired between the two calls: a new period began
            return True
        except redis.RedisError as exc:
            _redis_failed()
            logger.warning("API rate limits unchecked: Redis unreachable (%s)", exc)
            return True
        if used <= limit:
            return True
        self.retry_after = max(1, math.ceil((window + 1) * seconds - now))
        return False

    def wait(self):
        return self.retry_after


# Takes a slot if the key holds fewer than its cap, and drops the slots of waits that never
# released theirs (a killed process) first. KEYS[1]: the key's slots, each scored by the time
# it lapses; ARGV: slot id, cap, now, seconds a slot lives.
_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[4])) + 1)
return 1
"""


@lru_cache(maxsize=4)
def _redis(location: str, options: tuple) -> tuple[redis.Redis, Script]:
    connection = redis.Redis.from_url(location, **dict(options))
    return connection, connection.register_script(_TAKE_SLOT)


def _limits_redis() -> tuple[redis.Redis, Script]:
    """A client for the Redis the limits cache names, with its options (the short timeouts)."""
    config = settings.CACHES[LIMITS_CACHE]
    return _redis(config["LOCATION"], tuple(sorted(config.get("OPTIONS", {}).items())))


@asynccontextmanager
async def long_poll_slot(*, client: ApiClient) -> AsyncIterator[str | None]:
    """Holds one of the client's long-poll slots (API_CONCURRENT_WAITS_PER_KEY) for the block.

    Yields None when the request may wait, or why it may not: SKIPPED_AT_LIMIT when the client
    holds all its slots, SKIPPED_WITHOUT_REDIS when Redis is unreachable, and then no decision
    comes while it is down anyway (the worker is woken through it). The slot is given back
    however the block ends. Redis is asked on a thread, so the event loop never blocks on it.
    """
    if _redis_resting():
        logger.warning("long-poll answered at once: Redis unreachable (%s)", RESTING)
        yield SKIPPED_WITHOUT_REDIS
        return
    key = f"long-poll:{client.pk}"
    slot = uuid.uuid4().hex
    connection, take_slot = _limits_redis()
    try:
        taken = await sync_to_async(take_slot, thread_sensitive=False)(
            keys=[key],
            args=[slot, settings.API_CONCURRENT_WAITS_PER_KEY, time.time(), SLOT_SECONDS],
        )
    except redis.RedisError as exc:
        _redis_failed()
        logger.warning("long-poll answered at once: Redis unreachable (%s)", exc)
        yield SKIPPED_WITHOUT_REDIS
        return
    if not taken:
        yield SKIPPED_AT_LIMIT
        return
    try:
        yield None
    finally:
        try:
            await sync_to_async(connection.zrem, thread_sensitive=False)(key, slot)
        except redis.RedisError as exc:
            logger.warning("long-poll slot left to lapse: Redis unreachable (%s)", exc)
