"""Constants of the casework domain."""

from datetime import timedelta

CLAIM_DURATION = timedelta(minutes=15)
LONG_POLL_MAX_MS = 10_000
QUEUE_PAGE_SIZE = 50
