"""Constants of intake."""

from datetime import timedelta

IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# Returns one batch request (or one chunk of an import) may carry.
BATCH_LIMIT = 1000
# When return_ratio is not submitted and the customer has no history: the training median.
FALLBACK_RETURN_RATIO = 0.15
VELOCITY_WINDOW_DAYS = 30
# A return that fails to be decided this many times is set aside (status failed) instead of
# joining, and failing, every batch after it.
DECIDE_MAX_ATTEMPTS = 3
# The worker's task, by name: intake wakes it without importing the layers above.
DECIDE_PENDING_TASK = "casework.tasks.decide_pending_returns"
