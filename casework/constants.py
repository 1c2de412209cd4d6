"""Constants of the casework domain."""

from datetime import timedelta

CLAIM_DURATION = timedelta(minutes=15)
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
BATCH_LIMIT = 1000
LONG_POLL_MAX_MS = 10_000
QUEUE_PAGE_SIZE = 50

# Django auth groups; membership is the role.
GROUP_REVIEWER = "reviewer"
GROUP_LEAD = "lead"
GROUP_ADMIN = "admin"
