"""Is the scoring pipeline working? What an operator's alert asks, beyond "is the web up".

Readiness (/readyz) says whether this web process can serve; intake works without workers.
This says whether returns are actually being decided: the sweeper (beat plus a worker) ran
lately, nothing has waited too long, the database answers, and the active model's files are
intact.
"""

import logging
import time
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone

from intake.choices import ReturnStatus
from intake.models import ReturnRequest
from scoring.models import ModelVersion
from scoring.services.models import model_version_check

logger = logging.getLogger(__name__)

SWEEPER_HEARTBEAT_KEY = "returnsdesk:sweeper:last-run"
# The sweeper runs every 5 s; a minute without it means beat or every worker is down.
SWEEPER_SILENT_AFTER_SECONDS = 60
# A return is normally decided within seconds of arriving.
PENDING_TOO_LONG_SECONDS = 120


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def sweeper_heartbeat_record() -> None:
    """Notes that the sweeper ran; a Redis hiccup is logged, never allowed to stop the sweep."""
    try:
        _redis().set(SWEEPER_HEARTBEAT_KEY, time.time())
    except redis.RedisError:
        logger.warning("could not record the sweeper heartbeat", exc_info=True)


@dataclass
class PipelineStatus:
    problems: dict = field(default_factory=dict)  # check -> what is wrong
    figures: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def pipeline_status() -> PipelineStatus:
    status = PipelineStatus()
    try:
        last_run = _redis().get(SWEEPER_HEARTBEAT_KEY)
    except redis.RedisError:
        status.problems["redis"] = "unreachable"
    else:
        silent = None if last_run is None else round(time.time() - float(last_run))
        status.figures["sweeper_seconds_ago"] = silent
        if silent is None or silent > SWEEPER_SILENT_AFTER_SECONDS:
            status.problems["sweeper"] = "has not run in the last minute: is beat or a worker down?"
    try:
        _database_checks(status)
    except DatabaseError:
        # The detail (hosts, users) goes to the log; the answer names the part only.
        logger.exception("pipeline check: database unreachable")
        status.problems["database"] = "unreachable"
    return status


def _database_checks(status: PipelineStatus) -> None:
    oldest = ReturnRequest.objects.filter(status=ReturnStatus.PENDING).aggregate(
        at=Min("received_at")
    )["at"]
    waiting = 0 if oldest is None else round((timezone.now() - oldest).total_seconds())
    status.figures["oldest_pending_seconds"] = waiting
    if waiting > PENDING_TOO_LONG_SECONDS:
        status.problems["backlog"] = f"a return has waited {waiting} s for a decision"
    failed = ReturnRequest.objects.filter(status=ReturnStatus.FAILED).count()
    status.figures["failed_returns"] = failed
    if failed:
        status.problems["failed"] = (
            f"{failed} return(s) could not be decided; retry them in the admin once fixed"
        )
    active = ModelVersion.objects.filter(is_active=True).first()
    status.figures["model"] = active.version if active else None
    if active is None:
        status.problems["model"] = "no active model version"
    elif problem := model_version_check(active):
        status.problems["model"] = f"{active.version}: {problem}"
